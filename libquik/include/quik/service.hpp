// SPDX-License-Identifier: MIT
// quik::Service: the in-process API over one data dir.
//
// The HTTP API, quikctl and embedding hosts all call these services; every
// permission rule lives behind them. Open one Service per data dir per
// process; several processes may open the same data dir at once.
//
// Thread safety: a Service and its sub-services may be used from any thread
// concurrently. Destroying the Service while calls are in flight is undefined.
#pragma once

#include <memory>

#include "quik/auth.hpp"
#include "quik/channels.hpp"
#include "quik/events.hpp"
#include "quik/files.hpp"
#include "quik/messages.hpp"
#include "quik/notifications.hpp"
#include "quik/options.hpp"
#include "quik/presence.hpp"
#include "quik/provision.hpp"
#include "quik/reads.hpp"
#include "quik/search.hpp"
#include "quik/status.hpp"
#include "quik/users.hpp"
#include "quik/webhooks.hpp"
#include "quik/workspaces.hpp"

namespace quik {

class Service {
 public:
  // Opens the data dir `options.data_dir`, which must be initialised
  // (InitDataDir); applies pending migrations when options.storage.auto_migrate.
  static Result<std::unique_ptr<Service>> Open(const Options& options);

  virtual ~Service() = default;
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  virtual const Options& options() const = 0;
  virtual UserService& users() = 0;
  virtual AuthService& auth() = 0;
  virtual WorkspaceService& workspaces() = 0;
  virtual ChannelService& channels() = 0;
  virtual MessageService& messages() = 0;
  virtual EventService& events() = 0;
  virtual PresenceService& presence() = 0;
  virtual ReadStateService& reads() = 0;
  virtual NotificationService& notifications() = 0;
  virtual WebhookService& webhooks() = 0;
  virtual FileService& files() = 0;
  virtual SearchService& search() = 0;
  // Declarative provisioning from a manifest (quikctl apply).
  virtual ProvisionService& provision() = 0;

 protected:
  Service() = default;
};

}  // namespace quik
