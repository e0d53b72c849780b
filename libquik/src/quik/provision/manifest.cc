// SPDX-License-Identifier: MIT
// Manifests: reading them from YAML with the line of every error, checking
// them, and writing them back (quik/provision.hpp).
#include <algorithm>
#include <cctype>
#include <exception>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

// GCC 12 reports yaml-cpp's inline Node accessors (impl.h) as returning
// dangling pointers once inlined: a false positive in a system header.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>
#pragma GCC diagnostic pop

#include "common/text.hpp"
#include "provision/provision_internal.hpp"
#include "quik/options.hpp"
#include "quik/provision.hpp"

namespace quik {
namespace provision {

std::string FileLabel(const Manifest& manifest) {
  return manifest.file_name.empty() ? "manifest" : manifest.file_name;
}

void Errors::Add(int line, std::string_view path, std::string_view problem) {
  std::string text;
  if (line > 0) text = file + ":" + std::to_string(line) + ": ";
  if (!path.empty()) text += std::string(path) + ": ";
  text += problem;
  items.emplace_back(line, std::move(text));
}

Status Errors::ToStatus() {
  if (items.empty()) return Status::Ok();
  std::stable_sort(items.begin(), items.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string message;
  std::set<std::string> seen;
  for (const auto& [line, text] : items) {
    if (!seen.insert(text).second) continue;
    if (!message.empty()) message += '\n';
    message += text;
  }
  return InvalidArgument(std::move(message));
}

std::string WorkspaceSlug(const ManifestWorkspace& ws) {
  return ws.slug.empty() ? internal::Slugify(ws.name) : ws.slug;
}

std::string EmailKey(std::string_view email) {
  return internal::AsciiLower(internal::TrimWhitespace(email));
}

std::string DefaultName(std::string_view email) {
  std::string_view local = email.substr(0, email.find('@'));
  return std::string(local.empty() ? email : local);
}

void Validate(const Manifest& manifest, const LimitsOptions& limits, Errors& errors) {
  if (manifest.api_version != kManifestApiVersion) {
    errors.Add(1, "apiVersion",
               "'" + manifest.api_version + "' is not supported; expected " +
                   std::string(kManifestApiVersion));
  }
  std::map<std::string, int> slugs;  // slug -> line of its first workspace
  for (std::size_t wi = 0; wi < manifest.workspaces.size(); ++wi) {
    const ManifestWorkspace& ws = manifest.workspaces[wi];
    if (ws.line == kUnreadable) continue;
    const std::string wpath = "workspaces[" + std::to_string(wi) + "]";
    if (internal::TrimWhitespace(ws.name).empty()) {
      errors.Add(ws.line, wpath + ".name", "required (the workspace's display name)");
    } else if (Status st = internal::CheckText(ws.name, limits.name_max_chars, "workspace name");
               !st.ok()) {
      errors.Add(ws.line, wpath + ".name", st.message());
    }
    std::string slug = WorkspaceSlug(ws);
    if (slug.empty()) {
      if (!internal::TrimWhitespace(ws.name).empty()) {
        errors.Add(ws.line, wpath + ".slug",
                   "cannot derive a slug from the name '" + ws.name + "'; give one");
      }
    } else if (Status st = internal::CheckSlug(slug); !st.ok()) {
      errors.Add(ws.line, wpath + ".slug", st.message());
    } else if (auto [it, fresh] = slugs.emplace(slug, ws.line); !fresh) {
      errors.Add(ws.line, wpath + ".slug",
                 "workspace '" + slug + "' is declared twice (first at line " +
                     std::to_string(it->second) + ")");
    }
    if (ws.members) {
      std::map<std::string, int> emails;
      for (std::size_t mi = 0; mi < ws.members->size(); ++mi) {
        const ManifestMember& m = (*ws.members)[mi];
        if (m.line == kUnreadable) continue;
        const std::string mpath = wpath + ".members[" + std::to_string(mi) + "]";
        if (m.email.empty()) {
          errors.Add(m.line, mpath + ".email", "required");
        } else if (Status st = internal::CheckEmail(m.email); !st.ok()) {
          errors.Add(m.line, mpath + ".email", st.message());
        } else if (auto [it, fresh] = emails.emplace(EmailKey(m.email), m.line); !fresh) {
          errors.Add(
              m.line, mpath + ".email",
              m.email + " is listed twice (first at line " + std::to_string(it->second) + ")");
        }
        if (m.name) {
          if (Status st = internal::CheckText(*m.name, limits.name_max_chars, "name"); !st.ok()) {
            errors.Add(m.line, mpath + ".name", st.message());
          }
        }
      }
    }
    if (ws.channels) {
      std::map<std::string, int> names;
      for (std::size_t ci = 0; ci < ws.channels->size(); ++ci) {
        const ManifestChannel& c = (*ws.channels)[ci];
        if (c.line == kUnreadable) continue;
        const std::string cpath = wpath + ".channels[" + std::to_string(ci) + "]";
        auto name = internal::NormalizeChannelName(c.name);
        if (c.name.empty()) {
          errors.Add(c.line, cpath + ".name", "required");
        } else if (!name.ok()) {
          errors.Add(c.line, cpath + ".name", name.status().message());
        } else if (auto [it, fresh] = names.emplace(*name, c.line); !fresh) {
          errors.Add(c.line, cpath + ".name",
                     "#" + *name + " is declared twice (first at line " +
                         std::to_string(it->second) + ")");
        }
        if (c.topic) {
          if (Status st = internal::CheckText(*c.topic, limits.topic_max_chars, "topic", true);
              !st.ok()) {
            errors.Add(c.line, cpath + ".topic", st.message());
          }
        }
        if (c.members) {
          std::map<std::string, int> emails;
          for (std::size_t ei = 0; ei < c.members->size(); ++ei) {
            const std::string& email = (*c.members)[ei];
            int line = ei < c.member_lines.size() ? c.member_lines[ei] : c.line;
            const std::string epath = cpath + ".members[" + std::to_string(ei) + "]";
            if (Status st = internal::CheckEmail(email); !st.ok()) {
              errors.Add(line, epath, st.message());
            } else if (auto [it, fresh] = emails.emplace(EmailKey(email), line); !fresh) {
              errors.Add(
                  line, epath,
                  email + " is listed twice (first at line " + std::to_string(it->second) + ")");
            }
          }
        }
      }
    }
  }
}

}  // namespace provision

namespace {

using provision::Errors;
using provision::kMaxManifestExpandedBytes;
using provision::kMaxManifestExpandedNodes;
using provision::kUnreadable;

int LineOf(const YAML::Node& node) {
  YAML::Mark mark = node.Mark();
  return mark.is_null() ? 0 : mark.line + 1;
}

const char* TypeName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Null:
      return "nothing (null)";
    default:
      return "nothing";
  }
}

// Reads one mapping: each known key's handler runs once; unknown and repeated
// keys are errors.
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string path, Errors& errors)
      : node_(node), path_(std::move(path)), errors_(errors) {}

  // false (with an error) if the node is not a map.
  bool IsMap(std::string_view what) {
    if (node_.IsMap()) return true;
    errors_.Add(LineOf(node_), path_,
                "expected " + std::string(what) + " (a map of keys), not " + TypeName(node_));
    return false;
  }

  // The value of each key, by name; reports unknown and repeated keys.
  std::map<std::string, YAML::Node> Fields(const std::vector<std::string>& known) {
    std::map<std::string, YAML::Node> out;
    for (auto it = node_.begin(); it != node_.end(); ++it) {
      // Copies: the iterator's pair is a temporary (a reference would dangle).
      const YAML::Node key = it->first;
      if (!key.IsScalar()) {
        errors_.Add(LineOf(key), path_,
                    "keys must be plain words, not " + std::string(TypeName(key)));
        continue;
      }
      const std::string& name = key.Scalar();
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        std::string list;
        for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
        errors_.Add(LineOf(key), Join(name), "unknown field (expected one of: " + list + ")");
        continue;
      }
      if (out.count(name) != 0) {
        errors_.Add(LineOf(key), Join(name), "given twice");
        continue;
      }
      out.emplace(name, it->second);
    }
    return out;
  }

  std::string Join(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

 private:
  const YAML::Node node_;  // a handle: copying it is cheap
  std::string path_;
  Errors& errors_;
};

