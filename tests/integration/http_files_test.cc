// SPDX-License-Identifier: MIT
// Files over HTTP: upload and download byte for byte, ranges and conditional
// requests, who may read a file, limits and quota, sniffed content types,
// safe names, a client that goes away mid-upload, thumbnails and
// decompression bombs, file_ids on messages, and garbage collection (also
// while people post).
#include <atomic>
#include <catch2/catch.hpp>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "files/media.hpp"
#include "integration/files_testing.hpp"
#include "integration/http_fixture.hpp"

namespace {

using quik_http::Api;
using quik_http::HttpFixture;
using quik_http::json;
using quik_http::RawSocket;
using quik_http::Resp;
using namespace quik_files_test;
using namespace std::chrono_literals;

// Acme: alice (owner), bob (member), gus (guest, only in #general), in
// #general (public) and #secret (alice and bob); olga owns another workspace.
struct Team {
  quik::User alice, bob, gus, olga;
  quik::Workspace ws, other;
  quik::Channel general, secret;
  std::string alice_token, bob_token, gus_token, olga_token;
};

Team MakeTeam(HttpFixture& fx) {
  Team t;
  t.alice = fx.CreateUser("Alice");
  t.bob = fx.CreateUser("Bob");
  t.gus = fx.CreateUser("Gus");
  t.olga = fx.CreateUser("Olga");
  t.ws = fx.CreateWorkspace(t.alice, "Acme", "acme");
  fx.AddMember(t.ws, t.bob, quik::Role::kMember);
  fx.AddMember(t.ws, t.gus, quik::Role::kGuest);
  t.other = fx.CreateWorkspace(t.olga, "Other", "other");
  t.general = fx.CreateChannel(t.alice, t.ws, "general");
  fx.AddChannelMember(t.general, t.bob);
  fx.AddChannelMember(t.general, t.gus);
  t.secret = fx.CreateChannel(t.alice, t.ws, "secret", true);
  fx.AddChannelMember(t.secret, t.bob);
  t.alice_token = fx.Token(t.alice);
  t.bob_token = fx.Token(t.bob);
  t.gus_token = fx.Token(t.gus);
  t.olga_token = fx.Token(t.olga);
  return t;
}

Resp UploadHttp(Api& api, const std::string& ws, const std::string& name, std::string_view bytes,
                const std::string& content_type = "application/octet-stream") {
  return api.Send("POST", "/workspaces/" + ws + "/files?name=" + name, bytes,
                  {{"Content-Type", content_type}});
}

// Uploads and returns the file object (201 required).
json Upload(Api& api, const std::string& ws, const std::string& name, std::string_view bytes,
            const std::string& content_type = "application/octet-stream") {
  Resp r = UploadHttp(api, ws, name, bytes, content_type);
  INFO(r.Describe());
  REQUIRE(r.status == 201);
  return r.Json();
}

json Share(Api& api, const quik::Channel& ch, const std::vector<std::string>& ids,
           const std::string& text = "see attached") {
  json body = {{"text", text}, {"file_ids", ids}};
  Resp r = api.Post("/channels/" + ch.id + "/messages", body);
  INFO(r.Describe());
  REQUIRE(r.status == 201);
  return r.Json();
}

std::size_t FileRows(HttpFixture& fx, const quik::Workspace& ws) {
  return REQUIRE_VALUE(fx.svc().files().List(quik::Actor::System(), ws.id, {1000, ""}))
      .items.size();
}

}  // namespace

