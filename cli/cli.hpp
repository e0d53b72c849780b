// SPDX-License-Identifier: MIT
// quikctl internals: the global flags, the context a command runs in, and what
// a command hands back to be printed.
//
// Every command is a function `Result<Printable>(Cli&)`: it calls libquik's
// public API (or, with --server, the same operation over the HTTP API) and
// returns a document; main prints it in the chosen format (table, json or
// yaml) or prints the error. No command writes to stdout itself, so `-o json`
// always prints exactly one document. Both modes build the document from the
// same quik::ToJson mapping (the server answers with it), so they print alike.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <quik/options.hpp>
#include <quik/service.hpp>
#include <quik/status.hpp>

namespace CLI {
class App;
}
namespace quik::net {
class HttpClient;
}

namespace quikctl {

enum class OutputFormat { kTable, kJson, kYaml };

struct GlobalFlags {
  std::string data_dir;  // resolved: --data-dir, $QUIK_DATA_DIR, or ./quik-data
  std::string config;    // --config as given; empty: DATA_DIR/quik.toml
  std::string server;    // --server URL: remote mode when set
  std::string token;     // resolved: --token, else $QUIK_TOKEN (remote mode only)
  std::string ca_file;   // --ca-file: CA certificates for an https:// --server
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
  // Nothing at all on stdout (serve, which prints its own listening line).
  bool silent = false;
  // -o yaml: this text instead of `doc` rendered (get: a manifest in its layout).
  std::optional<std::string> yaml_text;
  // Set: the document is printed, then this error (stderr, and its exit
  // code): a report that found problems (verify, config check).
  std::optional<quik::Status> failure;
};

// A running server's API (--server, --token): JSON in and out. Paths are
// under /api/v1 and carry natural keys percent-encoded (see Seg). A non-2xx
// answer becomes the Status its {"error":{"code","message"}} names, so exit
// codes are those of the local mode.
class RemoteApi {
 public:
  explicit RemoteApi(std::unique_ptr<quik::net::HttpClient> client);
  ~RemoteApi();
  RemoteApi(const RemoteApi&) = delete;
  RemoteApi& operator=(const RemoteApi&) = delete;

  // The decoded body (null for 204). A null `body` sends none.
  quik::Result<nlohmann::json> Get(const std::string& path);
  quik::Result<nlohmann::json> Post(const std::string& path, const nlohmann::json& body = nullptr);
  quik::Result<nlohmann::json> Patch(const std::string& path, const nlohmann::json& body);
  quik::Result<nlohmann::json> Put(const std::string& path, const nlohmann::json& body);
  quik::Status Delete(const std::string& path);
  // GET of a list ({"items":[...],"next_cursor":...}), following next_cursor
  // to the last page: every item, as an array.
  quik::Result<nlohmann::json> List(const std::string& path);
  // The token's user (GET /users/me), fetched once.
  quik::Result<nlohmann::json> Me();

 private:
  quik::Result<nlohmann::json> Call(std::string_view method, const std::string& path,
                                    const nlohmann::json& body);

  std::unique_ptr<quik::net::HttpClient> client_;
  std::optional<nlohmann::json> me_;
};

// `text` percent-encoded for one URL path segment or query value
// ("acme/#general" -> "acme%2F%23general").
std::string Seg(std::string_view text);
// The string at `key` of a JSON object; empty if absent or not a string.
std::string Str(const nlohmann::json& object, std::string_view key);

// The context of one quikctl run: flags, options and the opened service, or
// in remote mode the connection to the server.
class Cli {
 public:
  explicit Cli(GlobalFlags flags) : flags_(std::move(flags)) {}

  const GlobalFlags& flags() const { return flags_; }

  // --server given: commands go through the server's API as the token's user.
  bool remote() const { return !flags_.server.empty(); }
  // Connects to --server (once; later calls return it again).
  quik::Result<RemoteApi*> Api();

  // A usage error a command finds after parsing: main prints it with the code
  // "usage" and exits 2.
  quik::Status Usage(std::string message);
  bool usage_error() const { return usage_error_; }

  // For irreversible commands: Ok with `yes` (--yes); else, on a terminal
  // (stdin and stderr), asks `question` on stderr and is Ok if the answer is
  // "y" or "yes". Without a terminal it is a usage error saying to add --yes;
  // a declined answer is one saying that nothing was done.
  quik::Status Confirm(bool yes, const std::string& question);

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
  std::unique_ptr<RemoteApi> api_;
  bool usage_error_ = false;
};

using Action = std::function<quik::Result<Printable>(Cli&)>;

// Each command group adds its subcommands to `app`; the one the user picked
// stores its action in `*selected` when parsed.
void AddInitCommands(CLI::App& app, Action* selected);  // init, migrate
void AddWorkspaceCommands(CLI::App& app, Action* selected);
void AddUserCommands(CLI::App& app, Action* selected);
void AddChannelCommands(CLI::App& app, Action* selected);
void AddTokenCommands(CLI::App& app, Action* selected);
void AddInviteCommands(CLI::App& app, Action* selected);  // invite create, list, revoke
void AddWebhookCommands(CLI::App& app, Action* selected);
void AddFilesCommands(CLI::App& app, Action* selected);  // files gc, list, show, upload
void AddPostCommand(CLI::App& app, Action* selected);
void AddMessageCommands(CLI::App& app, Action* selected);  // message pin, pins, edits, react
void AddServeCommand(CLI::App& app, Action* selected);
void AddBenchCommands(CLI::App& app, Action* selected);  // bench ws
void AddSearchCommand(CLI::App& app, Action* selected);
void AddApplyCommands(CLI::App& app, Action* selected);     // apply, get
void AddTransferCommands(CLI::App& app, Action* selected);  // export, import
void AddBackupCommands(CLI::App& app, Action* selected);    // backup, restore, verify
// version, config check, completion (which walks the whole command tree when it runs).
void AddOpsCommands(CLI::App& app, Action* selected);

// One line of stdin without its line ending (a password); kInvalidArgument at
// end of input.
quik::Result<std::string> ReadPasswordLine();

// A user (id or email) as JSON, from the service (as the system) or the server.
quik::Result<nlohmann::json> GetUser(Cli& cli, const std::string& ref);

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
