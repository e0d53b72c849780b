// SPDX-License-Identifier: MIT
// ImportSlackExport (quik/slack_import.hpp): a Slack export, read by
// slack_export.hpp, written through transfer::ImportWriter.
//
// Keys (import_keys, source "slack:<team id>"): users by Slack user id, bots
// without a user by "bot:<bot id>", conversations by their id, messages by
// "<conversation id>/<ts>" (a ts is unique within a conversation), files by
// their id.
#include "quik/slack_import.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/text.hpp"
#include "messages/emoji.hpp"
#include "quik/service.hpp"
#include "service/context.hpp"
#include "transfer/import_writer.hpp"
#include "transfer/slack/archive.hpp"
#include "transfer/slack/slack_export.hpp"
#include "transfer/slack/slack_text.hpp"

namespace quik {
namespace transfer::slack {
namespace {

namespace fs = std::filesystem;

// Messages per chunk: with their reactions and files, about kChunkObjects.
constexpr std::size_t kMessagesPerChunk = 400;

std::string Lower(std::string_view s) { return internal::AsciiLower(s); }

// Where the user of a Slack id without an email gets mail: nowhere.
std::string PlaceholderEmail(std::string_view slack_id) {
  std::string local;
  for (char ch : Lower(slack_id)) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
    local += ok ? ch : '-';
  }
  return local + "@slack-import.invalid";
}

std::string MessageKey(const SlackConversation& c, std::string_view ts) {
  return c.id + "/" + std::string(ts);
}

// A bytes file for the writer: the export's own file when it is a folder, a
// temp copy when it is in a zip (removed with this object).
class FileBytes {
 public:
  FileBytes() = default;
  ~FileBytes() {
    if (!temp_.empty()) ::unlink(temp_.c_str());
  }
  FileBytes(const FileBytes&) = delete;
  FileBytes& operator=(const FileBytes&) = delete;