// A string field: a scalar (null reads as ""). nullopt with an error otherwise.
std::optional<std::string> ReadString(const YAML::Node& node, const std::string& path,
                                      Errors& errors) {
  if (node.IsNull()) return std::string();
  if (node.IsScalar()) return node.Scalar();
  errors.Add(LineOf(node), path, std::string("expected a string, not ") + TypeName(node));
  return std::nullopt;
}

std::optional<bool> ReadBool(const YAML::Node& node, const std::string& path, Errors& errors) {
  if (node.IsScalar() && node.Tag() != "!") {  // "!": a quoted scalar, a string
    std::string v = internal::AsciiLower(node.Scalar());
    if (v == "true" || v == "yes" || v == "on") return true;
    if (v == "false" || v == "no" || v == "off") return false;
  }
  std::string shown = node.IsScalar() ? "'" + node.Scalar() + "'" : TypeName(node);
  errors.Add(LineOf(node), path, "expected true or false, not " + shown);
  return std::nullopt;
}

// A list field: false (with an error) unless a sequence.
bool IsList(const YAML::Node& node, const std::string& path, Errors& errors) {
  if (node.IsSequence()) return true;
  std::string hint = node.IsNull() ? " (write [] for an empty list)" : "";
  errors.Add(LineOf(node), path, std::string("expected a list, not ") + TypeName(node) + hint);
  return false;
}

