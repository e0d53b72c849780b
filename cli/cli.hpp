// quikctl internals: the global flags, the context a command runs in, and what
// a command hands back to be printed.
//
// Every command is a function `Result<Printable>(Cli&)`: it calls libquik's
// public API and returns a document; main prints it in the chosen format
// (table, json or yaml) or prints the error. No command writes to stdout
// itself, so `-o json` always prints exactly one document.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <quik/options.hpp>
#include <quik/service.hpp>
#include <quik/status.hpp>

namespace CLI {
class App;
}

namespace quikctl {

enum class OutputFormat { kTable, kJson, kYaml };

struct GlobalFlags {
  std::string data_dir;  // resolved: --data-dir, $QUIK_DATA_DIR, or ./quik-data
  std::string config;    // --config as given; empty: DATA_DIR/quik.toml
  std::string server;    // --server (not implemented yet)
  std::string token;     // --token (not implemented yet)
  std::string output = "table";
  bool quiet = false;

  OutputFormat format() const;
};

// A table column: the header and the key of the JSON object it shows.
struct Column {
  std::string header;
  std::string key;
  std::size_t max_width = 0;  // 0: unlimited; longer cells are cut with "..."
};

// What a successful command prints.
struct Printable {
  nlohmann::json doc;              // -o json / -o yaml: this document
  std::vector<Column> columns;     // -o table: rows of `doc` (an object is one row)
  std::vector<std::string> notes;  // -o table: lines printed after the table
  // -q: these lines; unset: the "id" of `doc` (or of each element).
  std::optional<std::vector<std::string>> quiet_lines;
};

// The context of one quikctl run: flags, options and the opened service.
class Cli {
 public:
  explicit Cli(GlobalFlags flags) : flags_(std::move(flags)) {}

  const GlobalFlags& flags() const { return flags_; }

  // The options: defaults, then the config file when there is one (an
  // explicit --config must exist), then the data dir from the flags.
  quik::Result<quik::Options> LoadOptions();

  // kNotFound with a hint to run `quikctl init` unless the data dir holds a
  // database.
  quik::Status RequireInitialised(const quik::Options& options) const;

  // Opens the service over the data dir (once; later calls return it again).
  quik::Result<quik::Service*> OpenService();

 private:
  GlobalFlags flags_;
  std::unique_ptr<quik::Service> service_;
};

using Action = std::function<quik::Result<Printable>(Cli&)>;

// Each command group adds its subcommands to `app`; the one the user picked
// stores its action in `*selected` when parsed.
void AddInitCommands(CLI::App& app, Action* selected);  // init, migrate
void AddWorkspaceCommands(CLI::App& app, Action* selected);
void AddUserCommands(CLI::App& app, Action* selected);
void AddChannelCommands(CLI::App& app, Action* selected);
void AddTokenCommands(CLI::App& app, Action* selected);
void AddPostCommand(CLI::App& app, Action* selected);

// Makes `sub` store `action` in `*selected` once it has been parsed.
void OnParsed(CLI::App* sub, Action* selected, Action action);

// Printable builders: one object, or a list (an array).
Printable One(nlohmann::json object, std::vector<Column> columns);
Printable Many(nlohmann::json array, std::vector<Column> columns);
// A result with no object to show in a table: `note` is the table output.
Printable Done(nlohmann::json object, std::string note);

// Table columns of the model's objects.
std::vector<Column> WorkspaceColumns();
std::vector<Column> UserColumns();
std::vector<Column> MemberColumns();
std::vector<Column> ChannelColumns();
std::vector<Column> ChannelMemberColumns();
std::vector<Column> TokenColumns();
std::vector<Column> MessageColumns();
std::vector<Column> MigrationColumns();

// Prints a result on stdout in the flags' format.
void Print(const Printable& printable, const GlobalFlags& flags);
// Prints an error on stderr: `quikctl: CODE: MESSAGE`, or with json
// `{"error":{"code":...,"message":...}}`. `code` overrides the status's code
// name (for "usage").
void PrintError(const quik::Status& status, bool json, std::string_view code = {});

}  // namespace quikctl