TEST_CASE("files: upload and download byte for byte", "[http][files]") {
  HttpFixture fx;
  Team t = MakeTeam(fx);
  Api alice = fx.Client(t.alice_token);

  // Every byte value, and a multi-megabyte file.
  const std::string all = AllBytes(64);
  std::string big(5 * 1024 * 1024 + 123, '\0');
  std::mt19937 rng(42);
  for (char& c : big) c = static_cast<char>(rng());
  for (const std::string* bytes : std::vector<const std::string*>{&all, &big}) {
    json f = Upload(alice, t.ws.id, "blob.bin", *bytes);
    CHECK(f["size"] == bytes->size());
    CHECK(f["sha256"] == Sha256Hex(*bytes));
    CHECK(f["name"] == "blob.bin");
    CHECK(f["user_id"] == t.alice.id);
    CHECK(f["workspace_id"] == t.ws.id);
    CHECK(f["has_thumbnail"] == false);
    Resp got = alice.Get("/files/" + f["id"].get<std::string>());
    REQUIRE(got.status == 200);
    CHECK(got.body.size() == bytes->size());
    CHECK(got.body == *bytes);
    CHECK(got.header("ETag") == "\"" + Sha256Hex(*bytes) + "\"");
    CHECK(got.header("Accept-Ranges") == "bytes");
    CHECK(got.header("X-Content-Type-Options") == "nosniff");
    CHECK(got.header("Content-Disposition").rfind("attachment; ", 0) == 0);

    Resp head = alice.Send("HEAD", "/files/" + f["id"].get<std::string>());
    CHECK(head.status == 200);
    CHECK(head.body.empty());
    CHECK(head.header("Content-Length") == std::to_string(bytes->size()));

    Resp info = alice.Get("/files/" + f["id"].get<std::string>() + "/info");
    REQUIRE(info.status == 200);
    CHECK(info.Json()["id"] == f["id"]);
    CHECK(info.Json()["sha256"] == f["sha256"]);
  }

  // The same content twice: two files, one blob.
  const std::size_t blobs_before = Blobs(fx.options().data_dir).size();
  json a = Upload(alice, t.ws.id, "one.txt", "same content");
  json b = Upload(alice, t.ws.id, "two.txt", "same content");
  CHECK(a["id"] != b["id"]);
  CHECK(a["sha256"] == b["sha256"]);
  CHECK(Blobs(fx.options().data_dir).size() == blobs_before + 1);
  CHECK(alice.Get("/files/" + b["id"].get<std::string>()).body == "same content");
  CHECK(TempFiles(fx.options().data_dir) == 0);

  // An empty file is refused (as Slack does): there is nothing to share.
  Resp empty = UploadHttp(alice, t.ws.id, "empty.txt", "");
  CHECK(empty.status == 400);
  CHECK(empty.code() == "invalid_argument");
  CHECK(empty.message().find("empty") != std::string::npos);
}

TEST_CASE("files: ranges, ETag and conditional requests", "[http][files]") {
  HttpFixture fx;
  Team t = MakeTeam(fx);
  Api alice = fx.Client(t.alice_token);
  const std::string bytes = AllBytes(4);  // 1024 bytes
  json f = Upload(alice, t.ws.id, "r.bin", bytes);
  const std::string path = "/files/" + f["id"].get<std::string>();
  const std::string etag = "\"" + Sha256Hex(bytes) + "\"";

  struct Case {
    std::string range;
    int status;
    std::string content_range;
    std::string body;
  };
  const std::vector<Case> cases = {
      {"bytes=0-9", 206, "bytes 0-9/1024", bytes.substr(0, 10)},
      {"bytes=100-199", 206, "bytes 100-199/1024", bytes.substr(100, 100)},
      {"bytes=-5", 206, "bytes 1019-1023/1024", bytes.substr(1019)},
      {"bytes=1000-", 206, "bytes 1000-1023/1024", bytes.substr(1000)},
      {"bytes=1000-5000", 206, "bytes 1000-1023/1024", bytes.substr(1000)},
      {"bytes=-5000", 206, "bytes 0-1023/1024", bytes},
      {"bytes=1024-", 416, "bytes */1024", ""},
      {"bytes=5000-6000", 416, "bytes */1024", ""},
      {"bytes=0-1,5-6", 200, "", bytes},  // several ranges: the whole file
      {"lines=1-2", 200, "", bytes},      // another unit: ignored
      {"bytes=9-2", 200, "", bytes},      // malformed: ignored
  };
  for (const Case& c : cases) {
    Resp r = alice.Get(path, {{"Range", c.range}});
    INFO(c.range << " -> " << r.status << " " << r.header("Content-Range"));
    CHECK(r.status == c.status);
    CHECK(r.header("Content-Range") == c.content_range);
    if (c.status != 416) CHECK(r.body == c.body);
    if (c.status == 416) CHECK(r.code() == "range_not_satisfiable");
  }
  // If-Range with another ETag: the whole file.
  Resp stale = alice.Get(path, {{"Range", "bytes=0-9"}, {"If-Range", "\"abc\""}});
  CHECK(stale.status == 200);
  CHECK(stale.body == bytes);

  // ETag / If-None-Match.
  Resp same = alice.Get(path, {{"If-None-Match", etag}});
  CHECK(same.status == 304);
  CHECK(same.body.empty());
  CHECK(same.header("ETag") == etag);
  CHECK(alice.Get(path, {{"If-None-Match", "W/" + etag + ", \"x\""}}).status == 304);
  CHECK(alice.Get(path, {{"If-None-Match", "\"other\""}}).status == 200);
  // Conditions never bypass permissions: a stranger's If-None-Match is a 404.
  Api olga = fx.Client(t.olga_token);
  CHECK(olga.Get(path, {{"If-None-Match", etag}}).status == 404);

  // HEAD of a range.
  Resp head = alice.Send("HEAD", path, {}, {{"Range", "bytes=0-9"}});
  CHECK(head.status == 206);
  CHECK(head.body.empty());
  CHECK(head.header("Content-Length") == "10");

  // The connection survives all of it (keep-alive), and a client can reuse it.
  CHECK(alice.Get(path).body == bytes);
}