void ReadMember(const YAML::Node& node, const std::string& path, ManifestMember& m,
                Errors& errors) {
  m.line = LineOf(node);
  MapReader reader(node, path, errors);
  if (!reader.IsMap("a member like {email: bob@example.com, role: member}")) {
    m.line = kUnreadable;
    return;
  }
  auto fields = reader.Fields({"email", "name", "role"});
  if (auto it = fields.find("email"); it != fields.end()) {
    m.email = ReadString(it->second, path + ".email", errors).value_or("");
    m.email = std::string(internal::TrimWhitespace(m.email));
  } else {
    errors.Add(m.line, path + ".email", "required");
  }
  if (auto it = fields.find("name"); it != fields.end()) {
    m.name = ReadString(it->second, path + ".name", errors);
  }
  if (auto it = fields.find("role"); it != fields.end()) {
    if (auto text = ReadString(it->second, path + ".role", errors)) {
      m.role = ParseRole(internal::AsciiLower(*text));
      if (!m.role) {
        errors.Add(LineOf(it->second), path + ".role",
                   "unknown role '" + *text + "' (expected owner, admin, member or guest)");
      }
    }
  }
}

void ReadChannel(const YAML::Node& node, const std::string& path, ManifestChannel& c,
                 Errors& errors) {
  c.line = LineOf(node);
  MapReader reader(node, path, errors);
  if (!reader.IsMap("a channel like {name: general}")) {
    c.line = kUnreadable;
    return;
  }
  auto fields = reader.Fields({"name", "private", "topic", "members", "archived"});
  if (auto it = fields.find("name"); it != fields.end()) {
    c.name = ReadString(it->second, path + ".name", errors).value_or("");
  } else {
    errors.Add(c.line, path + ".name", "required");
  }
  if (auto it = fields.find("private"); it != fields.end()) {
    c.is_private = ReadBool(it->second, path + ".private", errors);
  }
  if (auto it = fields.find("archived"); it != fields.end()) {
    c.archived = ReadBool(it->second, path + ".archived", errors).value_or(false);
  }
  if (auto it = fields.find("topic"); it != fields.end()) {
    c.topic = ReadString(it->second, path + ".topic", errors);
  }
  if (auto it = fields.find("members"); it != fields.end()) {
    if (IsList(it->second, path + ".members", errors)) {
      c.members.emplace();
      for (std::size_t i = 0; i < it->second.size(); ++i) {
        const YAML::Node& entry = it->second[i];
        std::string epath = path + ".members[" + std::to_string(i) + "]";
        if (!entry.IsScalar()) {
          errors.Add(LineOf(entry), epath,
                     std::string("expected an email, not ") + TypeName(entry));
          continue;
        }
        c.members->push_back(std::string(internal::TrimWhitespace(entry.Scalar())));
        c.member_lines.push_back(LineOf(entry));
      }
    }
  }
}

