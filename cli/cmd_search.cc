// SPDX-License-Identifier: MIT
// quikctl search WORKSPACE QUERY: full-text search (the query language of
// quik/search.hpp), for admins and scripts.
//
// Local mode searches as the system, which reads every channel of the
// workspace (the admin view), unless --as names a user: then exactly what
// that user would see. Remote: GET /workspaces/{W}/search as the token's user
// (--as, if given, must name that user).
#include <cctype>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <quik/actor.hpp>
#include <quik/json.hpp>
#include <quik/search.hpp>
#include <quik/users.hpp>

#include "cli.hpp"

namespace quikctl {
namespace {

using nlohmann::json;

struct SearchFlags {
  std::string workspace;
  std::string query;
  std::string as;
  std::string sort = "recent";
  std::string cursor;
  int limit = 20;
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<Column> HitColumns() {
  return {{"ID", "message.id"},
          {"CHANNEL", "message.channel_id"},
          {"USER", "message.user_id"},
          {"CREATED", "message.created_at"},
          {"TEXT", "message.text", 60}};
}

quik::Result<Printable> Search(Cli& cli, const SearchFlags& f) {
  if (f.sort != "recent" && f.sort != "relevance") {
    return cli.Usage("--sort must be recent or relevance");
  }
  json items = json::array();
  std::string next_cursor;
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, cli.Api());
    if (!f.as.empty()) {
      QUIK_ASSIGN_OR_RETURN(json me, api->Me());
      if (f.as != Str(me, "id") && Lower(f.as) != Lower(Str(me, "email"))) {
        return quik::PermissionDenied("--as " + f.as +
                                      ": with --server this searches as the token's user, " +
                                      Str(me, "email") + "; use a token of " + f.as + " instead");
      }
    }
    std::string path = "/workspaces/" + Seg(f.workspace) + "/search?q=" + Seg(f.query) +
                       "&limit=" + std::to_string(f.limit) + "&sort=" + f.sort;
    if (!f.cursor.empty()) path += "&cursor=" + Seg(f.cursor);
    QUIK_ASSIGN_OR_RETURN(json page, api->Get(path));
    if (page.contains("items") && page["items"].is_array()) items = page["items"];
    next_cursor = Str(page, "next_cursor");
  } else {
    QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
    quik::Actor actor = quik::Actor::System();
    if (!f.as.empty()) {
      QUIK_ASSIGN_OR_RETURN(quik::User user, svc->users().Get(quik::Actor::System(), f.as));
      actor = quik::Actor::ForUser(user.id);
    }
    quik::SearchRequest request;
    request.query = f.query;
    request.limit = f.limit;
    request.cursor = f.cursor;
    request.sort = f.sort == "relevance" ? quik::SearchSort::kRelevance : quik::SearchSort::kRecent;
    QUIK_ASSIGN_OR_RETURN(auto page, svc->search().Search(actor, f.workspace, request));
    for (const quik::SearchHit& hit : page.items) items.push_back(quik::ToJson(hit));
    next_cursor = page.next_cursor;
  }
  Printable out = Many(items, HitColumns());
  out.quiet_lines = std::vector<std::string>{};
  for (const json& hit : items) {
    if (hit.contains("message")) out.quiet_lines->push_back(Str(hit["message"], "id"));
  }
  out.notes.push_back(std::to_string(items.size()) + (items.size() == 1 ? " result" : " results"));
  if (!next_cursor.empty()) out.notes.push_back("more: --cursor " + next_cursor);
  return out;
}

}  // namespace

void AddSearchCommand(CLI::App& app, Action* selected) {
  auto f = std::make_shared<SearchFlags>();
  auto* cmd = app.add_subcommand(
      "search",
      "Search a workspace's messages: words, \"phrases\", -excluded, prefix*, from:@name, "
      "in:#channel, before:/after:/on:YYYY-MM-DD, has:file, has:link, is:thread");
  cmd->add_option("WORKSPACE", f->workspace, "Workspace id or slug")->required();
  cmd->add_option("QUERY", f->query, "The query (quote it for the shell)")->required();
  cmd->add_option("--as", f->as,
                  "Search as this user (id or email): exactly what they may see. Default: the "
                  "system, which sees every channel")
      ->option_text("U");
  cmd->add_option("--limit", f->limit, "Results per page, 1..100 (default 20)")
      ->option_text("N")
      ->check(CLI::Range(1, 100));
  cmd->add_option("--sort", f->sort, "recent (default: newest first) or relevance")
      ->option_text("recent|relevance");
  cmd->add_option("--cursor", f->cursor, "The next page: the cursor a previous page printed")
      ->option_text("C");
  OnParsed(cmd, selected, [f](Cli& cli) { return Search(cli, *f); });
}

}  // namespace quikctl
