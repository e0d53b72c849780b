// SPDX-License-Identifier: MIT
// quikctl version, config check, completion bash|zsh.
//
// The completion scripts are generated at run time from the CLI11 command
// tree (every command, its verbs and its flags), so they never go stale.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <quik/config.hpp>
#include <quik/version.hpp>

#include "cli.hpp"

namespace quikctl {
namespace {

using nlohmann::json;

quik::Result<Printable> Version() {
  const quik::BuildInfo info = quik::GetBuildInfo();
  json doc = {{"version", info.version},   {"git_commit", info.git_commit}, {"sqlite", info.sqlite},
              {"lmdb", info.lmdb},         {"openssl", info.openssl},       {"boost", info.boost},
              {"protobuf", info.protobuf}, {"compiler", info.compiler}};
  Printable p;
  p.doc = doc;
  p.notes.push_back("quikctl " + info.version +
                    (info.git_commit.empty() ? "" : " (commit " + info.git_commit + ")"));
  p.notes.push_back("  SQLite    " + info.sqlite);
  p.notes.push_back("  LMDB      " + info.lmdb);
  p.notes.push_back("  OpenSSL   " + info.openssl);
  p.notes.push_back("  Boost     " + info.boost);
  p.notes.push_back("  Protobuf  " + info.protobuf);
  if (!info.compiler.empty()) p.notes.push_back("  compiler  " + info.compiler);
  p.quiet_lines = std::vector<std::string>{info.version};
  return p;
}

quik::Result<Printable> ConfigCheck(Cli& cli) {
  if (cli.remote()) return cli.Usage("config check reads a local config file, not --server");
  const bool explicit_file = !cli.flags().config.empty();
  const std::filesystem::path file =
      explicit_file ? std::filesystem::path(cli.flags().config)
                    : std::filesystem::path(cli.flags().data_dir) / "quik.toml";
  std::error_code ec;
  const bool present = std::filesystem::exists(file, ec);
  if (present) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      return quik::InvalidArgument("config file " + file.string() +
                                   ": cannot open: " + std::strerror(errno));
    }
    std::stringstream text;
    text << in.rdbuf();
    std::vector<std::string> problems = quik::CheckOptionsText(text.str(), file.string());
    if (!problems.empty()) {
      Printable p;
      p.doc = {{"file", file.string()}, {"valid", false}, {"errors", problems}};
      p.notes = problems;
      p.quiet_lines = std::vector<std::string>{};
      std::string first = problems.front();
      if (problems.size() > 1) {
        first += " (and " + std::to_string(problems.size() - 1) + " more problem" +
                 (problems.size() > 2 ? "s" : "") + ")";
      }
      p.failure = quik::InvalidArgument(first);
      return p;
    }
  }
  // Loads it exactly as every other command does (an explicit --config that
  // does not exist fails here with not_found).
  QUIK_ASSIGN_OR_RETURN(quik::Options options, cli.LoadOptions());
  json settings = json::array();
  int changed = 0;
  for (const quik::ConfigSetting& s : quik::ListSettings(options)) {
    const bool differs = s.value != s.default_value;
    changed += differs ? 1 : 0;
    settings.push_back(
        {{"key", s.key}, {"value", s.value}, {"default", s.default_value}, {"changed", differs}});
  }
  Printable p;
  p.doc = {{"file", file.string()}, {"exists", present}, {"valid", true}, {"settings", settings}};
  // The table: the settings (the effective values), then a summary line.
  p.notes.push_back("KEY                                        VALUE                DEFAULT");
  for (const json& s : settings) {
    std::string line = s["key"].get<std::string>();
    line.resize(std::max<std::size_t>(line.size() + 1, 43), ' ');
    std::string value = s["value"].get<std::string>();
    value.resize(std::max<std::size_t>(value.size() + 1, 21), ' ');
    line += value + (s["changed"].get<bool>() ? s["default"].get<std::string>() : "(default)");
    p.notes.push_back(line);
  }
  p.notes.push_back(present
                        ? file.string() + ": valid; " + std::to_string(settings.size()) +
                              " keys, " + std::to_string(changed) + " changed from their defaults"
                        : "no config file at " + file.string() + ": every key has its default");
  p.quiet_lines = std::vector<std::string>{};
  return p;
}