void ReadWorkspace(const YAML::Node& node, const std::string& path, ManifestWorkspace& ws,
                   Errors& errors) {
  ws.line = LineOf(node);
  MapReader reader(node, path, errors);
  if (!reader.IsMap("a workspace like {name: Acme, slug: acme}")) {
    ws.line = kUnreadable;
    return;
  }
  auto fields = reader.Fields({"name", "slug", "members", "channels"});
  if (auto it = fields.find("name"); it != fields.end()) {
    ws.name = ReadString(it->second, path + ".name", errors).value_or("");
  } else {
    errors.Add(ws.line, path + ".name", "required (the workspace's display name)");
  }
  if (auto it = fields.find("slug"); it != fields.end()) {
    ws.slug = ReadString(it->second, path + ".slug", errors).value_or("");
  }
  if (auto it = fields.find("members"); it != fields.end()) {
    if (IsList(it->second, path + ".members", errors)) {
      ws.members.emplace();
      for (std::size_t i = 0; i < it->second.size(); ++i) {
        ManifestMember m;
        ReadMember(it->second[i], path + ".members[" + std::to_string(i) + "]", m, errors);
        ws.members->push_back(std::move(m));
      }
    }
  }
  if (auto it = fields.find("channels"); it != fields.end()) {
    if (IsList(it->second, path + ".channels", errors)) {
      ws.channels.emplace();
      for (std::size_t i = 0; i < it->second.size(); ++i) {
        ManifestChannel c;
        ReadChannel(it->second[i], path + ".channels[" + std::to_string(i) + "]", c, errors);
        ws.channels->push_back(std::move(c));
      }
    }
  }
}

void ReadManifest(const YAML::Node& root, Manifest& manifest, Errors& errors) {
  if (root.IsNull() || !root.IsDefined()) {
    errors.Add(1, "", "the manifest is empty; expected apiVersion: quik/v1 and workspaces: [...]");
    return;
  }
  MapReader reader(root, "", errors);
  if (!reader.IsMap("a manifest with apiVersion and workspaces")) return;
  auto fields = reader.Fields({"apiVersion", "workspaces"});
  if (auto it = fields.find("apiVersion"); it != fields.end()) {
    if (auto v = ReadString(it->second, "apiVersion", errors)) {
      if (*v != kManifestApiVersion) {
        errors.Add(LineOf(it->second), "apiVersion",
                   "'" + *v + "' is not supported; expected " + std::string(kManifestApiVersion));
      }
    }
  } else {
    errors.Add(1, "apiVersion", "required (apiVersion: " + std::string(kManifestApiVersion) + ")");
  }
  if (auto it = fields.find("workspaces"); it != fields.end()) {
    if (IsList(it->second, "workspaces", errors)) {
      for (std::size_t i = 0; i < it->second.size(); ++i) {
        ManifestWorkspace ws;
        ReadWorkspace(it->second[i], "workspaces[" + std::to_string(i) + "]", ws, errors);
        manifest.workspaces.push_back(std::move(ws));
      }
    }
  } else {
    errors.Add(1, "workspaces", "required (a list of workspaces)");
  }
}

