// SPDX-License-Identifier: MIT
// Remote mode (--server, --token): the server's HTTP API as JSON calls, and
// its error answers turned back into the Status the service returned.
#include <cctype>
#include <string>
#include <utility>

#include "cli.hpp"
#include "net/http_client.hpp"

namespace quikctl {
namespace {

using nlohmann::json;

constexpr std::string_view kApiPrefix = "/api/v1";

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The code of an answer without a usable {"error":...} body (a proxy's page,
// another server), from its HTTP status.
quik::StatusCode CodeOfHttpStatus(int status) {
  switch (status) {
    case 400:
      return quik::StatusCode::kInvalidArgument;
    case 401:
      return quik::StatusCode::kUnauthenticated;
    case 403:
      return quik::StatusCode::kPermissionDenied;
    case 404:
      return quik::StatusCode::kNotFound;
    case 409:
      return quik::StatusCode::kAlreadyExists;
    case 413:
    case 429:
      return quik::StatusCode::kResourceExhausted;
    case 501:
      return quik::StatusCode::kUnimplemented;
    case 502:
    case 503:
    case 504:
      return quik::StatusCode::kUnavailable;
    default:
      return quik::StatusCode::kInternal;
  }
}

quik::Status ErrorOf(const quik::net::HttpResponse& response, std::string_view method,
                     const std::string& path) {
  json body = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object() && body.contains("error") && body["error"].is_object()) {
    const json& error = body["error"];
    std::string code = Str(error, "code");
    std::string message = Str(error, "message");
    auto parsed = quik::StatusCodeFromName(code);
    quik::StatusCode status_code =
        parsed && *parsed != quik::StatusCode::kOk ? *parsed : CodeOfHttpStatus(response.status);
    if (message.empty()) message = "the server answered HTTP " + std::to_string(response.status);
    return quik::Status(status_code, message);
  }
  std::string message = "the server answered HTTP " + std::to_string(response.status) + " to " +
                        std::string(method) + " " + std::string(kApiPrefix) + path;
  if (response.status == 404) message += " (is --server a QuikApp server?)";
  return quik::Status(CodeOfHttpStatus(response.status), message);
}

}  // namespace

std::string Seg(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    }
  }
  return out;
}

std::string Str(const json& object, std::string_view key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

RemoteApi::RemoteApi(std::unique_ptr<quik::net::HttpClient> client) : client_(std::move(client)) {}
RemoteApi::~RemoteApi() = default;

quik::Result<json> RemoteApi::Call(std::string_view method, const std::string& path,
                                   const json& body) {
  std::string text = body.is_null() ? std::string() : body.dump();
  QUIK_ASSIGN_OR_RETURN(quik::net::HttpResponse response, client_->Request(method, path, text));
  if (response.status < 200 || response.status >= 300) return ErrorOf(response, method, path);
  if (response.body.empty()) return json();
  json decoded = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (decoded.is_discarded()) {
    return quik::Internal("the server's answer to " + std::string(method) + " " +
                          std::string(kApiPrefix) + path + " is not JSON");
  }
  return decoded;
}

quik::Result<json> RemoteApi::Get(const std::string& path) { return Call("GET", path, nullptr); }

quik::Result<json> RemoteApi::Post(const std::string& path, const json& body) {
  return Call("POST", path, body);
}

quik::Result<json> RemoteApi::Patch(const std::string& path, const json& body) {
  return Call("PATCH", path, body);
}

quik::Result<json> RemoteApi::Put(const std::string& path, const json& body) {
  return Call("PUT", path, body);
}

quik::Status RemoteApi::Delete(const std::string& path) {
  auto result = Call("DELETE", path, nullptr);
  return result.ok() ? quik::Status::Ok() : result.status();
}

quik::Result<json> RemoteApi::List(const std::string& path) {
  json all = json::array();
  std::string cursor;
  for (;;) {
    std::string target = path;
    if (!cursor.empty())
      target += (path.find('?') == std::string::npos ? "?cursor=" : "&cursor=") + Seg(cursor);
    QUIK_ASSIGN_OR_RETURN(json page, Get(target));
    if (!page.is_object() || !page.contains("items") || !page["items"].is_array()) {
      return quik::Internal("the server's answer to GET " + std::string(kApiPrefix) + path +
                            " is not a list");
    }
    for (json& item : page["items"]) all.push_back(std::move(item));
    std::string next = Str(page, "next_cursor");
    if (next.empty()) break;
    if (next == cursor) {
      return quik::Internal("the server repeats the cursor of GET " + std::string(kApiPrefix) +
                            path);
    }
    cursor = std::move(next);
  }
  return all;
}

quik::Result<json> RemoteApi::Me() {
  if (!me_) {
    QUIK_ASSIGN_OR_RETURN(json me, Get("/users/me"));
    me_ = std::move(me);
  }
  return *me_;
}

quik::Result<RemoteApi*> Cli::Api() {
  if (api_) return api_.get();
  for (char c : flags_.token) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return quik::InvalidArgument("--token contains control characters");
    }
  }
  // --server names the server (http://HOST:PORT, maybe behind a path prefix);
  // its API is under /api/v1, which may also be given.
  std::string base = flags_.server;
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (!EndsWith(base, kApiPrefix)) base += kApiPrefix;
  quik::net::ClientOptions options;
  options.ca_file = flags_.ca_file;
  options.user_agent = "quikctl";
  options.default_headers = {{"Authorization", "Bearer " + flags_.token},
                             {"Accept", "application/json"}};
  QUIK_ASSIGN_OR_RETURN(quik::net::HttpClient client,
                        quik::net::HttpClient::Connect(base, std::move(options)));
  api_ = std::make_unique<RemoteApi>(std::make_unique<quik::net::HttpClient>(std::move(client)));
  return api_.get();
}

quik::Status Cli::Usage(std::string message) {
  usage_error_ = true;
  return quik::InvalidArgument(std::move(message));
}

}  // namespace quikctl