// ---- completion --------------------------------------------------------------

struct CommandInfo {
  std::vector<std::string> subcommands;
  std::vector<std::string> options;  // --long and -s names
  bool leaf = true;
};

// Every command path ("" for the top, "migrate", "migrate up") with its verbs
// and flags, from the CLI11 tree.
void Walk(CLI::App* app, const std::string& path, std::map<std::string, CommandInfo>& out) {
  CommandInfo& info = out[path];
  for (CLI::Option* opt : app->get_options()) {
    if (opt->get_positional()) continue;
    for (const std::string& n : opt->get_lnames()) info.options.push_back("--" + n);
    for (const std::string& n : opt->get_snames()) info.options.push_back("-" + n);
  }
  for (CLI::App* sub : app->get_subcommands([](CLI::App*) { return true; })) {
    info.subcommands.push_back(sub->get_name());
    info.leaf = false;
    Walk(sub, path.empty() ? sub->get_name() : path + " " + sub->get_name(), out);
  }
}

std::string Join(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

// Options whose value is a directory or a file, and -o's choices.
constexpr const char* kDirOptions = "--data-dir|--to|--from|--backup|--dir";
constexpr const char* kFileOptions = "--config|--ca-file|-f|--file";

std::string Header(const std::map<std::string, CommandInfo>& tree, std::string_view shell) {
  std::string out = "# " + std::string(shell) +
                    " completion for quikctl, generated by `quikctl completion " +
                    std::string(shell) + "` from its command tree.\n# Commands:\n";
  for (const auto& [path, info] : tree) {
    if (!path.empty() && info.leaf) out += "#   quikctl " + path + "\n";
  }
  return out;
}

// Two shell functions: the verbs and the flags of a command path.
std::string Tables(const std::map<std::string, CommandInfo>& tree) {
  std::string subs = "_quikctl_subcommands() {\n  case \"$1\" in\n";
  std::string opts = "_quikctl_options() {\n  case \"$1\" in\n";
  for (const auto& [path, info] : tree) {
    if (!info.subcommands.empty()) {
      subs += "    \"" + path + "\") echo \"" + Join(info.subcommands) + "\" ;;\n";
    }
    // The command's own flags, then the global ones (each once).
    std::vector<std::string> words = info.options;
    for (const std::string& g : tree.at("").options) {
      if (std::find(words.begin(), words.end(), g) == words.end()) words.push_back(g);
    }
    opts += "    \"" + path + "\") echo \"" + Join(words) + "\" ;;\n";
  }
  subs += "  esac\n}\n";
  opts += "  esac\n}\n";
  return subs + opts;
}

std::string BashScript(const std::map<std::string, CommandInfo>& tree) {
  std::string out = Header(tree, "bash");
  out +=
      "# Load it with: source <(quikctl completion bash)\n"
      "# or install it as /usr/share/bash-completion/completions/quikctl.\n\n";
  out += Tables(tree);
  out += R"SH(
_quikctl() {
  local cur="${COMP_WORDS[COMP_CWORD]}"
  local prev="${COMP_WORDS[COMP_CWORD-1]}"
  local cmdpath="" w i
  # The command path so far: each word that is a verb of the path before it.
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="${COMP_WORDS[i]}"
    case " $(_quikctl_subcommands "$cmdpath") " in
      *" $w "*) cmdpath="${cmdpath:+$cmdpath }$w" ;;
    esac
  done
  case "$prev" in
    )SH" +
         std::string(kDirOptions) +
         R"SH() COMPREPLY=($(compgen -d -- "$cur")); return ;;
    )SH" +
         std::string(kFileOptions) +
         R"SH() COMPREPLY=($(compgen -f -- "$cur")); return ;;
    -o|--output) COMPREPLY=($(compgen -W "table json yaml" -- "$cur")); return ;;
  esac
  if [[ "$cmdpath" == "completion" ]]; then
    COMPREPLY=($(compgen -W "bash zsh" -- "$cur")); return
  fi
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$(_quikctl_options "$cmdpath")" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$(_quikctl_subcommands "$cmdpath")" -- "$cur"))
  fi
}
complete -o default -F _quikctl quikctl
)SH";
  return out;
}

