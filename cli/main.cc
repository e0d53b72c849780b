// SPDX-License-Identifier: MIT
// quikctl: the operations CLI of QuikApp (CONTRACT.md section 1).
//
// Parses the command line with CLI11, runs the chosen command against the data
// dir through libquik's public API (or, with --server, through a running
// server's HTTP API), and prints the result or the error.
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "cli.hpp"

namespace quikctl {
namespace {

constexpr int kUsageExit = 2;

constexpr const char* kFooter = R"(Commands:
  quikctl init
  quikctl migrate status | up [--dry-run]
  quikctl serve [--listen HOST:PORT] [--log-level LEVEL] [--admin-email E]
  quikctl workspace create NAME [--slug S] | list | show W | members W | delete W
  quikctl user create --email E --name N [--password-stdin] [--admin]
                      [--workspace W [--role owner|admin|member|guest]]
  quikctl user list [--workspace W] | show U | deactivate U
  quikctl user set-role U --workspace W --role owner|admin|member|guest
  quikctl user set-password U  (the password on one line of stdin)
  quikctl channel create --workspace W NAME [--private] [--topic T]
  quikctl channel list --workspace W | show C | members C | archive C
  quikctl channel add-member C U | remove-member C U
  quikctl token create --user U [--name N] [--ttl 30d] | list [--user U] | revoke ID
  quikctl post --channel C [--as U] [--thread ID] TEXT
  quikctl search W QUERY [--as U] [--limit N] [--sort recent|relevance] [--cursor C]
  quikctl webhook create --workspace W URL --events a.b,c.* [--description T]
  quikctl webhook list --workspace W | delete ID | deliveries ID [--status S]
  quikctl files gc [--grace DURATION] [--dry-run] | list W | show ID
  quikctl files upload W PATH --as U [--name N]
  quikctl apply -f FILE.yaml [--dry-run] [--prune]   (FILE - reads stdin)
  quikctl get workspace W   (-o yaml: a manifest for apply)
  quikctl export --workspace W --to DIR|FILE.jsonl [--with-files]
  quikctl import --from DIR|FILE.jsonl [--workspace W] [--format quik]
  quikctl import --format slack --from DIR|ZIP --workspace W
  quikctl bench ws [--subscribers N] [--messages M] [--rate R] [--publishers P]
                   [--idle-seconds S] [--sync normal|full] [--dir DIR] [--keep]
  quikctl backup --to DIR | restore --from DIR [--force]
  quikctl verify [--backup DIR]
  quikctl version | config check | completion bash|zsh

Names: a workspace W is its id or slug, a user U their id or email, a channel C
its id or WORKSPACE/#NAME (e.g. acme/#general).

Remote mode: with --server URL --token T the same commands (not init, migrate
or serve) go through a running server's API and act as the token's user, with
that user's permissions; output and exit codes are those of the local mode.

Exit codes: 0 ok, 1 internal error, 2 usage, 3 not found, 4 conflict,
5 permission denied or unauthenticated, 6 unavailable (e.g. server
unreachable), 7 invalid input.

Environment: QUIK_DATA_DIR is the data dir when --data-dir is not given;
QUIK_TOKEN is the token when --server is given without --token.
See quikctl(1).)";

// Whether the command line asks for -o json, read before parsing so that a
// usage error can honour it too.
bool WantsJson(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") break;
    if ((arg == "-o" || arg == "--output") && i + 1 < argc) {
      if (std::string_view(argv[i + 1]) == "json") return true;
    } else if (arg == "-ojson" || arg == "--output=json") {
      return true;
    }
  }
  return false;
}

// The first word of the command line that is neither a flag nor a global
// flag's value: the command the user meant.
std::string FirstWord(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--data-dir" || arg == "--config" || arg == "--server" || arg == "--token" ||
        arg == "--ca-file" || arg == "-o" || arg == "--output") {
      ++i;
    } else if (arg.empty() || arg[0] != '-') {
      return std::string(arg);
    }
  }
  return {};
}

// A better message than CLI11's "A subcommand is required": which command
// needs a verb, and what the verbs are.
std::string MissingCommandMessage(CLI::App& app, int argc, char** argv) {
  CLI::App* deepest = &app;
  std::string path = "quikctl";
  for (auto subs = deepest->get_subcommands(); !subs.empty(); subs = deepest->get_subcommands()) {
    deepest = subs.front();
    path += " " + deepest->get_name();
  }
  auto verbs = deepest->get_subcommands([](CLI::App*) { return true; });
  if (verbs.empty() || !deepest->get_subcommands().empty()) return {};
  if (deepest == &app) {
    std::string word = FirstWord(argc, argv);
    if (!word.empty()) return "unknown command '" + word + "'";
  }
  std::string names;
  for (const CLI::App* verb : verbs) names += (names.empty() ? "" : ", ") + verb->get_name();
  return path + " needs a command: " + names;
}