TEST_CASE("files: a file reaches exactly those who can read a channel sharing it",
          "[http][files][authz]") {
  HttpFixture fx;
  Team t = MakeTeam(fx);
  Api alice = fx.Client(t.alice_token);
  Api bob = fx.Client(t.bob_token);
  Api gus = fx.Client(t.gus_token);
  Api olga = fx.Client(t.olga_token);
  quik::User dave = fx.CreateUser("Dave");  // a member in neither channel
  fx.AddMember(t.ws, dave, quik::Role::kMember);
  Api dave_api = fx.Client(fx.Token(dave));

  json f = Upload(alice, t.ws.id, "plan.txt", "the secret plan");
  const std::string path = "/files/" + f["id"].get<std::string>();
  auto statuses = [&] {
    return std::vector<int>{alice.Get(path).status, bob.Get(path).status, gus.Get(path).status,
                            dave_api.Get(path).status, olga.Get(path).status};
  };
  //                          alice bob  gus  dave olga
  CHECK(statuses() == std::vector<int>{200, 404, 404, 404, 404});  // not shared yet

  json m = Share(alice, t.secret, {f["id"]});
  CHECK(m["file_ids"] == json::array({f["id"]}));
  REQUIRE(m["files"].size() == 1);
  CHECK(m["files"][0]["name"] == "plan.txt");
  CHECK(statuses() == std::vector<int>{200, 200, 404, 404, 404});  // #secret: alice and bob

  // Shared in #general as well: every member and the guest who is in it.
  json m2 = Share(alice, t.general, {f["id"]});
  CHECK(statuses() == std::vector<int>{200, 200, 200, 200, 404});

  // The message in #general is deleted: back to #secret's members.
  CHECK(alice.Delete("/messages/" + m2["id"].get<std::string>()).status == 204);
  CHECK(statuses() == std::vector<int>{200, 200, 404, 404, 404});
  // Deleted too: only the uploader keeps it.
  CHECK(alice.Delete("/messages/" + m["id"].get<std::string>()).status == 204);
  CHECK(statuses() == std::vector<int>{200, 404, 404, 404, 404});

  // A hidden file looks exactly like one that does not exist.
  Resp hidden = olga.Get(path);
  Resp unknown = olga.Get("/files/" + quik_http::UnknownIdLike(f["id"]));
  CHECK(hidden.status == 404);
  CHECK(hidden.code() == "not_found");
  CHECK(unknown.status == 404);
  CHECK(olga.Get("/files/not-an-id").status == 404);

  // Attaching: one's own upload, or a file one can already read (a re-share).
  json g = Upload(alice, t.ws.id, "g.txt", "for general");
  Share(alice, t.general, {g["id"]});
  json reshared = Share(bob, t.secret, {g["id"]});  // bob can read #general
  CHECK(reshared["file_ids"] == json::array({g["id"]}));
  Resp not_his =
      bob.Post("/channels/" + t.general.id + "/messages", {{"text", "x"}, {"file_ids", {f["id"]}}});
  CHECK(not_his.status == 404);
  CHECK(not_his.code() == "not_found");
  // Another workspace's file, by its own uploader: 400 naming the problem.
  json theirs = Upload(olga, t.other.id, "o.txt", "olga's");
  fx.AddMember(t.ws, t.olga, quik::Role::kMember);
  Resp cross = olga.Post("/channels/" + t.general.id + "/messages",
                         {{"text", "x"}, {"file_ids", {theirs["id"]}}});
  CHECK(cross.status == 400);
  CHECK(cross.message().find("another workspace") != std::string::npos);
  // More than 10 files.
  std::vector<std::string> many;
  for (int i = 0; i < 11; ++i) {
    many.push_back(Upload(alice, t.ws.id, "n.txt", "n" + std::to_string(i))["id"]);
  }
  Resp too_many =
      alice.Post("/channels/" + t.general.id + "/messages", {{"text", "x"}, {"file_ids", many}});
  CHECK(too_many.status == 400);
  CHECK(too_many.message().find("10") != std::string::npos);
  // file_ids must be an array of strings; with files, text may be left out.
  CHECK(alice.Post("/channels/" + t.general.id + "/messages", {{"file_ids", "x"}}).status == 400);
  Resp no_text = alice.Post("/channels/" + t.general.id + "/messages", {{"file_ids", {g["id"]}}});
  CHECK(no_text.status == 201);
  CHECK(no_text.Json()["text"] == "");

  // Messages carry their files in lists and in GET, and edits keep them.
  Resp list = bob.Get("/channels/" + t.secret.id + "/messages");
  REQUIRE(list.status == 200);
  bool found = false;
  for (const auto& item : list.Items()) {
    if (item["id"] == reshared["id"]) {
      found = true;
      CHECK(item["file_ids"] == json::array({g["id"]}));
      CHECK(item["files"][0]["sha256"] == g["sha256"]);
    }
  }
  CHECK(found);
  Resp edited = bob.Patch("/messages/" + reshared["id"].get<std::string>(), {{"text", "edited"}});
  REQUIRE(edited.status == 200);
  CHECK(edited.Json()["file_ids"] == json::array({g["id"]}));

  // Listing: members see their own uploads, admins all of the workspace's.
  Resp mine = bob.Get("/workspaces/" + t.ws.id + "/files");
  REQUIRE(mine.status == 200);
  CHECK(mine.Items().empty());
  Resp all = alice.Get("/workspaces/" + t.ws.id + "/files?limit=5");
  REQUIRE(all.status == 200);
  CHECK(all.Items().size() == 5);
  CHECK_FALSE(all.Json()["next_cursor"].get<std::string>().empty());
}