std::string ZshScript(const std::map<std::string, CommandInfo>& tree) {
  std::string out = "#compdef quikctl\n" + Header(tree, "zsh");
  out +=
      "# Load it with: source <(quikctl completion zsh)\n"
      "# or install it as _quikctl in a directory of $fpath.\n\n";
  out += Tables(tree);
  out += R"SH(
_quikctl() {
  local cmdpath="" w i
  for ((i = 2; i < CURRENT; i++)); do
    w="${words[i]}"
    case " $(_quikctl_subcommands "$cmdpath") " in
      *" $w "*) cmdpath="${cmdpath:+$cmdpath }$w" ;;
    esac
  done
  case "${words[CURRENT-1]}" in
    )SH" +
         std::string(kDirOptions) +
         R"SH() _files -/; return ;;
    )SH" +
         std::string(kFileOptions) +
         R"SH() _files; return ;;
    -o|--output) compadd table json yaml; return ;;
  esac
  if [[ "$cmdpath" == "completion" ]]; then
    compadd bash zsh; return
  fi
  if [[ "${words[CURRENT]}" == -* ]]; then
    compadd -- ${=$(_quikctl_options "$cmdpath")}
  else
    compadd -- ${=$(_quikctl_subcommands "$cmdpath")}
  fi
}

if [[ "${zsh_eval_context[-1]}" == loadautofunc ]]; then
  _quikctl "$@"
else
  compdef _quikctl quikctl
fi
)SH";
  return out;
}

quik::Result<Printable> Completion(Cli& cli, CLI::App* app, const std::string& shell) {
  std::map<std::string, CommandInfo> tree;
  Walk(app, "", tree);
  std::string script;
  if (shell == "bash") {
    script = BashScript(tree);
  } else if (shell == "zsh") {
    script = ZshScript(tree);
  } else {
    return cli.Usage("completion: unknown shell '" + shell + "'; use bash or zsh");
  }
  // The script is the output in every format: it is meant for `source <(...)`.
  Printable p;
  p.doc = script;
  std::istringstream lines(script);
  for (std::string line; std::getline(lines, line);) p.notes.push_back(line);
  p.quiet_lines = p.notes;
  return p;
}

}  // namespace

void AddOpsCommands(CLI::App& app, Action* selected) {
  auto* version = app.add_subcommand(
      "version", "Print the version of quikctl and of the libraries it is built with");
  OnParsed(version, selected, [](Cli&) { return Version(); });

  auto* config = app.add_subcommand("config", "Check the config file");
  config->require_subcommand(1);
  auto* check = config->add_subcommand(
      "check",
      "Load the config file as the server does; report every error as FILE:LINE: (exit 7) or "
      "the effective value of every key");
  OnParsed(check, selected, ConfigCheck);

  auto shell = std::make_shared<std::string>();
  auto* completion = app.add_subcommand(
      "completion", "Print a shell completion script: source <(quikctl completion bash)");
  completion->add_option("SHELL", *shell, "bash or zsh")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh"}));
  CLI::App* root = &app;
  OnParsed(completion, selected, [root, shell](Cli& cli) { return Completion(cli, root, *shell); });
}

}  // namespace quikctl