  static Result<std::unique_ptr<FileBytes>> From(Archive& archive, const std::string& rel) {
    auto out = std::make_unique<FileBytes>();
    if (auto local = archive.LocalPath(rel)) {
      out->path_ = *local;
      return out;
    }
    std::string pattern = (fs::temp_directory_path() / "quik-slack-XXXXXX").string();
    const int fd = ::mkstemp(pattern.data());
    if (fd < 0) return Unavailable("cannot create a temp file for " + archive.Describe(rel));
    out->temp_ = out->path_ = pattern;
    Status st = archive.Stream(rel, [&](std::string_view chunk) -> Status {
      while (!chunk.empty()) {
        const ssize_t n = ::write(fd, chunk.data(), chunk.size());
        if (n < 0) return Unavailable("cannot write a temp file: disk full?");
        chunk.remove_prefix(static_cast<std::size_t>(n));
      }
      return Status::Ok();
    });
    ::close(fd);
    if (!st.ok()) return st;
    return out;
  }

  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  fs::path temp_;
};

// What the first pass learns of a conversation's messages.
struct Scan {
  std::map<std::string, Timestamp> joined;  // user -> their last channel_join
  std::string last_topic;                   // of the last channel_topic
  std::string last_purpose;
  bool topic_set = false;
  bool purpose_set = false;
};

// What a subtype becomes.
enum class Handling { kMessage, kUnknown, kNotAMessage };

struct SubtypeRule {
  Handling handling;
  const char* why;  // kNotAMessage: the report's reason
};

SubtypeRule Rule(std::string_view subtype) {
  static const std::map<std::string, SubtypeRule, std::less<>> kRules = {
      {"", {Handling::kMessage, ""}},
      {"bot_message", {Handling::kMessage, ""}},
      {"me_message", {Handling::kMessage, ""}},
      {"thread_broadcast", {Handling::kMessage, ""}},
      {"reply_broadcast", {Handling::kMessage, ""}},
      {"file_share", {Handling::kMessage, ""}},
      {"file_comment", {Handling::kMessage, ""}},
      {"slackbot_response", {Handling::kMessage, ""}},
      {"tombstone", {Handling::kMessage, ""}},
      {"channel_join", {Handling::kNotAMessage, "channel_join: a channel membership"}},
      {"group_join", {Handling::kNotAMessage, "channel_join: a channel membership"}},
      {"channel_leave",
       {Handling::kNotAMessage, "channel_leave: membership is the conversation's members"}},
      {"group_leave",
       {Handling::kNotAMessage, "channel_leave: membership is the conversation's members"}},
      {"channel_topic", {Handling::kNotAMessage, "channel_topic: a topic change"}},
      {"group_topic", {Handling::kNotAMessage, "channel_topic: a topic change"}},
      {"channel_purpose",
       {Handling::kNotAMessage, "channel_purpose: the topic when there is none"}},
      {"group_purpose", {Handling::kNotAMessage, "channel_purpose: the topic when there is none"}},
      {"channel_name", {Handling::kNotAMessage, "channel_name: the current name is used"}},
      {"group_name", {Handling::kNotAMessage, "channel_name: the current name is used"}},
      {"channel_archive", {Handling::kNotAMessage, "archive notice: from is_archived"}},
      {"channel_unarchive", {Handling::kNotAMessage, "archive notice: from is_archived"}},
      {"group_archive", {Handling::kNotAMessage, "archive notice: from is_archived"}},
      {"group_unarchive", {Handling::kNotAMessage, "archive notice: from is_archived"}},
      {"pinned_item", {Handling::kNotAMessage, "pin notice: pins come from pinned_to"}},
      {"unpinned_item", {Handling::kNotAMessage, "pin notice: pins come from pinned_to"}},
      {"message_changed", {Handling::kNotAMessage, "edit notice: the message holds the edit"}},
      {"message_deleted", {Handling::kNotAMessage, "delete notice"}},
      {"message_replied", {Handling::kNotAMessage, "thread notice"}},
  };
  auto it = kRules.find(subtype);
  if (it == kRules.end()) return {Handling::kUnknown, ""};
  return it->second;
}

// "+1::skin-tone-2" -> "+1": our reactions have no skin tones by name.
std::string ReactionName(std::string_view name, bool* had_tone) {
  const auto tone = name.find("::skin-tone-");
  *had_tone = tone != std::string_view::npos;
  return std::string(name.substr(0, tone));
}

std::string HumanSize(std::int64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes) / 1024.0;
  int u = 0;
  while (v >= 1024.0 && u < 3) {
    v /= 1024.0;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

// A file whose bytes the export lacks, as a line of its message.
std::string FileLine(const SlackFile& f) {
  std::string label = f.name.empty() ? f.title : f.name;
  if (label.empty()) label = f.id;
  std::string line = "[file: " + label;
  std::string details;
  if (!f.mimetype.empty()) details = f.mimetype;
  if (f.size > 0) details += (details.empty() ? "" : ", ") + HumanSize(f.size);
  if (!details.empty()) line += " (" + details + ")";
  if (!f.url_private.empty()) line += " " + f.url_private;
  return line + "]";
}

class Importer {
 public:
  Importer(internal::Context& ctx, Archive& archive, SlackExport index, std::string slug,
           std::string source, std::string actor_id)
      : archive_(archive),
        index_(std::move(index)),
        slug_(std::move(slug)),
        writer_(ctx, std::move(source), std::move(actor_id)) {}

  // The first pass: every day file parses (else nothing is written), and what
  // the join and topic messages say.
  Status ScanAll() {
    for (const SlackConversation& c : index_.conversations) {
      Scan& scan = scans_[c.id];
      channel_names_[c.id] = c.name;
      for (const std::string& day : DayFiles(archive_, c)) {
        QUIK_ASSIGN_OR_RETURN(auto messages, ReadDay(archive_, day));
        for (const SlackMessage& m : messages) {
          if (m.subtype == "channel_join" || m.subtype == "group_join") {
            if (!m.user.empty()) scan.joined[m.user] = m.ts_ms;
          } else if (m.subtype == "channel_topic" || m.subtype == "group_topic") {
            scan.last_topic = m.topic;
            scan.topic_set = true;
          } else if (m.subtype == "channel_purpose" || m.subtype == "group_purpose") {
            scan.last_purpose = m.purpose;
            scan.purpose_set = true;
          }
        }
      }
    }
    return Status::Ok();
  }

  Result<ImportReport> Run() {
    QUIK_RETURN_IF_ERROR(ScanAll());
    std::string team;
    for (const SlackUser& u : index_.users) {
      if (!u.team_id.empty()) {
        team = u.team_id;
        break;
      }
    }
    Status chunk = writer_.Chunk([&](store::Tx& tx) -> Status {
      QUIK_ASSIGN_OR_RETURN(
          auto ws, writer_.OpenWorkspace(tx, {team.empty() ? slug_ : team, slug_, slug_, 0}));
      (void)ws;
      for (const std::string& link : archive_.SkippedLinks()) {
        writer_.Skip("link", "a symbolic link, not followed: " + link);
      }
      for (const SlackUser& u : index_.users) QUIK_RETURN_IF_ERROR(PutUser(tx, u));
      return Status::Ok();
    });
    if (!chunk.ok()) return chunk;
    for (const SlackConversation& c : index_.conversations) {
      QUIK_RETURN_IF_ERROR(ImportConversation(c));
    }
    ImportReport report = writer_.report();
    report.format = "slack";
    report.workspace_id = writer_.workspace_id();
    report.workspace_slug = slug_;
    auto ws = report.kinds.find("workspace");
    report.workspace_created = ws != report.kinds.end() && ws->second.imported > 0;
    return report;
  }

 private:
  Status PutUser(store::Tx& tx, const SlackUser& u) {
    known_users_.insert(u.id);
    if (!u.bot_id.empty()) bot_users_[u.bot_id] = u.id;
    ImportedUser user;
    user.key = u.id;
    user.email = u.email.empty() ? PlaceholderEmail(u.id) : u.email;
    user.name = !u.display_name.empty() ? u.display_name
                : !u.real_name.empty()  ? u.real_name
                                        : u.name;
    if (user.name.empty()) user.name = u.id;
    // Bots sign in nowhere: they stay as the authors of their messages.
    user.deactivated = u.deleted || u.is_bot;
    QUIK_ASSIGN_OR_RETURN(auto put, writer_.PutUser(tx, user));
    if (put.outcome == Outcome::kSkipped) return Status::Ok();
    if (u.email.empty() && !u.is_bot && put.outcome == Outcome::kCreated)
      writer_.Note("user", "no email: <slack id>@slack-import.invalid");
    user_ids_[u.id] = put.local_id;
    ImportedMember member;
    member.user_key = u.id;
    member.role = u.is_owner        ? Role::kOwner
                  : u.is_admin      ? Role::kAdmin
                  : u.is_restricted ? Role::kGuest
                                    : Role::kMember;
    return writer_.PutMember(tx, member).status();
  }

  // A user the messages name that users.json lacks (a bot, Slackbot, a user
  // of another team): a deactivated placeholder, made once.
  Result<std::string> PlaceholderUser(store::Tx& tx, const std::string& key,
                                      const std::string& name, const std::string& email) {
    if (user_ids_.count(key)) return key;
    ImportedUser user;
    user.key = key;
    user.email = email;
    user.name = name.empty() ? key : name;
    user.deactivated = true;
    QUIK_ASSIGN_OR_RETURN(auto put, writer_.PutUser(tx, user));
    if (put.outcome == Outcome::kSkipped) return std::string();
    user_ids_[key] = put.local_id;
    QUIK_RETURN_IF_ERROR(writer_.PutMember(tx, {key, Role::kMember, 0}).status());
    return key;
  }

  // The key of a message's author; "" if it has none.
  Result<std::string> AuthorKey(store::Tx& tx, const SlackMessage& m) {
    if (!m.user.empty() && known_users_.count(m.user)) return m.user;
    if (!m.bot_id.empty()) {
      if (auto it = bot_users_.find(m.bot_id); it != bot_users_.end()) return it->second;
      return PlaceholderUser(tx, "bot:" + m.bot_id, m.username.empty() ? m.bot_id : m.username,
                             PlaceholderEmail(m.bot_id));
    }
    if (!m.user.empty()) {
      if (m.user == "USLACKBOT") {
        return PlaceholderUser(tx, m.user, "Slackbot", PlaceholderEmail(m.user));
      }
      return PlaceholderUser(tx, m.user, m.profile_name, PlaceholderEmail(m.user));
    }
    if (!m.username.empty()) {
      std::string id = "bot-" + Lower(m.username);
      return PlaceholderUser(tx, "bot:" + m.username, m.username, PlaceholderEmail(id));
    }
    return std::string();
  }

  Status ImportConversation(const SlackConversation& c) {
    const Scan& scan = scans_[c.id];
    bool adopted = false;
    Status chunk = writer_.Chunk([&](store::Tx& tx) -> Status {
      ImportedChannel ch;
      ch.key = c.id;
      ch.name = c.name;
      switch (c.kind) {
        case ConversationKind::kChannel:
          ch.kind = ChannelKind::kPublic;
          break;
        case ConversationKind::kGroup:
          ch.kind = ChannelKind::kPrivate;
          break;
        case ConversationKind::kDm:
          ch.kind = ChannelKind::kDirect;
          break;
        case ConversationKind::kMpim:
          ch.kind = ChannelKind::kGroup;
          break;
      }
      // channels.json holds the current topic; the last channel_topic
      // message says the same, or more when the export lacks it.
      ch.topic = !c.topic.empty() ? c.topic : scan.topic_set ? scan.last_topic : "";
      if (ch.topic.empty()) {
        const std::string purpose = !c.purpose.empty() ? c.purpose : scan.last_purpose;
        if (!purpose.empty()) {
          ch.topic = purpose;
          writer_.Note("channel", "no topic: its purpose used as the topic");
        }
      }
      ch.archived = c.is_archived;
      ch.creator_key = c.creator;
      ch.created_at = c.created;
      if (ch.kind == ChannelKind::kDirect || ch.kind == ChannelKind::kGroup) {
        ch.people = c.members;
        std::sort(ch.people.begin(), ch.people.end());
        ch.people.erase(std::unique(ch.people.begin(), ch.people.end()), ch.people.end());
      }
      QUIK_ASSIGN_OR_RETURN(auto put, writer_.PutChannel(tx, ch));
      if (put.outcome == Outcome::kSkipped) return Status::Ok();
      adopted = true;
      if (ch.kind == ChannelKind::kPublic || ch.kind == ChannelKind::kPrivate) {
        for (const std::string& member : c.members) {
          auto joined = scan.joined.find(member);
          ImportedChannelMember cm{c.id, member,
                                   joined != scan.joined.end() ? joined->second : c.created};
          QUIK_RETURN_IF_ERROR(writer_.PutChannelMember(tx, cm).status());
        }
      }
      return Status::Ok();
    });
    if (!chunk.ok()) return chunk;
    if (!adopted) return Status::Ok();  // skipped (counted): its messages have nowhere to go

    std::vector<SlackMessage> batch;
    for (const std::string& day : DayFiles(archive_, c)) {
      QUIK_ASSIGN_OR_RETURN(auto messages, ReadDay(archive_, day));
      for (SlackMessage& m : messages) {
        batch.push_back(std::move(m));
        if (batch.size() >= kMessagesPerChunk) {
          QUIK_RETURN_IF_ERROR(WriteBatch(c, batch));
          batch.clear();
        }
      }
    }
    if (!batch.empty()) QUIK_RETURN_IF_ERROR(WriteBatch(c, batch));
    return Status::Ok();
  }

  Status WriteBatch(const SlackConversation& c, const std::vector<SlackMessage>& batch) {
    // File contents out of the zip first, so the write lock is not held for it.
    std::map<std::string, std::unique_ptr<FileBytes>> bytes;  // by file id
    for (const SlackMessage& m : batch) {
      for (const SlackFile& f : m.files) {
        if (f.content.empty() || f.id.empty() || bytes.count(f.id)) continue;
        QUIK_ASSIGN_OR_RETURN(bytes[f.id], FileBytes::From(archive_, f.content));
      }
    }
    return writer_.Chunk([&](store::Tx& tx) -> Status {
      for (const SlackMessage& m : batch) QUIK_RETURN_IF_ERROR(PutMessage(tx, c, m, bytes));
      return Status::Ok();
    });
  }

  Status PutMessage(store::Tx& tx, const SlackConversation& c, const SlackMessage& m,
                    const std::map<std::string, std::unique_ptr<FileBytes>>& bytes) {
    const SubtypeRule rule = Rule(m.subtype);
    if (rule.handling == Handling::kNotAMessage) {
      writer_.Skip("message", rule.why);
      return Status::Ok();
    }
    if (rule.handling == Handling::kUnknown) {
      writer_.Note("message", "unknown subtype '" + m.subtype + "': kept as a plain message");
    }
    ImportedMessage im;
    im.key = MessageKey(c, m.ts);
    im.channel_key = c.id;
    QUIK_ASSIGN_OR_RETURN(im.user_key, AuthorKey(tx, m));
    im.created_at = m.ts_ms;
    im.edited_at = m.edited_ms;
    if (m.is_reply()) im.thread_root_key = MessageKey(c, m.thread_ts);
    im.reply_broadcast = m.subtype == "thread_broadcast" || m.subtype == "reply_broadcast";
    if (m.subtype == "tombstone") im.deleted_at = m.ts_ms;

    TextResolver resolver;
    resolver.user = [&](std::string_view id) -> std::optional<std::string> {
      auto it = user_ids_.find(std::string(id));
      if (it == user_ids_.end()) return std::nullopt;
      return it->second;
    };
    resolver.channel = [&](std::string_view id) -> std::optional<std::string> {
      auto it = channel_names_.find(std::string(id));
      if (it == channel_names_.end() || it->second.empty()) return std::nullopt;
      return it->second;
    };
    ConvertedText text = ConvertText(m.text, resolver);
    im.text = std::move(text.text);
    if (m.subtype == "me_message" && !im.text.empty()) im.text = "_" + im.text + "_";
    if (im.deleted_at != 0) im.text.clear();

    // Files: with their bytes as files; without, as a line of the text.
    for (const SlackFile& f : m.files) {
      if (im.deleted_at != 0) break;
      if (f.mode == "tombstone") {
        writer_.Skip("file", "deleted in Slack");
        continue;
      }
      auto b = bytes.find(f.id);
      if (b == bytes.end()) {
        im.text += (im.text.empty() ? "" : "\n") + FileLine(f);
        writer_.Skip("file", "content not in the export: named in the message text");
        continue;
      }
      ImportedFile file;
      file.key = f.id;
      file.user_key = !f.user.empty() && known_users_.count(f.user) ? f.user : im.user_key;
      file.name = !f.name.empty() ? f.name : f.title;
      file.size = f.size;
      file.content_type = f.mimetype;
      file.created_at = f.created != 0 ? f.created : m.ts_ms;
      file.bytes_path = b->second->path();
      QUIK_ASSIGN_OR_RETURN(auto put, writer_.PutFile(tx, file));
      if (put.outcome != Outcome::kSkipped) im.file_keys.push_back(f.id);
    }

    QUIK_ASSIGN_OR_RETURN(auto put, writer_.PutMessage(tx, im));
    if (put.outcome == Outcome::kSkipped) return Status::Ok();
    if (put.outcome == Outcome::kCreated && !text.unknown_users.empty()) {
      writer_.Note("message", "mentions a user not in the export: kept as text");
    }
    if (im.deleted_at != 0) return Status::Ok();

    for (const SlackReaction& r : m.reactions) {
      bool had_tone = false;
      const std::string emoji = ReactionName(r.name, &had_tone);
      for (const std::string& user : r.users) {
        QUIK_ASSIGN_OR_RETURN(auto reaction,
                              writer_.PutReaction(tx, {im.key, user, emoji, m.ts_ms}));
        if (had_tone && reaction.outcome == Outcome::kCreated) {
          writer_.Note("reaction", "skin tone dropped");
        }
      }
    }
    if (std::find(m.pinned_to.begin(), m.pinned_to.end(), c.id) != m.pinned_to.end()) {
      QUIK_RETURN_IF_ERROR(writer_.PutPin(tx, {im.key, "", m.ts_ms}).status());
    }
    return Status::Ok();
  }

  Archive& archive_;
  SlackExport index_;
  std::string slug_;
  ImportWriter writer_;
  std::map<std::string, Scan> scans_;                 // by conversation id
  std::map<std::string, std::string> channel_names_;  // conversation id -> name
  std::set<std::string> known_users_;                 // users.json ids
  std::map<std::string, std::string> bot_users_;      // bot id -> user key
  std::map<std::string, std::string> user_ids_;       // user key -> local id
};

}  // namespace
}  // namespace transfer::slack

Result<ImportReport> ImportSlackExport(Service& service, const Actor& actor,
                                       const std::filesystem::path& from,
                                       const ImportOptions& options) {
  internal::Context* ctx = internal::ContextOf(service);
  if (ctx == nullptr) return Internal("ImportSlackExport needs a Service from Service::Open");
  if (!actor.is_system()) {
    QUIK_ASSIGN_OR_RETURN(auto user, service.users().Get(actor, actor.user_id()));
    if (!user.is_admin) return PermissionDenied("only an instance admin may import");
  }
  if (options.workspace.empty()) {
    return InvalidArgument(
        "a Slack export does not name its workspace: give the workspace to import into "
        "(--workspace SLUG; created if missing)");
  }
  QUIK_ASSIGN_OR_RETURN(auto archive, transfer::slack::Archive::Open(from));
  QUIK_ASSIGN_OR_RETURN(auto index, transfer::slack::ReadIndex(*archive));
  std::string team;
  for (const auto& u : index.users) {
    if (!u.team_id.empty()) {
      team = u.team_id;
      break;
    }
  }
  transfer::slack::Importer importer(*ctx, *archive, std::move(index), options.workspace,
                                     "slack:" + (team.empty() ? std::string("export") : team),
                                     actor.user_id());
  return importer.Run();
}

}  // namespace quik
