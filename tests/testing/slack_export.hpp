// SPDX-License-Identifier: MIT
// A Slack export written for the tests (transfer/slack), and a zip of it.
//
//   quik_test::WriteSlackExport(dir);          // the export below, as a folder
//   quik_test::ZipFolder(dir, dir + ".zip");   // the same as a .zip
//
// Users: alice, bob, chloé (accents), dan (deleted), eve (no email), a bot
// user (deploybot). Conversations: #general (public, topic, members
// alice/bob/chloe/dan), #random (archived), #leads (private, groups.json), a
// DM alice-bob (dms.json), a group DM alice/bob/chloe (mpims.json).
// kSlack* constants name what the tests check.
#pragma once

#include <zip.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace quik_test {

// Every ts of the export, in order ("1512085950.000100" is
// 2017-11-30T23:52:30.000Z).
inline constexpr const char* kTsJoinBob = "1512085950.000100";
inline constexpr const char* kTsHello = "1512086000.000200";  // thread root, reactions
inline constexpr const char* kTsReplyBob = "1512086100.000300";
inline constexpr const char* kTsReplyChloe = "1512086200.000400";  // edited
inline constexpr const char* kTsEdited = "1512086300.000000";
inline constexpr const char* kTsTopic = "1512086400.000500";
inline constexpr const char* kTsBot = "1512086500.000600";
inline constexpr const char* kTsHuddle = "1512086600.000700";  // unknown subtype
inline constexpr const char* kTsFile = "1512172800.000800";    // next day, with contents
inline constexpr const char* kTsPhoto = "1512172900.000900";   // metadata only
inline constexpr const char* kTsDan = "1512173000.001000";     // the deleted user
inline constexpr const char* kTsGhost = "1512173100.001100";   // unknown mention
inline constexpr const char* kTsMe = "1512173200.001200";      // me_message
inline constexpr const char* kTsRandom = "1512000000.000100";
inline constexpr const char* kTsLeads = "1512090000.000100";
inline constexpr const char* kTsDm1 = "1512091000.000100";
inline constexpr const char* kTsDm2 = "1512091060.000200";
inline constexpr const char* kTsGroup = "1512092000.000100";

inline constexpr const char* kSlackReportBytes = "%PDF-1.4 quarterly report\n";
inline constexpr const char* kSlackHello =
    "Hello <@U02BOB> &amp; all \xE2\x80\x94 caf\xC3\xA9 \xE2\x98\x95 \xE6\x97\xA5\xE6\x9C\xAC"
    "\xE8\xAA\x9E \xF0\x9F\x8E\x89 see <#C01GENERAL|general> and <https://acme.test|our site>";

inline void WriteJsonFile(const std::filesystem::path& path, const nlohmann::json& j) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << j.dump(2) << "\n";
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