TEST_CASE("files: the size limit and the workspace quota are 413, and nothing is stored",
          "[http][files][limits]") {
  HttpFixture fx([](quik::Options& o) {
    o.files.max_bytes = 4000;
    o.files.workspace_quota_bytes = 10000;
  });
  Team t = MakeTeam(fx);
  Api alice = fx.Client(t.alice_token);

  Resp big = UploadHttp(alice, t.ws.id, "big.bin", std::string(4001, 'x'));
  CHECK(big.status == 413);
  CHECK(big.code() == "payload_too_large");
  CHECK(big.message().find("files.max_bytes") != std::string::npos);
  CHECK(FileRows(fx, t.ws) == 0);
  CHECK(Blobs(fx.options().data_dir).empty());
  CHECK(TempFiles(fx.options().data_dir) == 0);

  // The limit is files.max_bytes, not http.max_body_bytes (1 MiB by default).
  Resp ok = UploadHttp(alice, t.ws.id, "ok.bin", std::string(4000, 'a'));
  CHECK(ok.status == 201);

  // A chunked body (no Content-Length) is cut off at the limit.
  {
    RawSocket s(fx.port());
    std::string head = "POST /api/v1/workspaces/" + t.ws.id +
                       "/files?name=c.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                       t.alice_token + "\r\nTransfer-Encoding: chunked\r\n\r\n";
    s.Send(head);
    for (int i = 0; i < 5; ++i) s.Send("3e8\r\n" + std::string(1000, 'c') + "\r\n");
    s.Send("0\r\n\r\n");
    const std::string resp = s.ReadResponse(5s);
    CHECK(quik_http::RawStatus(resp) == 413);
    CHECK(resp.find("files.max_bytes") != std::string::npos);
  }

  // A malformed chunked body: 400, and nothing stored.
  {
    RawSocket s(fx.port());
    s.Send("POST /api/v1/workspaces/" + t.ws.id +
           "/files?name=m.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + t.alice_token +
           "\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n");
    CHECK(quik_http::RawStatus(s.ReadResponse(5s)) == 400);
  }
  CHECK(FileRows(fx, t.ws) == 1);

  // Quota: 4000 used; 3 x 2000 fit, the next does not.
  for (int i = 0; i < 3; ++i) {
    CHECK(
        UploadHttp(alice, t.ws.id, "q.bin", std::string(2000, static_cast<char>('b' + i))).status ==
        201);
  }
  Resp over = UploadHttp(alice, t.ws.id, "q.bin", std::string(2000, 'z'));
  CHECK(over.status == 413);
  CHECK(over.code() == "payload_too_large");
  CHECK(over.message().find("files.workspace_quota_bytes") != std::string::npos);
  CHECK(FileRows(fx, t.ws) == 4);
  CHECK(Blobs(fx.options().data_dir).size() == 4);
  CHECK(TempFiles(fx.options().data_dir) == 0);

  // A refusal before the body: the server answers at once, without reading
  // (or waiting for) the declared bytes.
  {
    RawSocket s(fx.port());
    s.Send("POST /api/v1/workspaces/" + t.ws.id +
           "/files?name=x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + t.alice_token +
           "\r\nContent-Length: 100000000\r\nExpect: 100-continue\r\n\r\n");
    const std::string resp = s.ReadResponse(5s);
    CHECK(quik_http::RawStatus(resp) == 413);
    CHECK(resp.find("100 Continue") == std::string::npos);
  }
  // Without a token: 401 before the body, too.
  {
    RawSocket s(fx.port());
    s.Send("POST /api/v1/workspaces/" + t.ws.id +
           "/files?name=x HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n\r\n");
    CHECK(quik_http::RawStatus(s.ReadResponse(5s)) == 401);
  }
  // Another workspace's member: 404, as for every hidden workspace.
  Api olga = fx.Client(t.olga_token);
  CHECK(UploadHttp(olga, t.ws.id, "x", "x").status == 404);
}