// What a YAML document expands to once every alias is replaced by what its
// anchor names, counted from the parser's events without building anything:
// a few aliases of a big anchored string (or of lists of aliases) would
// otherwise grow the manifest's copy to gigabytes. Past either bound it
// throws TooLarge at the alias that crossed it.
class ExpansionCounter final : public YAML::EventHandler {
 public:
  struct TooLarge {
    int line;
    std::string what;
  };

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { Leaf(mark, anchor, 0); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    const Size size = anchor < anchors_.size() ? anchors_[anchor] : Size{};
    Add(mark, size);
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    Leaf(mark, anchor, value.size());
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(mark, anchor);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(mark, anchor);
  }
  void OnMapEnd() override { Close(); }

 private:
  struct Size {
    std::uint64_t bytes = 0;
    std::uint64_t nodes = 0;
  };
  struct Frame {
    YAML::anchor_t anchor;
    Size at_start;
  };

  void Leaf(const YAML::Mark& mark, YAML::anchor_t anchor, std::size_t bytes) {
    const Size size{bytes, 1};
    Add(mark, size);
    Name(anchor, size);
  }
  void Open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    Add(mark, Size{0, 1});
    open_.push_back(Frame{anchor, total_});
  }
  void Close() {
    if (open_.empty()) return;
    const Frame f = open_.back();
    open_.pop_back();
    Name(f.anchor, Size{total_.bytes - f.at_start.bytes, total_.nodes - f.at_start.nodes + 1});
  }
  void Name(YAML::anchor_t anchor, Size size) {
    if (anchor == YAML::NullAnchor) return;
    if (anchors_.size() <= anchor) anchors_.resize(anchor + 1);
    anchors_[anchor] = size;
  }
  void Add(const YAML::Mark& mark, Size size) {
    total_.bytes += size.bytes;
    total_.nodes += size.nodes;
    if (total_.bytes > kMaxManifestExpandedBytes) {
      throw TooLarge{mark.line + 1, "over " + std::to_string(kMaxManifestExpandedBytes) +
                                        " bytes of text once its aliases are expanded"};
    }
    if (total_.nodes > kMaxManifestExpandedNodes) {
      throw TooLarge{mark.line + 1, "over " + std::to_string(kMaxManifestExpandedNodes) +
                                        " values once its aliases are expanded"};
    }
  }

  Size total_;
  std::vector<Frame> open_;
  std::vector<Size> anchors_;  // by anchor number (yaml-cpp numbers them from 1)
};

void EmitString(YAML::Emitter& out, const std::string& s) {
  if (internal::YamlNeedsQuotes(s)) out << YAML::DoubleQuoted;
  out << s;
}

}  // namespace

Result<Manifest> ParseManifest(std::string_view text, std::string_view file_name) {
  Manifest manifest;
  manifest.file_name = std::string(file_name);
  Errors errors{provision::FileLabel(manifest), {}};
  YAML::Node root;
  try {
    // First what it expands to (aliases), so that reading it stays bounded.
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    ExpansionCounter counter;
    while (parser.HandleNextDocument(counter)) {
    }
    root = YAML::Load(std::string(text));
  } catch (const ExpansionCounter::TooLarge& e) {
    return InvalidArgument(errors.file + ":" + std::to_string(e.line) +
                           ": the manifest is too large: " + e.what +
                           " (are anchors and aliases (&name, *name) repeating a big value?)");
  } catch (const YAML::Exception& e) {
    std::string where = errors.file;
    if (!e.mark.is_null()) {
      where += ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1);
    }
    return InvalidArgument(where + ": malformed YAML: " + e.msg);
  } catch (const std::exception& e) {
    return InvalidArgument(errors.file + ": malformed YAML: " + e.what());
  }
  try {
    ReadManifest(root, manifest, errors);
  } catch (const std::exception& e) {
    return InvalidArgument(errors.file + ": unreadable manifest: " + e.what());
  }
  manifest.api_version = std::string(kManifestApiVersion);  // checked above
  // Checks of values, with the default limits (Plan checks the configured ones).
  provision::Validate(manifest, Options{}.limits, errors);
  QUIK_RETURN_IF_ERROR(errors.ToStatus());
  return manifest;
}