inline void WriteSlackExport(const std::filesystem::path& dir) {
  using nlohmann::json;
  auto profile = [](const char* email, const char* real, const char* display) {
    json p = {{"real_name", real}, {"display_name", display}};
    if (email != nullptr) p["email"] = email;
    return p;
  };
  WriteJsonFile(
      dir / "users.json",
      json::array({
          {{"id", "U01ALICE"},
           {"name", "alice"},
           {"real_name", "Alice Martin"},
           {"profile", profile("Alice@Acme.test", "Alice Martin", "alice")}},
          {{"id", "U02BOB"}, {"name", "bob"}, {"profile", profile("bob@acme.test", "Bob Ng", "")}},
          {{"id", "U03CHLOE"},
           {"name", "chloe"},
           {"profile", profile("chloe@acme.test", "Chlo\xC3\xA9 Dupont", "chlo\xC3\xA9")}},
          {{"id", "U04DAN"},
           {"name", "dan"},
           {"deleted", true},
           {"profile", profile("dan@acme.test", "Dan Old", "")}},
          {{"id", "U05EVE"}, {"name", "eve"}, {"profile", profile(nullptr, "Eve NoMail", "")}},
          {{"id", "U06DEPLOY"},
           {"name", "deploybot"},
           {"is_bot", true},
           {"profile", {{"real_name", "Deploy Bot"}, {"bot_id", "B06DEPLOY"}}}},
      }));
  WriteJsonFile(
      dir / "channels.json",
      json::array({
          {{"id", "C01GENERAL"},
           {"name", "general"},
           {"created", 1512085000},
           {"creator", "U01ALICE"},
           {"is_archived", false},
           {"is_general", true},
           {"members", {"U01ALICE", "U02BOB", "U03CHLOE", "U04DAN"}},
           {"topic",
            {{"value", "Company-wide \xF0\x9F\x8E\x89"},
             {"creator", "U01ALICE"},
             {"last_set", 1512086400}}},
           {"purpose", {{"value", "Everything"}, {"creator", "U01ALICE"}, {"last_set", 0}}}},
          {{"id", "C02RANDOM"},
           {"name", "random"},
           {"created", 1511000000},
           {"creator", "U02BOB"},
           {"is_archived", true},
           {"members", {"U01ALICE", "U02BOB"}},
           {"topic", {{"value", ""}}},
           {"purpose", {{"value", "Off-topic"}}}},
      }));
  WriteJsonFile(dir / "groups.json", json::array({{{"id", "G01LEADS"},
                                                   {"name", "leads"},
                                                   {"created", 1512089000},
                                                   {"creator", "U01ALICE"},
                                                   {"is_archived", false},
                                                   {"members", {"U01ALICE", "U03CHLOE"}},
                                                   {"topic", {{"value", "Sales leads"}}}}}));
  WriteJsonFile(
      dir / "dms.json",
      json::array(
          {{{"id", "D01AB"}, {"created", 1512090500}, {"members", {"U01ALICE", "U02BOB"}}}}));
  WriteJsonFile(dir / "mpims.json",
                json::array({{{"id", "G02MPIM"},
                              {"name", "mpdm-alice--bob--chloe-1"},
                              {"created", 1512091500},
                              {"creator", "U03CHLOE"},
                              {"is_archived", false},
                              {"members", {"U01ALICE", "U02BOB", "U03CHLOE"}}}}));

  auto msg = [](const char* ts, const char* user, const std::string& text) {
    return json{{"type", "message"}, {"ts", ts}, {"user", user}, {"text", text}};
  };
  json hello = msg(kTsHello, "U01ALICE", kSlackHello);
  hello["thread_ts"] = kTsHello;
  hello["reply_count"] = 2;
  hello["replies"] = {{{"user", "U02BOB"}, {"ts", kTsReplyBob}},
                      {{"user", "U03CHLOE"}, {"ts", kTsReplyChloe}}};
  hello["reactions"] = {
      {{"name", "+1"}, {"users", {"U02BOB", "U03CHLOE"}}, {"count", 2}},
      {{"name", "tada::skin-tone-3"}, {"users", {"U01ALICE"}}, {"count", 1}},
      {{"name", "partyparrot"}, {"users", {"U99GHOST"}}, {"count", 1}},
  };
  json reply_bob = msg(kTsReplyBob, "U02BOB", "Thanks &lt;3");
  reply_bob["thread_ts"] = kTsHello;
  reply_bob["parent_user_id"] = "U01ALICE";
  json reply_chloe = msg(kTsReplyChloe, "U03CHLOE", "Merci ! \xC3\xA0 bient\xC3\xB4t");
  reply_chloe["thread_ts"] = kTsHello;
  reply_chloe["edited"] = {{"user", "U03CHLOE"}, {"ts", kTsEdited}};
  json join = msg(kTsJoinBob, "U02BOB", "<@U02BOB> has joined the channel");
  join["subtype"] = "channel_join";
  json topic =
      msg(kTsTopic, "U01ALICE", "<@U01ALICE> set the channel topic: Company-wide \xF0\x9F\x8E\x89");
  topic["subtype"] = "channel_topic";
  topic["topic"] = "Company-wide \xF0\x9F\x8E\x89";
  json bot = {{"type", "message"},     {"subtype", "bot_message"}, {"ts", kTsBot},
              {"bot_id", "B99GITHUB"}, {"username", "GitHub"},     {"text", "Build #42 passed"}};
  json huddle = msg(kTsHuddle, "U02BOB", "A huddle happened");
  huddle["subtype"] = "huddle_thread";
  WriteJsonFile(dir / "general" / "2017-12-01.json",
                json::array({hello, join, reply_bob, reply_chloe, topic, bot, huddle}));

  json file = msg(kTsFile, "U01ALICE", "Q4 report");
  file["subtype"] = "file_share";
  file["pinned_to"] = {"C01GENERAL"};
  file["files"] = {{{"id", "F01REPORT"},
                    {"name", "report.pdf"},
                    {"title", "Q4 report"},
                    {"mimetype", "application/pdf"},
                    {"size", std::string(kSlackReportBytes).size()},
                    {"user", "U01ALICE"},
                    {"created", 1512172800},
                    {"url_private", "https://files.slack.com/files-pri/T1-F01REPORT/report.pdf"}}};
  json photo = msg(kTsPhoto, "U02BOB", "");
  photo["files"] = {{{"id", "F02PHOTO"},
                     {"name", "photo.png"},
                     {"title", "Team photo"},
                     {"mimetype", "image/png"},
                     {"size", 123456},
                     {"user", "U02BOB"},
                     {"created", 1512172900},
                     {"url_private", "https://files.slack.com/files-pri/T1-F02PHOTO/photo.png"}}};
  json dan = msg(kTsDan, "U04DAN", "I was here");
  json ghost = msg(kTsGhost, "U03CHLOE", "ask <@U99GHOST> <!channel>");
  json me = msg(kTsMe, "U02BOB", "waves");
  me["subtype"] = "me_message";
  WriteJsonFile(dir / "general" / "2017-12-02.json", json::array({file, photo, dan, ghost, me}));
  std::filesystem::create_directories(dir / "__uploads" / "F01REPORT");
  std::ofstream(dir / "__uploads" / "F01REPORT" / "report.pdf", std::ios::binary)
      << kSlackReportBytes;

  WriteJsonFile(dir / "random" / "2017-11-30.json",
                json::array({msg(kTsRandom, "U02BOB", "old news")}));
  WriteJsonFile(dir / "leads" / "2017-12-01.json",
                json::array({msg(kTsLeads, "U01ALICE", "Secret plans \xF0\x9F\xA4\xAB")}));
  WriteJsonFile(dir / "D01AB" / "2017-12-01.json",
                json::array({msg(kTsDm1, "U01ALICE", "hi bob"), msg(kTsDm2, "U02BOB", "hi!")}));
  WriteJsonFile(dir / "mpdm-alice--bob--chloe-1" / "2017-12-01.json",
                json::array({msg(kTsGroup, "U03CHLOE", "group hello \xE4\xBD\xA0\xE5\xA5\xBD")}));
}