std::string OneLine(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

// Remote mode's rules for the global flags; fills in the token from
// $QUIK_TOKEN. Returns a usage error's message, or empty.
std::string CheckRemoteFlags(const CLI::App& app, GlobalFlags& flags) {
  if (flags.server.empty()) {
    if (!flags.token.empty()) return "--token is only used with --server";
    if (!flags.ca_file.empty()) return "--ca-file is only used with --server";
    return {};
  }
  if (flags.token.empty()) {
    const char* env = std::getenv("QUIK_TOKEN");
    if (env != nullptr) flags.token = env;
  }
  if (flags.server.rfind("http://", 0) != 0 && flags.server.rfind("https://", 0) != 0) {
    return "--server '" + flags.server + "': expected http://HOST:PORT or https://HOST:PORT";
  }
  if (flags.token.empty()) return "--server needs --token T (or $QUIK_TOKEN)";
  if (!flags.data_dir.empty() || !flags.config.empty()) {
    return "--server works without a data dir; drop --data-dir and --config";
  }
  for (const CLI::App* sub : app.get_subcommands()) {
    const std::string& name = sub->get_name();
    if (name == "init" || name == "migrate" || name == "serve") {
      return "quikctl " + name + " works on a data dir only, not with --server";
    }
  }
  return {};
}

int Run(int argc, char** argv) {
  GlobalFlags flags;
  CLI::App app(
      "quikctl operates a QuikApp team-chat server: it creates and migrates the data "
      "dir and manages workspaces, users, channels, tokens, messages, webhooks and files.",
      "quikctl");
  app.fallthrough();  // global flags may follow the command, as in kubectl
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Print help for every command and exit");
  app.get_formatter()->column_width(34);
  // Every command's help ends with this; the top level's with kFooter.
  app.footer(
      "Global flags (--data-dir, --config, --server, --token, -o/--output, -q/--quiet) go "
      "before or after the command; see quikctl --help.");

  app.add_option("--data-dir", flags.data_dir,
                 "Data directory (default: $QUIK_DATA_DIR, else ./quik-data)")
      ->option_text("DIR");
  app.add_option("--config", flags.config, "Config file (default: DATA_DIR/quik.toml)")
      ->option_text("FILE");
  app.add_option("--server", flags.server,
                 "Act through a running server's API (http://HOST:PORT or https://...) "
                 "instead of the data dir, as the token's user")
      ->option_text("URL");
  app.add_option("--token", flags.token, "API token for --server (default: $QUIK_TOKEN)")
      ->option_text("T");
  app.add_option("--ca-file", flags.ca_file,
                 "With an https:// --server: trust the CA certificates in this PEM file "
                 "(default: the system's)")
      ->option_text("FILE");
  app.add_option("-o,--output", flags.output, "Output format: table (default), json or yaml")
      ->option_text("FORMAT")
      ->check(CLI::IsMember({"table", "json", "yaml"}));
  app.add_flag("-q,--quiet", flags.quiet, "Print only ids (or nothing) on success");

  Action selected;
  AddInitCommands(app, &selected);
  AddWorkspaceCommands(app, &selected);
  AddUserCommands(app, &selected);
  AddChannelCommands(app, &selected);
  AddTokenCommands(app, &selected);
  AddInviteCommands(app, &selected);
  AddWebhookCommands(app, &selected);
  AddFilesCommands(app, &selected);
  AddPostCommand(app, &selected);
  AddMessageCommands(app, &selected);
  AddSearchCommand(app, &selected);
  AddApplyCommands(app, &selected);
  AddTransferCommands(app, &selected);
  AddServeCommand(app, &selected);
  AddBenchCommands(app, &selected);
  AddBackupCommands(app, &selected);
  AddOpsCommands(app, &selected);
  app.footer(kFooter);

  bool json_errors = WantsJson(argc, argv);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      return app.exit(e);  // --help, --help-all
    }
    std::string message;
    if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) {
      message = MissingCommandMessage(app, argc, argv);
    }
    if (message.empty()) message = OneLine(e.what());
    if (message.empty()) message = "invalid command line";
    PrintError(quik::InvalidArgument(message + " (see quikctl --help)"), json_errors, "usage");
    return kUsageExit;
  }
  json_errors = flags.format() == OutputFormat::kJson;

  if (std::string usage = CheckRemoteFlags(app, flags); !usage.empty()) {
    PrintError(quik::InvalidArgument(usage + " (see quikctl --help)"), json_errors, "usage");
    return kUsageExit;
  }
  if (flags.server.empty() && flags.data_dir.empty()) {
    const char* env = std::getenv("QUIK_DATA_DIR");
    flags.data_dir = (env != nullptr && *env != '\0') ? env : "./quik-data";
  }
  if (!selected) {  // a group without a verb is caught by require_subcommand
    PrintError(quik::InvalidArgument("no command given (see quikctl --help)"), json_errors,
               "usage");
    return kUsageExit;
  }

  Cli cli(flags);
  quik::Status status;
  try {
    quik::Result<Printable> result = selected(cli);
    if (result.ok()) {
      Print(*result, flags);
      if (result->failure && !result->failure->ok()) {
        PrintError(*result->failure, json_errors);
        return result->failure->ExitCode();
      }
      return 0;
    }
    status = result.status();
  } catch (const std::exception& e) {
    status = quik::Internal(e.what());
  }
  if (cli.usage_error()) {
    PrintError(status, json_errors, "usage");
    return kUsageExit;
  }
  PrintError(status, json_errors);
  return status.ExitCode();
}

}  // namespace

void OnParsed(CLI::App* sub, Action* selected, Action action) {
  sub->callback([selected, action = std::move(action)] { *selected = action; });
}

}  // namespace quikctl

int main(int argc, char** argv) { return quikctl::Run(argc, argv); }
