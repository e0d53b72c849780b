// SPDX-License-Identifier: MIT
// Printing results (table, json, yaml, -q) and errors.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>
#include <quik/json.hpp>

#include "cli.hpp"
#include "common/text.hpp"

namespace quikctl {
namespace {

using nlohmann::json;

// JSON dumps replace invalid UTF-8 rather than throwing: a message body is
// user data and must never make the CLI fail after the write succeeded.
std::string Dump(const json& j, int indent) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

std::size_t CodePoints(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

// The first `max` code points of `s`, with "..." when cut.
std::string Truncate(std::string_view s, std::size_t max) {
  if (max == 0 || CodePoints(s) <= max) return std::string(s);
  std::size_t keep = max > 3 ? max - 3 : max;
  std::size_t n = 0;
  std::size_t i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (n == keep) break;
      ++n;
    }
  }
  return std::string(s.substr(0, i)) + "...";
}

std::string Cell(const json& row, const Column& column) {
  auto it = row.find(column.key);
  // "message.id": a field of a nested object (search results).
  if (it == row.end() && column.key.find('.') != std::string::npos) {
    std::string_view key = column.key;
    const json* obj = &row;
    while (key.find('.') != std::string_view::npos && obj->is_object()) {
      auto inner = obj->find(std::string(key.substr(0, key.find('.'))));
      if (inner == obj->end()) return "-";
      obj = &*inner;
      key.remove_prefix(key.find('.') + 1);
    }
    if (!obj->is_object()) return "-";
    return Cell(*obj, Column{column.header, std::string(key), column.max_width});
  }
  if (it == row.end() || it->is_null()) return "-";
  std::string text;
  if (it->is_string()) {
    text = it->get<std::string>();
  } else if (it->is_boolean()) {
    text = it->get<bool>() ? "true" : "false";
  } else {
    text = Dump(*it, -1);
  }
  if (text.empty()) return "-";
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return Truncate(text, column.max_width);
}

void PrintTable(const json& doc, const std::vector<Column>& columns) {
  std::vector<json> rows;
  if (doc.is_array()) {
    rows.assign(doc.begin(), doc.end());
  } else if (doc.is_object()) {
    rows.push_back(doc);
  }
  std::vector<std::vector<std::string>> cells;
  std::vector<std::size_t> widths;
  for (const Column& c : columns) widths.push_back(CodePoints(c.header));
  for (const json& row : rows) {
    std::vector<std::string> line;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      line.push_back(Cell(row, columns[i]));
      widths[i] = std::max(widths[i], CodePoints(line.back()));
    }
    cells.push_back(std::move(line));
  }
  auto print_line = [&](const std::vector<std::string>& line) {
    std::string out;
    for (std::size_t i = 0; i < line.size(); ++i) {
      out += line[i];
      if (i + 1 < line.size()) out.append(widths[i] - CodePoints(line[i]) + 3, ' ');
    }
    std::cout << out << '\n';
  };
  std::vector<std::string> header;
  for (const Column& c : columns) header.push_back(c.header);
  print_line(header);
  for (const auto& line : cells) print_line(line);
}

void EmitYaml(YAML::Emitter& out, const json& j) {
  switch (j.type()) {
    case json::value_t::object:
      if (j.empty()) out << YAML::Flow;
      out << YAML::BeginMap;
      for (const auto& [key, value] : j.items()) {
        out << YAML::Key << key << YAML::Value;
        EmitYaml(out, value);
      }
      out << YAML::EndMap;
      break;
    case json::value_t::array:
      if (j.empty()) out << YAML::Flow;
      out << YAML::BeginSeq;
      for (const json& value : j) EmitYaml(out, value);
      out << YAML::EndSeq;
      break;
    case json::value_t::string: {
      const auto& s = j.get_ref<const std::string&>();
      if (quik::internal::YamlNeedsQuotes(s)) out << YAML::DoubleQuoted;
      out << s;
      break;
    }
    case json::value_t::boolean:
      out << j.get<bool>();
      break;
    case json::value_t::number_integer:
      out << j.get<std::int64_t>();
      break;
    case json::value_t::number_unsigned:
      out << j.get<std::uint64_t>();
      break;
    case json::value_t::number_float:
      out << j.get<double>();
      break;
    default:
      out << YAML::Null;
      break;
  }
}