// Zips every file under `dir` (paths relative to it) into `zip_path`.
inline void ZipFolder(const std::filesystem::path& dir, const std::filesystem::path& zip_path) {
  int err = 0;
  zip_t* za = zip_open(zip_path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  if (za == nullptr) throw std::runtime_error("zip_open " + zip_path.string());
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    const std::string rel = std::filesystem::relative(e.path(), dir).generic_string();
    zip_source_t* src = zip_source_file(za, e.path().c_str(), 0, -1);
    if (src == nullptr || zip_file_add(za, rel.c_str(), src, ZIP_FL_ENC_UTF_8) < 0) {
      if (src != nullptr) zip_source_free(src);
      zip_discard(za);
      throw std::runtime_error("zip_file_add " + rel);
    }
  }
  if (zip_close(za) != 0) {
    zip_discard(za);
    throw std::runtime_error("zip_close " + zip_path.string());
  }
}

// Adds `name` to the zip at `zip_path`: `real_bytes` spaces, deflated while
// written (never all in memory), then rewrites the uncompressed size its
// headers declare to `declared_bytes`: a zip bomb that lies about its size.
inline void AddZipBomb(const std::filesystem::path& zip_path, const std::string& name,
                       std::uint64_t real_bytes, std::uint32_t declared_bytes) {
  struct Spaces {
    std::uint64_t total = 0;
    std::uint64_t pos = 0;
  };
  static constexpr auto kSource = [](void* ud, void* data, zip_uint64_t len,
                                     zip_source_cmd_t cmd) -> zip_int64_t {
    auto* s = static_cast<Spaces*>(ud);
    switch (cmd) {
      case ZIP_SOURCE_OPEN:
        s->pos = 0;
        return 0;
      case ZIP_SOURCE_READ: {
        const std::uint64_t n = std::min<std::uint64_t>(len, s->total - s->pos);
        std::memset(data, ' ', n);
        s->pos += n;
        return static_cast<zip_int64_t>(n);
      }
      case ZIP_SOURCE_CLOSE:
      case ZIP_SOURCE_FREE:
        return 0;
      case ZIP_SOURCE_STAT: {
        auto* st = static_cast<zip_stat_t*>(data);
        zip_stat_init(st);
        st->size = s->total;
        st->valid |= ZIP_STAT_SIZE;
        return sizeof(zip_stat_t);
      }
      case ZIP_SOURCE_SUPPORTS:
        return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE,
                                              ZIP_SOURCE_STAT, ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE,
                                              ZIP_SOURCE_SUPPORTS, -1);
      case ZIP_SOURCE_ERROR: {
        zip_error_t err;
        zip_error_init(&err);
        const zip_int64_t n = zip_error_to_data(&err, data, len);
        zip_error_fini(&err);
        return n;
      }
      default:
        return -1;
    }
  };
  Spaces spaces{real_bytes, 0};
  int err = 0;
  zip_t* za = zip_open(zip_path.c_str(), ZIP_CREATE, &err);
  if (za == nullptr) throw std::runtime_error("zip_open " + zip_path.string());
  zip_source_t* src = zip_source_function(za, kSource, &spaces);
  if (src == nullptr || zip_file_add(za, name.c_str(), src, ZIP_FL_ENC_UTF_8) < 0) {
    if (src != nullptr) zip_source_free(src);
    zip_discard(za);
    throw std::runtime_error("zip_file_add " + name);
  }
  if (zip_close(za) != 0) {
    zip_discard(za);
    throw std::runtime_error("zip_close " + zip_path.string());
  }
  // Rewrite the size in the entry's local header (offset 22) and central
  // directory record (offset 24).
  std::string bytes;
  {
    std::ifstream in(zip_path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  auto u16 = [&](std::size_t at) {
    return static_cast<std::size_t>(static_cast<unsigned char>(bytes[at])) |
           static_cast<std::size_t>(static_cast<unsigned char>(bytes[at + 1])) << 8;
  };
  auto put32 = [&](std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) bytes[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
  };
  int patched = 0;
  for (std::size_t at = 0; at + 46 < bytes.size(); ++at) {
    if (bytes.compare(at, 4, "PK\x03\x04") == 0 && bytes.compare(at + 30, name.size(), name) == 0 &&
        u16(at + 26) == name.size()) {
      put32(at + 22, declared_bytes);
      ++patched;
    } else if (bytes.compare(at, 4, "PK\x01\x02") == 0 &&
               bytes.compare(at + 46, name.size(), name) == 0 && u16(at + 28) == name.size()) {
      put32(at + 24, declared_bytes);
      ++patched;
    }
  }
  if (patched != 2) throw std::runtime_error("AddZipBomb: headers of " + name + " not found");
  std::ofstream(zip_path, std::ios::binary | std::ios::trunc) << bytes;
}

}  // namespace quik_test