TEST_CASE("files: the content type comes from the bytes, not the client", "[http][files]") {
  HttpFixture fx;
  Team t = MakeTeam(fx);
  Api alice = fx.Client(t.alice_token);

  json png = Upload(alice, t.ws.id, "notes.txt", MakePng(16, 8), "text/plain");
  CHECK(png["content_type"] == "image/png");
  json script =
      Upload(alice, t.ws.id, "cat.png", "#!/bin/sh\nrm -rf /tmp/x\necho done\n", "image/png");
  CHECK(script["content_type"] == "text/plain");
  json html =
      Upload(alice, t.ws.id, "page.png",
             "<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "image/png");
  CHECK(html["content_type"] == "text/plain");
  json binary =
      Upload(alice, t.ws.id, "x.jpg", std::string("\x01\x02\x03\x00\xff\xfe", 6), "image/jpeg");
  CHECK(binary["content_type"] == "application/octet-stream");

  Resp got = alice.Get("/files/" + html["id"].get<std::string>());
  CHECK(got.header("Content-Type") == "text/plain");
  CHECK(got.header("X-Content-Type-Options") == "nosniff");
  CHECK(got.header("Content-Security-Policy").find("sandbox") != std::string::npos);
  CHECK(got.header("Content-Disposition").rfind("attachment;", 0) == 0);
  Resp image = alice.Get("/files/" + png["id"].get<std::string>());
  CHECK(image.header("Content-Type") == "image/png");
  CHECK(image.header("Content-Disposition").rfind("inline;", 0) == 0);
}

TEST_CASE("files: names are cleaned and headers stay safe", "[http][files]") {
  HttpFixture fx;
  Team t = MakeTeam(fx);
  Api alice = fx.Client(t.alice_token);
  // "../../etc/pa"ss\r\nX-Evil: 1 é.txt", percent-encoded in the query.
  json f =
      Upload(alice, t.ws.id, "..%2F..%2Fetc%2Fpa%22ss%0D%0AX-Evil%3A%201%20%C3%A9.txt", "hello");
  CHECK(f["name"] == "pa\"ssX-Evil: 1 \xC3\xA9.txt");
  Resp got = alice.Get("/files/" + f["id"].get<std::string>());
  REQUIRE(got.status == 200);
  CHECK(got.header("X-Evil").empty());
  const std::string cd = got.header("Content-Disposition");
  CHECK(cd ==
        "attachment; filename=\"pa_ssX-Evil: 1 __.txt\"; "
        "filename*=UTF-8''pa%22ssX-Evil%3A%201%20%C3%A9.txt");

  CHECK(Upload(alice, t.ws.id, "..", "x")["name"] == "file");
  CHECK(Upload(alice, t.ws.id, "", "x")["name"] == "file");
  CHECK(Upload(alice, t.ws.id, "a%5Cb%5Cc.txt", "x")["name"] == "c.txt");
  // Bidi overrides (U+202E) would disguise "exe.txt" as "txt.exe".
  CHECK(Upload(alice, t.ws.id, "x%E2%80%AEtxt.exe", "x")["name"] == "xtxt.exe");
  CHECK(Upload(alice, t.ws.id, std::string(300, 'n'), "x")["name"].get<std::string>().size() ==
        255);
}

TEST_CASE("files: a client that goes away mid-upload leaves nothing behind",
          "[http][files][disconnect]") {
  HttpFixture fx;
  Team t = MakeTeam(fx);
  Api alice = fx.Client(t.alice_token);
  Upload(alice, t.ws.id, "warm.txt", "warm up");  // opens what stays open (db, magic)
  const std::string blob_dir = std::filesystem::canonical(fx.options().data_dir / "blobs").string();
  const std::size_t sockets_before = OpenFds("socket:");
  REQUIRE(OpenFds(blob_dir) == 0);
  const std::size_t rows_before = FileRows(fx, t.ws);
  const std::size_t blobs_before = Blobs(fx.options().data_dir).size();

  // Waits until the server holds no temp file (deleted and closed).
  auto settled = [&] {
    const auto deadline = quik_http::Clock::now() + 10s;
    while ((TempFiles(fx.options().data_dir) != 0 || OpenFds(blob_dir) != 0 ||
            OpenFds("socket:") > sockets_before) &&
           quik_http::Clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
    }
  };
  for (int round = 0; round < 3; ++round) {
    settled();  // the last round's cut upload is cleaned up: what follows is this round's
    RawSocket s(fx.port());
    s.Send("POST /api/v1/workspaces/" + t.ws.id +
           "/files?name=cut.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + t.alice_token +
           "\r\nContent-Length: 1000000\r\n\r\n");
    s.Send(std::string(300000, 'p'));
    // The temp file exists while the upload is under way...
    const auto deadline = quik_http::Clock::now() + 5s;
    while ((TempFiles(fx.options().data_dir) == 0 || OpenFds(blob_dir) == 0) &&
           quik_http::Clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
    }
    CHECK(TempFiles(fx.options().data_dir) == 1);
    CHECK(OpenFds(blob_dir) >= 1);  // the server holds it open: this counts
  }                                 // ...and the socket closes here, mid-body.

  settled();
  CHECK(TempFiles(fx.options().data_dir) == 0);
  CHECK(OpenFds(blob_dir) == 0);  // no temp file left open
  CHECK(OpenFds("socket:") <= sockets_before);
  CHECK(FileRows(fx, t.ws) == rows_before);
  CHECK(Blobs(fx.options().data_dir).size() == blobs_before);
  // The server keeps serving.
  CHECK(Upload(alice, t.ws.id, "after.txt", "still here")["size"] == 10);
  CHECK(fx.Root().Get("/healthz").status == 200);
}

TEST_CASE("files: thumbnails, and decompression bombs are never decoded", "[http][files][images]") {
  HttpFixture fx([](quik::Options& o) { o.files.thumbnail_size = 64; });
  Team t = MakeTeam(fx);
  Api alice = fx.Client(t.alice_token);

  json png = Upload(alice, t.ws.id, "wide.png", MakePng(320, 160));
  CHECK(png["content_type"] == "image/png");
  CHECK(png["width"] == 320);
  CHECK(png["height"] == 160);
  CHECK(png["has_thumbnail"] == true);
  Resp thumb = alice.Get("/files/" + png["id"].get<std::string>() + "/thumbnail");
  REQUIRE(thumb.status == 200);
  CHECK(thumb.header("Content-Type") == "image/jpeg");
  CHECK(JpegSize(thumb.body) == std::pair<int, int>(64, 32));
  CHECK(thumb.header("ETag") == "\"" + Sha256Hex(thumb.body) + "\"");
  // The thumbnail is readable exactly as the file is.
  Api bob = fx.Client(t.bob_token);
  CHECK(bob.Get("/files/" + png["id"].get<std::string>() + "/thumbnail").status == 404);

  // A small image is not enlarged.
  json tiny = Upload(alice, t.ws.id, "tiny.png", MakePng(10, 20));
  Resp tiny_thumb = alice.Get("/files/" + tiny["id"].get<std::string>() + "/thumbnail");
  REQUIRE(tiny_thumb.status == 200);
  CHECK(JpegSize(tiny_thumb.body) == std::pair<int, int>(10, 20));

  // 100000 x 100000 pixels claimed in a few dozen bytes: stored, never decoded.
  const long rss_before = RssKib();
  const std::string bomb = BombPng(100000, 100000);
  json b = Upload(alice, t.ws.id, "bomb.png", bomb);
  CHECK(b["content_type"] == "image/png");
  CHECK(b["has_thumbnail"] == false);
  CHECK(b["width"] == 100000);
  CHECK(alice.Get("/files/" + b["id"].get<std::string>() + "/thumbnail").status == 404);
  CHECK(alice.Get("/files/" + b["id"].get<std::string>()).body == bomb);
  CHECK(RssKib() - rss_before < 200 * 1024);  // far from the 30 GB the header asks for
  // Garbage that says it is an image: stored, no thumbnail, no crash.
  std::string broken = MakePng(64, 64);
  broken.resize(broken.size() / 2);
  json half = Upload(alice, t.ws.id, "half.png", broken);
  CHECK(half["has_thumbnail"] == false);
}

TEST_CASE("files: decoding is bounded by the bytes an image takes and not by its pixels",
          "[http][files][images]") {
  HttpFixture fx([](quik::Options& o) {
    o.files.thumbnail_size = 64;
    o.files.max_decode_bytes = 600'000;
  });
  Team t = MakeTeam(fx);
  Api alice = fx.Client(t.alice_token);
  auto has_thumbnail = [&](const json& f) {
    return alice.Get("/files/" + f["id"].get<std::string>() + "/thumbnail").status == 200;
  };

  // 400 x 400 8-bit RGB: 160,000 pixels, 480,000 bytes decoded.
  json rgb = Upload(alice, t.ws.id, "rgb.png", MakePng(400, 400));
  CHECK(rgb["has_thumbnail"] == true);
  CHECK(has_thumbnail(rgb));
  // 300 x 300 16-bit RGBA: fewer pixels (90,000), but 8 bytes each: 720,000.
  const std::string deep_bytes = MakePng(300, 300, /*rgba16=*/true);
  json deep = Upload(alice, t.ws.id, "deep.png", deep_bytes);
  CHECK(deep["content_type"] == "image/png");
  CHECK(deep["width"] == 300);
  CHECK(deep["height"] == 300);
  CHECK(deep["has_thumbnail"] == false);
  CHECK_FALSE(has_thumbnail(deep));
  CHECK(alice.Get("/files/" + deep["id"].get<std::string>()).body == deep_bytes);
  // A 16-bit RGBA image within the bound is decoded as any other.
  json small_deep = Upload(alice, t.ws.id, "small-deep.png", MakePng(250, 250, true));
  CHECK(small_deep["has_thumbnail"] == true);
  CHECK(has_thumbnail(small_deep));

  // The finding, with the default bound: a 16-bit RGBA PNG just under the
  // 50-megapixel limit (392 MB of pixels) is never decoded.
  HttpFixture defaults([](quik::Options& o) { o.files.thumbnail_size = 64; });
  Team d = MakeTeam(defaults);
  Api dave = defaults.Client(d.alice_token);
  json near_limit = Upload(dave, d.ws.id, "deep.png", BombPng(7000, 7000, /*rgba16=*/true));
  CHECK(near_limit["width"] == 7000);
  CHECK(near_limit["has_thumbnail"] == false);
}

TEST_CASE("files: thumbnails being made at once share files.decode_memory_bytes",
          "[http][files][images]") {
  HttpFixture fx([](quik::Options& o) {
    o.files.thumbnail_size = 64;
    o.files.decode_memory_bytes = 400'000;
  });
  Team t = MakeTeam(fx);
  Api alice = fx.Client(t.alice_token);
  // 480,000 bytes decoded: under files.max_decode_bytes, but it would not fit
  // in the shared budget even alone, so it is stored without a thumbnail.
  json big = Upload(alice, t.ws.id, "big.png", MakePng(400, 400));
  CHECK(big["has_thumbnail"] == false);
  // 270,000 bytes: fits.
  json fits = Upload(alice, t.ws.id, "fits.png", MakePng(300, 300));
  CHECK(fits["has_thumbnail"] == true);
  // Nothing stays reserved after a decode.
  CHECK(quik::files::DecodeBytesInUse() == 0);
}

TEST_CASE("files: gc collects unreferenced files and never a referenced one", "[files][gc]") {
  auto clock = std::make_shared<quik::ManualClock>();
  HttpFixture fx([&](quik::Options& o) { o.clock = clock; });
  Team t = MakeTeam(fx);
  Api alice = fx.Client(t.alice_token);
  quik::FileService& files = fx.svc().files();

  json kept = Upload(alice, t.ws.id, "kept.txt", "shared and kept");
  Share(alice, t.general, {kept["id"]});
  json draft = Upload(alice, t.ws.id, "draft.txt", "never shared");
  json unshared = Upload(alice, t.ws.id, "unshared.txt", "shared, then its message deleted");
  json m = Share(alice, t.general, {unshared["id"]});
  REQUIRE(alice.Delete("/messages/" + m["id"].get<std::string>()).status == 204);
  // A second row with the same content as a kept file: its blob stays.
  json twin = Upload(alice, t.ws.id, "twin.txt", "shared and kept");

  // Within the grace period: nothing goes.
  auto report = REQUIRE_VALUE(files.CollectGarbage(quik::Actor::System(), {}));
  CHECK(report.files_removed == 0);
  CHECK(report.blobs_removed == 0);

  // Files younger than files.gc_grace (24 hours) stay, up to its last moment.
  clock->Advance(24h);
  report = REQUIRE_VALUE(files.CollectGarbage(quik::Actor::System(), {}));
  CHECK(report.files_removed == 0);

  // Then a dry run says what would go.
  clock->Advance(1ms);
  quik::GcOptions dry;
  dry.dry_run = true;
  report = REQUIRE_VALUE(files.CollectGarbage(quik::Actor::System(), dry));
  CHECK(report.files_removed == 3);
  CHECK(FileRows(fx, t.ws) == 4);

  // Blobs are judged by their files' times (the system's clock): grace 0.
  quik::GcOptions now;
  now.grace = 0s;
  report = REQUIRE_VALUE(files.CollectGarbage(quik::Actor::System(), now));
  CHECK(report.files_removed == 3);
  CHECK(report.blobs_removed == 2);  // draft's and unshared's; twin's is kept's
  CHECK(std::set<std::string>(report.file_ids.begin(), report.file_ids.end()) ==
        std::set<std::string>{draft["id"], unshared["id"], twin["id"]});
  CHECK(FileRows(fx, t.ws) == 1);
  CHECK(Blobs(fx.options().data_dir).size() == 1);
  CHECK(alice.Get("/files/" + kept["id"].get<std::string>()).body == "shared and kept");
  CHECK(alice.Get("/files/" + draft["id"].get<std::string>()).status == 404);

  // Only an instance admin (or the system) collects.
  auto denied = files.CollectGarbage(quik::Actor::ForUser(t.alice.id), now);
  CHECK(denied.status().code() == quik::StatusCode::kPermissionDenied);

  // Again: nothing left to do.
  report = REQUIRE_VALUE(files.CollectGarbage(quik::Actor::System(), now));
  CHECK(report.files_removed == 0);
  CHECK(report.blobs_removed == 0);
}

TEST_CASE("files: gc running in a loop never takes a file a committed message shares",
          "[files][gc][concurrency]") {
  HttpFixture fx;
  Team t = MakeTeam(fx);
  quik::Service& svc = fx.svc();

  struct Shared {
    std::string file_id;
    std::string bytes;
  };
  std::mutex mu;
  std::vector<Shared> shared;
  std::atomic<bool> stop{false};
  std::atomic<int> gc_runs{0}, collected{0};

  std::thread gc([&] {
    quik::GcOptions now;
    now.grace = 0s;
    while (!stop.load()) {
      auto r = svc.files().CollectGarbage(quik::Actor::System(), now);
      if (r.ok()) collected += static_cast<int>(r->files_removed);
      ++gc_runs;
    }
  });
  std::vector<std::thread> posters;
  for (int p = 0; p < 3; ++p) {
    posters.emplace_back([&, p] {
      const quik::User& author = p == 0 ? t.alice : t.bob;
      for (int i = 0; i < 25; ++i) {
        // Some contents repeat (dedup), some are unique.
        const std::string bytes = i % 5 == 0 ? std::string("common content")
                                             : "poster " + std::to_string(p) + " file " +
                                                   std::to_string(i) + std::string(i * 100, 'z');
        auto f = svc.files().UploadBytes(quik::Actor::ForUser(author.id), t.ws.id, "f.txt", bytes);
        if (!f.ok()) continue;
        quik::NewMessage msg;
        msg.text = "file " + std::to_string(i);
        msg.file_ids = {f->id};
        auto posted = svc.messages().Post(quik::Actor::ForUser(author.id), t.general.id, msg);
        // The file may have been collected before the post (grace 0): then
        // the post fails and nothing references it.
        if (posted.ok()) {
          std::lock_guard lock(mu);
          shared.push_back({f->id, bytes});
        }
      }
    });
  }
  for (auto& th : posters) th.join();
  stop = true;
  gc.join();
  INFO("gc runs: " << gc_runs << ", files collected: " << collected
                   << ", shared: " << shared.size());
  CHECK(gc_runs > 0);
  CHECK(!shared.empty());

  Api gus = fx.Client(t.gus_token);  // reads #general
  for (const Shared& s : shared) {
    Resp r = gus.Get("/files/" + s.file_id);
    INFO(s.file_id << " " << r.status);
    CHECK(r.status == 200);
    CHECK(r.body == s.bytes);
  }
  // One final collection keeps every shared file, too.
  quik::GcOptions now;
  now.grace = 0s;
  REQUIRE_VALUE(svc.files().CollectGarbage(quik::Actor::System(), now));
  for (const Shared& s : shared) CHECK(gus.Get("/files/" + s.file_id).body == s.bytes);
}

TEST_CASE("files: file events reach the uploader only and message events carry the files",
          "[http][files][realtime]") {
  HttpFixture fx;
  Team t = MakeTeam(fx);
  Api alice = fx.Client(t.alice_token);
  Api bob = fx.Client(t.bob_token);
  const auto start = REQUIRE_VALUE(fx.svc().events().LatestSeq());
  json f = Upload(alice, t.ws.id, "e.txt", "event me");
  json m = Share(alice, t.general, {f["id"]});

  // Every event the user receives after `start`, polled until the post shows.
  auto types = [&](Api& api) {
    std::vector<json> frames;
    std::int64_t after = start;
    const auto deadline = quik_http::Clock::now() + 10s;
    while (quik_http::Clock::now() < deadline) {
      Resp r = api.Get("/events?after=" + std::to_string(after) + "&wait=1");
      INFO(r.Describe());
      REQUIRE(r.status == 200);
      const json body = r.Json();  // (not r.Json()["events"]: a temporary's member)
      for (const auto& e : body["events"]) frames.push_back(e);
      after = body["seq"].get<std::int64_t>();
      if (!frames.empty() && frames.back()["type"] == "message.posted") break;
    }
    return frames;
  };
  bool created = false, posted = false;
  for (const json& e : types(alice)) {
    posted = posted || e["type"] == "message.posted";
    if (e["type"] == "file.created") {
      created = true;
      CHECK(e["data"]["id"] == f["id"]);
      CHECK(e["data"]["sha256"] == f["sha256"]);
    }
  }
  for (const json& e : types(bob)) {
    CHECK(e["type"] != "file.created");
    if (e["type"] == "message.posted") {
      posted = true;
      CHECK(e["data"]["id"] == m["id"]);
      CHECK(e["data"]["file_ids"] == json::array({f["id"]}));
      CHECK(e["data"]["files"][0]["name"] == "e.txt");
    }
  }
  CHECK(created);
  CHECK(posted);
}
