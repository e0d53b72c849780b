// SPDX-License-Identifier: MIT
#include "transfer/import_writer.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "channels/channels_internal.hpp"
#include "common/ids.hpp"
#include "common/text.hpp"
#include "events/event_log.hpp"
#include "files/blob_store.hpp"
#include "files/files_internal.hpp"
#include "messages/emoji.hpp"
#include "messages/mentions.hpp"
#include "messages/threads.hpp"
#include "quik/channels.hpp"
#include "quik/messages.hpp"
#include "users/users_internal.hpp"

namespace quik::transfer {
namespace {

// A user's email when the source has none (or an unusable one): unique per
// source and key, in a reserved domain that never receives mail.
std::string PlaceholderEmail(std::string_view source, std::string_view key) {
  std::string local;
  for (char ch : std::string(source) + "-" + std::string(key)) {
    char c = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    local += ok ? c : '-';
  }
  if (local.size() > 64) local.resize(64);
  return local + "@import.invalid";
}

// A display name within limits: trimmed, cut at `max_chars` code points.
std::string FitName(std::string_view name, int max_chars) {
  std::string out(internal::TrimWhitespace(name));
  if (static_cast<int>(internal::CodePointCount(out)) <= max_chars) return out;
  std::string cut;
  int n = 0;
  for (std::size_t i = 0; i < out.size() && n < max_chars; ++n) {
    std::size_t len = 1;
    auto c = static_cast<unsigned char>(out[i]);
    if (c >= 0xF0) {
      len = 4;
    } else if (c >= 0xE0) {
      len = 3;
    } else if (c >= 0xC0) {
      len = 2;
    }
    cut.append(out, i, len);
    i += len;
  }
  return cut;
}

bool IsDirect(ChannelKind kind) {
  return kind == ChannelKind::kDirect || kind == ChannelKind::kGroup;
}

}  // namespace

ImportWriter::ImportWriter(internal::Context& ctx, std::string source, std::string actor_id)
    : ctx_(ctx), source_(std::move(source)), actor_id_(std::move(actor_id)) {
  report_.source = source_;
}

KindCounts& ImportWriter::Pending(std::string_view kind) {
  auto it = pending_.find(kind);
  if (it == pending_.end()) it = pending_.emplace(std::string(kind), KindCounts{}).first;
  return it->second;
}

Result<PutResult> ImportWriter::Count(std::string_view kind, PutResult r) {
  KindCounts& c = Pending(kind);
  if (r.outcome == Outcome::kCreated) c.imported++;
  if (r.outcome == Outcome::kExisting) c.existing++;
  return r;
}

Result<PutResult> ImportWriter::Skipped(std::string_view kind, std::string why) {
  Skip(kind, why);
  return PutResult{"", Outcome::kSkipped};
}

void ImportWriter::Skip(std::string_view kind, std::string_view why) {
  KindCounts& c = Pending(kind);
  c.skipped++;
  c.skipped_why[std::string(why)]++;
}

void ImportWriter::Note(std::string_view kind, std::string_view what) {
  Pending(kind).notes[std::string(what)]++;
}

Status ImportWriter::RequireWorkspace() const {
  if (workspace_.id.empty()) return Internal("ImportWriter: OpenWorkspace must come first");
  return Status::Ok();
}

Status ImportWriter::PutKey(store::Tx& tx, std::string_view kind, std::string_view key,
                            std::string_view local_id) {
  if (key.empty()) return Status::Ok();
  return tx.PutImportKey(workspace_.id, source_, kind, key, local_id);
}

Result<std::optional<std::string>> ImportWriter::Lookup(store::Tx& tx, std::string_view kind,
                                                        std::string_view key) {
  QUIK_RETURN_IF_ERROR(RequireWorkspace());
  if (key.empty()) return std::optional<std::string>();
  QUIK_ASSIGN_OR_RETURN(auto id, tx.GetImportKey(workspace_.id, source_, kind, key));
  if (id || !local_ids_ || !internal::LooksLikeId(key)) return id;
  // An export of this very workspace coming back: its ids are ours.
  bool mine = false;
  if (kind == "user") {
    QUIK_ASSIGN_OR_RETURN(auto u, tx.GetUser(key));
    mine = u.has_value();
  } else if (kind == "channel") {
    QUIK_ASSIGN_OR_RETURN(auto c, tx.GetChannel(key));
    mine = c && c->workspace_id == workspace_.id;
  } else if (kind == "message") {
    QUIK_ASSIGN_OR_RETURN(auto m, tx.GetMessage(key));
    mine = m && m->workspace_id == workspace_.id;
  } else if (kind == "file") {
    QUIK_ASSIGN_OR_RETURN(auto f, tx.GetFile(key));
    mine = f && f->workspace_id == workspace_.id;
  }
  if (!mine) return id;
  QUIK_RETURN_IF_ERROR(PutKey(tx, kind, key, key));
  return std::optional<std::string>(std::string(key));
}

Result<std::string> ImportWriter::UserId(store::Tx& tx, std::string_view user_key) {
  QUIK_ASSIGN_OR_RETURN(auto id, Lookup(tx, "user", user_key));
  return id.value_or("");
}

Status ImportWriter::Chunk(const std::function<Status(store::Tx&)>& fn) {
  // Shared before the write lock, as uploads take it: a file's blob is
  // placed inside the chunk and GC must not sweep it before the row commits.
  QUIK_ASSIGN_OR_RETURN(auto blob_lock,
                        files::BlobLock::Acquire(files::BlobsDir(ctx_.options.data_dir),
                                                 files::BlobLock::Mode::kShared));
  const Workspace before = workspace_;
  const bool local_ids_before = local_ids_;
  Status st = ctx_.store->Write([&](store::Tx& tx) -> Status {
    pending_.clear();
    read_ranges_.clear();
    users_cache_.reset();
    workspace_ = before;
    local_ids_ = local_ids_before;
    QUIK_RETURN_IF_ERROR(fn(tx));
    return FinishChunk(tx);
  });
  users_cache_.reset();
  read_ranges_.clear();
  if (!st.ok()) {
    pending_.clear();
    workspace_ = before;
    local_ids_ = local_ids_before;
    return st;
  }
  for (auto& [kind, c] : pending_) {
    KindCounts& total = report_.kinds[kind];
    total.imported += c.imported;
    total.existing += c.existing;
    total.skipped += c.skipped;
    for (auto& [why, n] : c.skipped_why) total.skipped_why[why] += n;
    for (auto& [what, n] : c.notes) total.notes[what] += n;
  }
  pending_.clear();
  return Status::Ok();
}

void ImportWriter::MarkRead(const std::string& channel_id, const std::string& root_id,
                            std::int64_t ordinal, const std::string& id) {
  if (ordinal <= 0) return;
  std::string k = root_id.empty() ? "c:" + channel_id : "t:" + root_id;
  auto [it, inserted] = read_ranges_.try_emplace(k);
  ReadRange& r = it->second;
  if (inserted) {
    r.channel_id = channel_id;
    r.thread_root_id = root_id;
    r.from = ordinal;
  }
  r.to = ordinal;
  r.last_id = id;
}

Status ImportWriter::FinishChunk(store::Tx& tx) {
  for (const auto& [k, r] : read_ranges_) {
    QUIK_RETURN_IF_ERROR(
        tx.AdvanceImportedRead(r.channel_id, r.thread_root_id, r.from, r.to, r.last_id));
  }
  return Status::Ok();
}

Result<const std::vector<User>*> ImportWriter::WorkspaceUsers(store::Tx& tx) {
  if (!users_cache_) {
    QUIK_ASSIGN_OR_RETURN(auto users, tx.ListWorkspaceUsers(workspace_.id));
    users_cache_ = std::move(users);
  }
  return &*users_cache_;
}

Result<Workspace> ImportWriter::OpenWorkspace(store::Tx& tx, const ImportedWorkspace& spec) {
  std::string slug = spec.slug.empty() ? internal::Slugify(spec.name) : spec.slug;
  QUIK_RETURN_IF_ERROR(internal::CheckSlug(slug));
  QUIK_ASSIGN_OR_RETURN(auto found, tx.GetWorkspaceBySlug(slug));
  if (found) {
    workspace_ = std::move(*found);
    (void)Count("workspace", {workspace_.id, Outcome::kExisting});
  } else {
    Workspace& w = workspace_;
    w.created_at = spec.created_at > 0 ? spec.created_at : tx.Now();
    w.id = internal::NewId(tx.Now());
    w.name = FitName(spec.name.empty() ? slug : spec.name, ctx_.options.limits.name_max_chars);
    w.slug = slug;
    QUIK_RETURN_IF_ERROR(tx.InsertWorkspace(w));
    QUIK_RETURN_IF_ERROR(events::Append(tx, "workspace.created", actor_id_, w));
    (void)Count("workspace", {w.id, Outcome::kCreated});
  }
  local_ids_ = workspace_.id == spec.key;
  QUIK_RETURN_IF_ERROR(PutKey(tx, "workspace", spec.key, workspace_.id));
  return workspace_;
}

Result<PutResult> ImportWriter::PutUser(store::Tx& tx, const ImportedUser& spec) {
  QUIK_RETURN_IF_ERROR(RequireWorkspace());
  QUIK_ASSIGN_OR_RETURN(auto known, Lookup(tx, "user", spec.key));
  if (known) {
    QUIK_ASSIGN_OR_RETURN(auto user, tx.GetUser(*known));
    if (user) return Count("user", {*known, Outcome::kExisting});
  }
  std::string email = std::string(internal::TrimWhitespace(spec.email));
  if (email.empty() || !internal::CheckEmail(email).ok()) {
    if (!email.empty()) Note("user", "unusable email replaced by a placeholder");
    email = PlaceholderEmail(source_, spec.key);
  }
  QUIK_ASSIGN_OR_RETURN(auto by_email, tx.GetUserByEmail(internal::AsciiLower(email)));
  if (by_email) {
    // Anyone may sign up with any address: an imported identity goes to an
    // existing account only if an admin, quikctl, a manifest or an invite
    // bound to the address vouched for it. Otherwise it is imported as a
    // user of its own, and the report says so.
    QUIK_ASSIGN_OR_RETURN(bool vouched, tx.GetEmailVouched(by_email->id));
    if (vouched) {
      QUIK_RETURN_IF_ERROR(PutKey(tx, "user", spec.key, by_email->id));
      return Count("user", {by_email->id, Outcome::kExisting});
    }
    Note("user", "not attached to the self-registered account " + by_email->email +
                     " (nobody vouched for its email); imported as a separate user");
    email = PlaceholderEmail(source_, spec.key);
    QUIK_ASSIGN_OR_RETURN(by_email, tx.GetUserByEmail(internal::AsciiLower(email)));
    if (by_email) {
      QUIK_RETURN_IF_ERROR(PutKey(tx, "user", spec.key, by_email->id));
      return Count("user", {by_email->id, Outcome::kExisting});
    }
  }
  NewUser nu;
  nu.email = email;
  nu.name = FitName(spec.name, ctx_.options.limits.name_max_chars);
  if (nu.name.empty()) nu.name = email.substr(0, email.find('@'));
  QUIK_ASSIGN_OR_RETURN(User u, users::InsertUser(tx, nu, "", actor_id_));
  if (spec.deactivated) {
    u.active = false;
    u.deactivated_at = tx.Now();
    QUIK_RETURN_IF_ERROR(tx.UpdateUser(u));
    QUIK_RETURN_IF_ERROR(events::Append(tx, "user.deactivated", actor_id_, u));
  }
  users_cache_.reset();
  QUIK_RETURN_IF_ERROR(PutKey(tx, "user", spec.key, u.id));
  return Count("user", {u.id, Outcome::kCreated});
}

Result<PutResult> ImportWriter::PutMember(store::Tx& tx, const ImportedMember& spec) {
  QUIK_RETURN_IF_ERROR(RequireWorkspace());
  QUIK_ASSIGN_OR_RETURN(std::string user_id, UserId(tx, spec.user_key));
  if (user_id.empty()) return Skipped("member", "unknown user");
  QUIK_ASSIGN_OR_RETURN(auto existing, tx.GetMember(workspace_.id, user_id));
  if (existing) return Count("member", {user_id, Outcome::kExisting});
  Member m{
      workspace_.id, user_id, spec.role, spec.joined_at > 0 ? spec.joined_at : tx.Now(), "", ""};
  QUIK_RETURN_IF_ERROR(tx.UpsertMember(m));
  QUIK_RETURN_IF_ERROR(events::Append(tx, "member.joined", actor_id_, m));
  users_cache_.reset();
  return Count("member", {user_id, Outcome::kCreated});
}

Result<PutResult> ImportWriter::PutChannel(store::Tx& tx, const ImportedChannel& spec) {
  QUIK_RETURN_IF_ERROR(RequireWorkspace());
  QUIK_ASSIGN_OR_RETURN(auto known, Lookup(tx, "channel", spec.key));
  if (known) {
    QUIK_ASSIGN_OR_RETURN(auto ch, tx.GetChannel(*known));
    if (ch) return Count("channel", {*known, Outcome::kExisting});
  }
  QUIK_ASSIGN_OR_RETURN(std::string creator, UserId(tx, spec.creator_key));
  Channel c;
  c.workspace_id = workspace_.id;
  c.created_at = spec.created_at > 0 ? spec.created_at : tx.Now();
  c.id = internal::NewIdAt(c.created_at);
  c.created_by = creator;
  c.archived = spec.archived;
  c.topic = spec.topic;
  if (!internal::CheckText(c.topic, ctx_.options.limits.topic_max_chars, "topic", true).ok()) {
    c.topic = FitName(c.topic, ctx_.options.limits.topic_max_chars);
    Note("channel", "topic cut to limits.topic_max_chars");
  }

  if (IsDirect(spec.kind)) {
    channels::People people;
    for (const std::string& key : spec.people) {
      QUIK_ASSIGN_OR_RETURN(std::string id, UserId(tx, key));
      if (id.empty()) return Skipped("channel", "a DM names an unknown user");
      QUIK_ASSIGN_OR_RETURN(auto user, tx.GetUser(id));
      if (!user) return Skipped("channel", "a DM names an unknown user");
      QUIK_ASSIGN_OR_RETURN(auto member, tx.GetMember(workspace_.id, id));
      if (!member) return Skipped("channel", "a DM names a user who is not a workspace member");
      people.emplace(id, std::move(*user));
    }
    if (people.size() < 2 || people.size() > static_cast<std::size_t>(kMaxDirectPeople)) {
      return Skipped("channel", "a DM needs 2.." + std::to_string(kMaxDirectPeople) + " people");
    }
    const std::string dm_key = channels::DirectKey(people);
    QUIK_ASSIGN_OR_RETURN(auto existing, tx.GetChannelByDmKey(workspace_.id, dm_key));
    if (existing) {
      QUIK_RETURN_IF_ERROR(PutKey(tx, "channel", spec.key, existing->id));
      return Count("channel", {existing->id, Outcome::kExisting});
    }
    c.name = channels::DirectName(people);
    c.kind = channels::DirectKind(people);
    c.topic.clear();
    c.archived = false;
    QUIK_RETURN_IF_ERROR(tx.InsertDirectChannel(c, dm_key));
    QUIK_RETURN_IF_ERROR(events::Append(tx, "channel.created", actor_id_, c));
    for (const auto& [id, user] : people) {
      QUIK_RETURN_IF_ERROR(channels::AddMemberInTx(tx, c, id, actor_id_, c.created_at));
    }
    QUIK_RETURN_IF_ERROR(PutKey(tx, "channel", spec.key, c.id));
    return Count("channel", {c.id, Outcome::kCreated});
  }

  auto name = internal::NormalizeChannelName(spec.name);
  if (!name.ok()) return Skipped("channel", "invalid channel name");
  QUIK_ASSIGN_OR_RETURN(auto taken, tx.GetChannelByName(workspace_.id, *name));
  if (taken) {
    // The workspace has a channel of that name: the import goes into it.
    QUIK_RETURN_IF_ERROR(PutKey(tx, "channel", spec.key, taken->id));
    return Count("channel", {taken->id, Outcome::kExisting});
  }
  c.name = *name;
  c.kind = spec.kind == ChannelKind::kPrivate ? ChannelKind::kPrivate : ChannelKind::kPublic;
  QUIK_RETURN_IF_ERROR(tx.InsertChannel(c));
  QUIK_RETURN_IF_ERROR(events::Append(tx, "channel.created", actor_id_, c));
  QUIK_RETURN_IF_ERROR(PutKey(tx, "channel", spec.key, c.id));
  return Count("channel", {c.id, Outcome::kCreated});
}

Result<PutResult> ImportWriter::PutChannelMember(store::Tx& tx, const ImportedChannelMember& spec) {
  QUIK_RETURN_IF_ERROR(RequireWorkspace());
  QUIK_ASSIGN_OR_RETURN(auto channel_id, Lookup(tx, "channel", spec.channel_key));
  if (!channel_id) return Skipped("channel_member", "unknown channel");
  QUIK_ASSIGN_OR_RETURN(std::string user_id, UserId(tx, spec.user_key));
  if (user_id.empty()) return Skipped("channel_member", "unknown user");
  QUIK_ASSIGN_OR_RETURN(bool in, tx.IsChannelMember(*channel_id, user_id));
  if (in) return Count("channel_member", {user_id, Outcome::kExisting});
  QUIK_ASSIGN_OR_RETURN(auto member, tx.GetMember(workspace_.id, user_id));
  if (!member) return Skipped("channel_member", "user is not a member of the workspace");
  QUIK_ASSIGN_OR_RETURN(auto channel, tx.GetChannel(*channel_id));
  if (!channel) return Skipped("channel_member", "unknown channel");
  if (IsDirect(channel->kind)) {
    // A DM's people are fixed when it is made (PutChannel adds them).
    return Skipped("channel_member", "not one of the DM's people");
  }
  QUIK_RETURN_IF_ERROR(channels::AddMemberInTx(tx, *channel, user_id, actor_id_, spec.joined_at));
  return Count("channel_member", {user_id, Outcome::kCreated});
}

Result<PutResult> ImportWriter::PutFile(store::Tx& tx, const ImportedFile& spec) {
  QUIK_RETURN_IF_ERROR(RequireWorkspace());
  QUIK_ASSIGN_OR_RETURN(auto known, Lookup(tx, "file", spec.key));
  if (known) {
    QUIK_ASSIGN_OR_RETURN(auto f, tx.GetFile(*known));
    if (f) return Count("file", {*known, Outcome::kExisting});
  }
  QUIK_ASSIGN_OR_RETURN(std::string uploader, UserId(tx, spec.user_key));
  if (uploader.empty()) return Skipped("file", "unknown uploader");
  File f;
  if (!spec.bytes_path.empty()) {
    // The same path as an upload: staged while hashed, synced, placed by its
    // SHA-256, sniffed, thumbnailed (files::PlaceStagedBlob). An export is
    // untrusted: a symbolic link is not followed.
    files::Fd fd(::open(spec.bytes_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (fd.get() < 0) {
      if (spec.sha256.empty()) return Skipped("file", "content missing");
      Note("file", "content missing: metadata only");
    } else {
      QUIK_ASSIGN_OR_RETURN(auto staged,
                            files::StagingFile::Create(files::BlobsDir(ctx_.options.data_dir)));
      std::vector<char> buf(256 * 1024);
      for (;;) {
        const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          return Unavailable("cannot read " + spec.bytes_path.string() + ": " +
                             std::strerror(errno));
        }
        if (n == 0) break;
        QUIK_RETURN_IF_ERROR(
            staged->Append(std::string_view(buf.data(), static_cast<std::size_t>(n))));
      }
      QUIK_RETURN_IF_ERROR(staged->Finish());
      if (!spec.sha256.empty() && staged->sha256() != spec.sha256) {
        return Skipped("file", "content does not match its sha256");
      }
      if (staged->size() == 0) return Skipped("file", "empty content");
      QUIK_ASSIGN_OR_RETURN(f, internal::PlaceStagedBlob(ctx_.options, *staged));
    }
  }
  if (f.sha256.empty()) {
    if (!files::LooksLikeSha256(spec.sha256)) return Skipped("file", "no content and no sha256");
    f.sha256 = spec.sha256;
    f.size = spec.size;
    f.content_type = spec.content_type.empty() ? "application/octet-stream" : spec.content_type;
    f.width = spec.width;
    f.height = spec.height;
  }
  f.name = internal::SanitizeFileName(spec.name);
  f.created_at = spec.created_at > 0 ? spec.created_at : tx.Now();
  f.id = internal::NewIdAt(f.created_at);
  f.workspace_id = workspace_.id;
  f.user_id = uploader;
  QUIK_RETURN_IF_ERROR(tx.InsertFile(f));
  QUIK_RETURN_IF_ERROR(PutKey(tx, "file", spec.key, f.id));
  return Count("file", {f.id, Outcome::kCreated});
}

Result<PutResult> ImportWriter::PutMessage(store::Tx& tx, const ImportedMessage& spec) {
  QUIK_RETURN_IF_ERROR(RequireWorkspace());
  QUIK_ASSIGN_OR_RETURN(auto known, Lookup(tx, "message", spec.key));
  if (known) {
    QUIK_ASSIGN_OR_RETURN(auto msg, tx.GetMessage(*known));
    if (msg) return Count("message", {*known, Outcome::kExisting});
  }
  QUIK_ASSIGN_OR_RETURN(auto channel_id, Lookup(tx, "channel", spec.channel_key));
  if (!channel_id) return Skipped("message", "unknown channel");
  QUIK_ASSIGN_OR_RETURN(auto channel, tx.GetChannel(*channel_id));
  if (!channel) return Skipped("message", "unknown channel");
  QUIK_ASSIGN_OR_RETURN(std::string author, UserId(tx, spec.user_key));
  if (author.empty()) return Skipped("message", "unknown author");
  if (spec.created_at <= 0) return Skipped("message", "no creation time");
  if (spec.deleted_at == 0 &&
      !internal::CheckText(spec.text, ctx_.options.limits.message_max_chars, "message text", true)
           .ok()) {
    return Skipped("message", "text over limits.message_max_chars or not UTF-8");
  }
  if (!spec.client_msg_id.empty()) {
    QUIK_ASSIGN_OR_RETURN(auto first,
                          tx.GetMessageByClientId(*channel_id, author, spec.client_msg_id));
    if (first) {
      QUIK_RETURN_IF_ERROR(PutKey(tx, "message", spec.key, first->id));
      return Count("message", {first->id, Outcome::kExisting});
    }
  }

  Message m;
  m.id = internal::NewIdAt(spec.created_at);
  m.channel_id = channel->id;
  m.workspace_id = channel->workspace_id;
  m.user_id = author;
  m.created_at = spec.created_at;
  m.edited_at = spec.edited_at;
  m.deleted_at = spec.deleted_at;
  m.client_msg_id = spec.client_msg_id.size() <= 128 ? spec.client_msg_id : "";
  if (spec.deleted_at == 0) m.text = spec.text;

  std::optional<Message> root;
  if (!spec.thread_root_key.empty()) {
    QUIK_ASSIGN_OR_RETURN(auto root_id, Lookup(tx, "message", spec.thread_root_key));
    if (root_id) {
      auto found = internal::FindThreadRoot(tx, channel->id, *root_id);
      if (found.ok()) root = std::move(*found);
    }
    if (!root) Note("message", "thread root not found: imported as a top-level message");
  }
  if (root && spec.deleted_at == 0) {
    QUIK_RETURN_IF_ERROR(internal::AddThreadReply(tx, *root, m));
    m.reply_broadcast = spec.reply_broadcast;
  } else if (root) {
    // A deleted reply stays out of the thread's counts.
    m.thread_root_id = root->id;
  }
  // A deleted message (kept as the root of its replies) is not in the
  // channel's ordinals: it shows in no list and counts for no one.
  if (spec.deleted_at == 0 && (m.thread_root_id.empty() || m.reply_broadcast)) {
    QUIK_ASSIGN_OR_RETURN(m.ordinal, tx.NextChannelOrdinal(channel->id));
  }
  for (const std::string& key : spec.file_keys) {
    QUIK_ASSIGN_OR_RETURN(auto file_id, Lookup(tx, "file", key));
    if (!file_id) {
      Note("message", "shared file not found: left out");
      continue;
    }
    if (std::find(m.file_ids.begin(), m.file_ids.end(), *file_id) == m.file_ids.end()) {
      m.file_ids.push_back(*file_id);
    }
  }
  if (!m.text.empty() && messages::MayMention(m.text)) {
    // Mentions are kept on the message; as history they move no counters.
    QUIK_ASSIGN_OR_RETURN(const std::vector<User>* users, WorkspaceUsers(tx));
    std::vector<messages::Mentionable> members;
    members.reserve(users->size());
    for (const User& u : *users) {
      if (u.active) members.push_back({u.id, u.name, u.email});
    }
    messages::ParsedMentions parsed = messages::ParseMentions(m.text, members);
    m.mentions = parsed.user_ids;
    m.mentions_channel = parsed.channel;
    m.mentions_here = parsed.here;
  }
  QUIK_RETURN_IF_ERROR(tx.InsertMessage(m));
  if (!m.file_ids.empty()) QUIK_RETURN_IF_ERROR(tx.InsertMessageFiles(m.id, m.file_ids));
  if (root && m.reply_ordinal > 0) {
    // The root's author and the replier follow the thread, having read it.
    std::vector<std::string> followers = {root->user_id};
    if (m.user_id != root->user_id) followers.push_back(m.user_id);
    QUIK_RETURN_IF_ERROR(tx.AutoFollowThread(root->id, m.channel_id, followers, m.reply_ordinal));
    MarkRead(m.channel_id, root->id, m.reply_ordinal, m.id);
  }
  MarkRead(m.channel_id, "", m.ordinal, m.id);
  QUIK_RETURN_IF_ERROR(PutKey(tx, "message", spec.key, m.id));
  return Count("message", {m.id, Outcome::kCreated});
}

Result<PutResult> ImportWriter::PutReaction(store::Tx& tx, const ImportedReaction& spec) {
  QUIK_RETURN_IF_ERROR(RequireWorkspace());
  QUIK_ASSIGN_OR_RETURN(auto message_id, Lookup(tx, "message", spec.message_key));
  if (!message_id) return Skipped("reaction", "unknown message");
  QUIK_ASSIGN_OR_RETURN(auto message, tx.GetMessage(*message_id));
  if (!message || message->deleted_at != 0) return Skipped("reaction", "unknown message");
  QUIK_ASSIGN_OR_RETURN(std::string user_id, UserId(tx, spec.user_key));
  if (user_id.empty()) return Skipped("reaction", "unknown user");
  auto emoji = internal::NormalizeEmoji(spec.emoji);
  if (!emoji.ok()) return Skipped("reaction", "invalid emoji");
  QUIK_ASSIGN_OR_RETURN(bool has, tx.HasReactionEmoji(message->id, *emoji));
  if (!has) {
    QUIK_ASSIGN_OR_RETURN(int emojis, tx.CountReactionEmojis(message->id));
    if (emojis >= MessageService::kMaxReactionEmojis) {
      return Skipped("reaction", "over the emojis a message may have");
    }
  }
  store::ReactionRow row{message->id,
                         message->channel_id,
                         message->workspace_id,
                         *emoji,
                         user_id,
                         spec.created_at > 0 ? spec.created_at : message->created_at};
  QUIK_ASSIGN_OR_RETURN(bool inserted, tx.InsertReaction(row));
  return Count("reaction", {message->id, inserted ? Outcome::kCreated : Outcome::kExisting});
}

Result<PutResult> ImportWriter::PutPin(store::Tx& tx, const ImportedPin& spec) {
  QUIK_RETURN_IF_ERROR(RequireWorkspace());
  QUIK_ASSIGN_OR_RETURN(auto message_id, Lookup(tx, "message", spec.message_key));
  if (!message_id) return Skipped("pin", "unknown message");
  QUIK_ASSIGN_OR_RETURN(auto message, tx.GetMessage(*message_id));
  if (!message || message->deleted_at != 0) return Skipped("pin", "unknown message");
  QUIK_ASSIGN_OR_RETURN(auto pinned, tx.GetPin(message->id));
  if (pinned) return Count("pin", {message->id, Outcome::kExisting});
  QUIK_ASSIGN_OR_RETURN(int pins, tx.CountPins(message->channel_id));
  if (pins >= MessageService::kMaxPinsPerChannel) {
    return Skipped("pin", "over the pins a channel may have");
  }
  QUIK_ASSIGN_OR_RETURN(std::string by, UserId(tx, spec.user_key));
  Pin p;
  p.channel_id = message->channel_id;
  p.message_id = message->id;
  p.pinned_by = by;
  p.pinned_at = spec.pinned_at > 0 ? spec.pinned_at : message->created_at;
  QUIK_RETURN_IF_ERROR(tx.InsertPin(p));
  return Count("pin", {message->id, Outcome::kCreated});
}

}  // namespace quik::transfer