std::vector<std::string> QuietLines(const Printable& p) {
  if (p.quiet_lines) return *p.quiet_lines;
  std::vector<std::string> lines;
  auto add = [&](const json& obj) {
    if (!obj.is_object()) return;
    auto it = obj.find("id");
    if (it != obj.end() && it->is_string()) lines.push_back(it->get<std::string>());
  };
  if (p.doc.is_array()) {
    for (const json& element : p.doc) add(element);
  } else {
    add(p.doc);
  }
  return lines;
}

}  // namespace

Printable One(json object, std::vector<Column> columns) {
  Printable p;
  p.doc = std::move(object);
  p.columns = std::move(columns);
  return p;
}

Printable Many(json array, std::vector<Column> columns) {
  Printable p;
  p.doc = array.is_array() ? std::move(array) : json::array();
  p.columns = std::move(columns);
  return p;
}

Printable Done(json object, std::string note) {
  Printable p;
  p.doc = std::move(object);
  p.notes.push_back(std::move(note));
  p.quiet_lines = std::vector<std::string>{};
  return p;
}

std::vector<Column> WorkspaceColumns() {
  return {{"ID", "id"}, {"SLUG", "slug"}, {"NAME", "name", 40}, {"CREATED", "created_at"}};
}

std::vector<Column> UserColumns() {
  return {{"ID", "id"},         {"EMAIL", "email"},    {"NAME", "name", 40},
          {"ACTIVE", "active"}, {"ADMIN", "is_admin"}, {"CREATED", "created_at"}};
}

std::vector<Column> MemberColumns() {
  return {{"WORKSPACE", "workspace_id"}, {"USER", "user_id"}, {"EMAIL", "email"},
          {"NAME", "name", 40},          {"ROLE", "role"},    {"JOINED", "joined_at"}};
}

std::vector<Column> ChannelColumns() {
  return {{"ID", "id"},           {"NAME", "name"},
          {"KIND", "kind"},       {"ARCHIVED", "archived"},
          {"TOPIC", "topic", 40}, {"CREATED", "created_at"}};
}

std::vector<Column> ChannelMemberColumns() {
  return {{"CHANNEL", "channel_id"},
          {"USER", "user_id"},
          {"EMAIL", "email"},
          {"NAME", "name", 40},
          {"JOINED", "joined_at"}};
}

std::vector<Column> TokenColumns() {
  return {{"ID", "id"},
          {"USER", "user_id"},
          {"NAME", "name", 40},
          {"KIND", "kind"},
          {"CREATED", "created_at"},
          {"EXPIRES", "expires_at"},
          {"REVOKED", "revoked_at"}};
}

std::vector<Column> MessageColumns() {
  return {{"ID", "id"},
          {"CHANNEL", "channel_id"},
          {"USER", "user_id"},
          {"CREATED", "created_at"},
          {"TEXT", "text", 50}};
}

std::vector<Column> MigrationColumns() {
  return {{"VERSION", "version"},
          {"NAME", "name"},
          {"APPLIED", "applied"},
          {"APPLIED_AT", "applied_at"}};
}

void Print(const Printable& p, const GlobalFlags& flags) {
  if (p.silent) return;
  if (flags.quiet) {
    for (const std::string& line : QuietLines(p)) std::cout << line << '\n';
    std::cout.flush();
    return;
  }
  switch (flags.format()) {
    case OutputFormat::kJson:
      std::cout << Dump(p.doc, 2) << '\n';
      break;
    case OutputFormat::kYaml: {
      if (p.yaml_text) {
        std::cout << *p.yaml_text;
        break;
      }
      YAML::Emitter out;
      out.SetIndent(2);
      EmitYaml(out, p.doc);
      std::cout << out.c_str() << '\n';
      break;
    }
    case OutputFormat::kTable:
      if (!p.columns.empty()) PrintTable(p.doc, p.columns);
      for (const std::string& note : p.notes) std::cout << note << '\n';
      break;
  }
  std::cout.flush();
}

void PrintError(const quik::Status& status, bool as_json, std::string_view code) {
  std::string name(code.empty() ? quik::StatusCodeName(status.code()) : code);
  std::string message = status.message();
  // One line, always: scripts read the last line of stderr.
  for (char& c : message) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!message.empty() && message.back() == ' ') message.pop_back();
  if (as_json) {
    json j = {{"error", {{"code", name}, {"message", message}}}};
    std::cerr << Dump(j, -1) << '\n';
  } else {
    std::cerr << "quikctl: " << name << ": " << message << '\n';
  }
  std::cerr.flush();
}

}  // namespace quikctl