nlohmann::json ManifestJson(const Manifest& manifest) {
  nlohmann::json workspaces = nlohmann::json::array();
  for (const ManifestWorkspace& ws : manifest.workspaces) {
    nlohmann::json w = {{"name", ws.name}, {"slug", provision::WorkspaceSlug(ws)}};
    if (ws.members) {
      w["members"] = nlohmann::json::array();
      for (const ManifestMember& m : *ws.members) {
        nlohmann::json j = {{"email", m.email}};
        if (m.name) j["name"] = *m.name;
        if (m.role) j["role"] = std::string(RoleName(*m.role));
        w["members"].push_back(std::move(j));
      }
    }
    if (ws.channels) {
      w["channels"] = nlohmann::json::array();
      for (const ManifestChannel& c : *ws.channels) {
        nlohmann::json j = {{"name", c.name}};
        if (c.is_private) j["private"] = *c.is_private;
        if (c.topic) j["topic"] = *c.topic;
        if (c.members) j["members"] = *c.members;
        if (c.archived) j["archived"] = true;
        w["channels"].push_back(std::move(j));
      }
    }
    workspaces.push_back(std::move(w));
  }
  return {{"apiVersion", manifest.api_version}, {"workspaces", std::move(workspaces)}};
}

std::string ManifestYaml(const Manifest& manifest) {
  YAML::Emitter out;
  out.SetIndent(2);
  out << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << manifest.api_version;
  out << YAML::Key << "workspaces" << YAML::Value << YAML::BeginSeq;
  for (const ManifestWorkspace& ws : manifest.workspaces) {
    out << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value;
    EmitString(out, ws.name);
    out << YAML::Key << "slug" << YAML::Value;
    EmitString(out, provision::WorkspaceSlug(ws));
    if (ws.members) {
      out << YAML::Key << "members" << YAML::Value;
      if (ws.members->empty()) out << YAML::Flow;
      out << YAML::BeginSeq;
      for (const ManifestMember& m : *ws.members) {
        out << YAML::Flow << YAML::BeginMap;
        out << YAML::Key << "email" << YAML::Value;
        EmitString(out, m.email);
        if (m.name) {
          out << YAML::Key << "name" << YAML::Value;
          EmitString(out, *m.name);
        }
        if (m.role) out << YAML::Key << "role" << YAML::Value << std::string(RoleName(*m.role));
        out << YAML::EndMap;
      }
      out << YAML::EndSeq;
    }
    if (ws.channels) {
      out << YAML::Key << "channels" << YAML::Value;
      if (ws.channels->empty()) out << YAML::Flow;
      out << YAML::BeginSeq;
      for (const ManifestChannel& c : *ws.channels) {
        out << YAML::BeginMap;
        out << YAML::Key << "name" << YAML::Value;
        EmitString(out, c.name);
        if (c.is_private) out << YAML::Key << "private" << YAML::Value << *c.is_private;
        if (c.topic) {
          out << YAML::Key << "topic" << YAML::Value;
          EmitString(out, *c.topic);
        }
        if (c.members) {
          out << YAML::Key << "members" << YAML::Value << YAML::Flow << YAML::BeginSeq;
          for (const std::string& email : *c.members) EmitString(out, email);
          out << YAML::EndSeq;
        }
        if (c.archived) out << YAML::Key << "archived" << YAML::Value << true;
        out << YAML::EndMap;
      }
      out << YAML::EndSeq;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace quik
