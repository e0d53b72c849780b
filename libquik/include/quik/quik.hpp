// The whole public API of libquik.
#pragma once

#include "quik/actor.hpp"
#include "quik/auth.hpp"
#include "quik/channels.hpp"
#include "quik/config.hpp"
#include "quik/datadir.hpp"
#include "quik/events.hpp"
#include "quik/json.hpp"
#include "quik/messages.hpp"
#include "quik/options.hpp"
#include "quik/presence.hpp"
#include "quik/service.hpp"
#include "quik/status.hpp"
#include "quik/types.hpp"
#include "quik/users.hpp"
#include "quik/webhooks.hpp"
#include "quik/workspaces.hpp"
