// SPDX-License-Identifier: MIT
// quikctl webhook create | list | delete | deliveries.
//
// Remote: POST/GET /workspaces/{W}/webhooks, DELETE /webhooks/{id} and GET
// /webhooks/{id}/deliveries, as the token's user (a workspace owner or admin).
// Deliveries are sent by a running server (quikctl serve), never by quikctl.
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <quik/actor.hpp>
#include <quik/json.hpp>
#include <quik/webhooks.hpp>

#include "cli.hpp"

namespace quikctl {
namespace {

using nlohmann::json;

const quik::Actor kSystem = quik::Actor::System();

std::vector<Column> WebhookColumns() {
  return {{"ID", "id"},
          {"URL", "url", 60},
          {"EVENTS", "events", 40},
          {"PAUSED", "paused"},
          {"DESCRIPTION", "description", 30},
          {"CREATED", "created_at"}};
}

std::vector<Column> DeliveryColumns() {
  return {{"ID", "id"},
          {"EVENT", "event_type"},
          {"SEQ", "event_seq"},
          {"STATUS", "status"},
          {"ATTEMPTS", "attempts"},
          {"HTTP", "last_http_status"},
          {"NEXT ATTEMPT", "next_attempt_at"},
          {"ERROR", "last_error", 50},
          {"CREATED", "created_at"}};
}

// "a,b , c" -> {"a","b","c"}.
std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    while (!item.empty() && item.front() == ' ') item.erase(0, 1);
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

struct CreateFlags {
  std::string workspace;
  std::string url;
  std::string events;
  std::string description;
};

quik::Result<Printable> Create(Cli& cli, const CreateFlags& flags) {
  quik::NewWebhook spec;
  spec.url = flags.url;
  spec.events = SplitList(flags.events);
  spec.description = flags.description;
  if (spec.events.empty()) {
    return cli.Usage("--events needs at least one event type, e.g. message.posted,channel.*");
  }
  json created;
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, cli.Api());
    json body = {{"url", spec.url}, {"events", spec.events}};
    if (!spec.description.empty()) body["description"] = spec.description;
    QUIK_ASSIGN_OR_RETURN(created,
                          api->Post("/workspaces/" + Seg(flags.workspace) + "/webhooks", body));
  } else {
    QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
    QUIK_ASSIGN_OR_RETURN(quik::CreatedWebhook w,
                          svc->webhooks().Create(kSystem, flags.workspace, spec));
    created = quik::ToJson(w);
  }
  const std::string secret = Str(created, "secret");
  Printable p = One(std::move(created), WebhookColumns());
  p.notes.push_back("");
  p.notes.push_back("signing secret: " + secret);
  p.notes.push_back("This secret is shown only once; store it where the receiver can verify");
  p.notes.push_back("X-Quik-Signature with it (see quik-api(7), WEBHOOKS).");
  return p;
}

quik::Result<Printable> List(Cli& cli, const std::string& workspace) {
  json array = json::array();
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, cli.Api());
    QUIK_ASSIGN_OR_RETURN(array, api->List("/workspaces/" + Seg(workspace) + "/webhooks"));
  } else {
    QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
    QUIK_ASSIGN_OR_RETURN(auto hooks, svc->webhooks().List(kSystem, workspace));
    for (const auto& w : hooks) array.push_back(quik::ToJson(w));
  }
  return Many(std::move(array), WebhookColumns());
}

quik::Result<Printable> Delete(Cli& cli, const std::string& id, bool yes) {
  QUIK_RETURN_IF_ERROR(
      cli.Confirm(yes, "Delete webhook " + id + " with its secret and its deliveries?"));
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, cli.Api());
    QUIK_RETURN_IF_ERROR(api->Delete("/webhooks/" + Seg(id)));
  } else {
    QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
    QUIK_RETURN_IF_ERROR(svc->webhooks().Delete(kSystem, id));
  }
  return Done({{"id", id}, {"deleted", true}}, "deleted webhook " + id);
}

struct DeliveriesFlags {
  std::string id;
  std::string status;
  int limit = 50;
};

quik::Result<Printable> Deliveries(Cli& cli, const DeliveriesFlags& flags) {
  quik::ListDeliveriesRequest request;
  request.limit = flags.limit;
  if (!flags.status.empty()) {
    request.status = quik::ParseDeliveryStatus(flags.status);
    if (!request.status) {
      return quik::InvalidArgument("--status must be pending, succeeded or failed, not '" +
                                   flags.status + "'");
    }
  }
  json array = json::array();
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, cli.Api());
    std::string path =
        "/webhooks/" + Seg(flags.id) + "/deliveries?limit=" + std::to_string(flags.limit);
    if (!flags.status.empty()) path += "&status=" + Seg(flags.status);
    QUIK_ASSIGN_OR_RETURN(json page, api->Get(path));
    if (page.is_object() && page.contains("items")) array = page["items"];
  } else {
    QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
    QUIK_ASSIGN_OR_RETURN(auto page, svc->webhooks().ListDeliveries(kSystem, flags.id, request));
    for (const auto& d : page.items) array.push_back(quik::ToJson(d));
  }
  return Many(std::move(array), DeliveryColumns());
}

}  // namespace

void AddWebhookCommands(CLI::App& app, Action* selected) {
  auto* group = app.add_subcommand("webhook", "Manage outbound webhooks of a workspace");
  group->require_subcommand(1);

  auto cf = std::make_shared<CreateFlags>();
  auto* create = group->add_subcommand(
      "create", "Subscribe URL to event types of a workspace and print its signing secret once");
  create->add_option("--workspace", cf->workspace, "Workspace id or slug")
      ->option_text("W")
      ->required();
  create->add_option("URL", cf->url, "http:// or https:// URL that receives the POSTs")->required();
  create
      ->add_option("--events", cf->events,
                   "Comma-separated event types: message.posted, a family such as message.*, "
                   "or *")
      ->option_text("LIST")
      ->required();
  create->add_option("--description", cf->description, "What the webhook is for")
      ->option_text("TEXT");
  OnParsed(create, selected, [cf](Cli& cli) { return Create(cli, *cf); });

  auto list_ws = std::make_shared<std::string>();
  auto* list = group->add_subcommand("list", "List a workspace's webhooks (never their secrets)");
  list->add_option("--workspace", *list_ws, "Workspace id or slug")->option_text("W")->required();
  OnParsed(list, selected, [list_ws](Cli& cli) { return List(cli, *list_ws); });

  auto delete_id = std::make_shared<std::string>();
  auto delete_yes = std::make_shared<bool>(false);
  auto* del = group->add_subcommand("delete", "Delete a webhook and its pending deliveries");
  del->add_option("ID", *delete_id, "Webhook id")->required();
  del->add_flag("-y,--yes", *delete_yes,
                "Do not ask for confirmation (needed without a terminal): this cannot be undone");
  OnParsed(del, selected,
           [delete_id, delete_yes](Cli& cli) { return Delete(cli, *delete_id, *delete_yes); });

  auto df = std::make_shared<DeliveriesFlags>();
  auto* deliveries = group->add_subcommand(
      "deliveries", "Show a webhook's deliveries, newest first, with their status and attempts");
  deliveries->add_option("ID", df->id, "Webhook id")->required();
  deliveries->add_option("--status", df->status, "Only pending, succeeded or failed ones")
      ->option_text("S");
  deliveries->add_option("--limit", df->limit, "How many (default: 50)")
      ->option_text("N")
      ->check(CLI::Range(1, 1000));
  OnParsed(deliveries, selected, [df](Cli& cli) { return Deliveries(cli, *df); });
}

}  // namespace quikctl
