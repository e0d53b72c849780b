// SPDX-License-Identifier: MIT
#include "auth/crypto.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace quik::crypto {
namespace {

// Cheap parameters (1 MiB, about a millisecond) so the suite stays fast.
constexpr ScryptParams kTestParams{.log2_n = 10, .r = 8, .p = 1};

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

bool IsUrlSafe(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

// The four '$'-separated fields after the leading '$'.
std::vector<std::string> SplitHash(const std::string& encoded) {
  std::vector<std::string> parts;
  size_t start = 1;
  while (true) {
    const size_t end = encoded.find('$', start);
    parts.push_back(encoded.substr(start, end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return parts;
}

TEST_CASE("RandomBytes returns the requested number of distinct bytes", "[crypto]") {
  CHECK(RandomBytes(0).empty());
  CHECK(RandomBytes(1).size() == 1);
  const std::string a = RandomBytes(32);
  const std::string b = RandomBytes(32);
  CHECK(a.size() == 32);
  CHECK(a != b);
  CHECK(a != std::string(32, '\0'));
  CHECK(RandomBytes(100000).size() == 100000);
}

TEST_CASE("NewSecret is quik_ plus 43 url-safe characters of 256 random bits", "[crypto]") {
  std::set<std::string> seen;
  std::set<char> alphabet_used;
  for (int i = 0; i < 1000; ++i) {
    const std::string secret = NewSecret();
    REQUIRE(secret.size() == 48);
    REQUIRE(secret.starts_with("quik_"));
    const std::string body = secret.substr(5);
    REQUIRE(IsUrlSafe(body));
    const std::optional<std::string> raw = Base64UrlDecode(body);
    REQUIRE(raw.has_value());
    CHECK(raw->size() == 32);
    seen.insert(secret);
    // The last character carries only 4 bits; the first 42 may be any of 64.
    alphabet_used.insert(body.begin(), body.end() - 1);
  }
  CHECK(seen.size() == 1000);
  // 42000 uniform draws miss one of 64 symbols with probability ~e^-650.
  CHECK(alphabet_used.size() == 64);
}

TEST_CASE("Base64Url matches RFC 4648 vectors without padding", "[crypto]") {
  CHECK(Base64UrlEncode("") == "");
  CHECK(Base64UrlEncode("f") == "Zg");
  CHECK(Base64UrlEncode("fo") == "Zm8");
  CHECK(Base64UrlEncode("foo") == "Zm9v");
  CHECK(Base64UrlEncode("foob") == "Zm9vYg");
  CHECK(Base64UrlEncode("fooba") == "Zm9vYmE");
  CHECK(Base64UrlEncode("foobar") == "Zm9vYmFy");
  // Standard base64 would be "+/8=": the url alphabet replaces + and /.
  CHECK(Base64UrlEncode(std::string("\xfb\xff", 2)) == "-_8");
  CHECK(Base64UrlDecode("-_8") == std::string("\xfb\xff", 2));
  CHECK(Base64UrlDecode("Zm9vYmFy") == "foobar");
  CHECK(Base64UrlDecode("Zm9vYg") == "foob");
  CHECK(Base64UrlDecode("") == "");
}

TEST_CASE("Base64UrlDecode rejects anything but canonical unpadded base64url", "[crypto]") {
  CHECK_FALSE(Base64UrlDecode("Zg==").has_value());    // padding
  CHECK_FALSE(Base64UrlDecode("Z").has_value());       // impossible length
  CHECK_FALSE(Base64UrlDecode("Zm9vY").has_value());   // impossible length
  CHECK_FALSE(Base64UrlDecode("+/8").has_value());     // standard alphabet
  CHECK_FALSE(Base64UrlDecode("Zm9v!").has_value());   // not base64 at all
  CHECK_FALSE(Base64UrlDecode(" Zm9v").has_value());   // whitespace
  CHECK_FALSE(Base64UrlDecode("Zm9v\n").has_value());  // whitespace
  CHECK_FALSE(Base64UrlDecode("Zh").has_value());      // unused bits set ("Zg" is canonical)
  CHECK_FALSE(Base64UrlDecode("Zm9").has_value());     // likewise ("Zm8")
  CHECK_FALSE(Base64UrlDecode(std::string_view("Zm\0v", 4)).has_value());
}

TEST_CASE("Base64Url round-trips every byte value and every length", "[crypto]") {
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<char>(i));
  for (size_t len = 0; len <= all_bytes.size(); ++len) {
    const std::string data = all_bytes.substr(all_bytes.size() - len);
    const std::string encoded = Base64UrlEncode(data);
    REQUIRE(IsUrlSafe(encoded));
    REQUIRE(encoded.size() == (len * 4 + 2) / 3);
    REQUIRE(Base64UrlDecode(encoded) == data);
  }
  const std::string big = RandomBytes(5 << 20);  // spans several OpenSSL chunks
  CHECK(Base64UrlDecode(Base64UrlEncode(big)) == big);
}

TEST_CASE("Sha256 matches the FIPS 180-2 vectors", "[crypto]") {
  CHECK(Sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(Sha256("abc") ==
        FromHex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  CHECK(Sha256("abc").size() == 32);
}

TEST_CASE("ConstantTimeEquals compares contents and lengths", "[crypto]") {
  CHECK(ConstantTimeEquals("", ""));
  CHECK(ConstantTimeEquals("abc", "abc"));
  CHECK_FALSE(ConstantTimeEquals("abc", "abd"));
  CHECK_FALSE(ConstantTimeEquals("abc", "ab"));
  CHECK_FALSE(ConstantTimeEquals("", "a"));
  CHECK(ConstantTimeEquals(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
  CHECK_FALSE(ConstantTimeEquals(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

TEST_CASE("HashPassword encodes its parameters, salt and key", "[crypto]") {
  Result<std::string> hash = HashPassword("correct horse", kTestParams);
  REQUIRE(hash.ok());
  REQUIRE(hash->starts_with("$scrypt$ln=10,r=8,p=1$"));
  const std::vector<std::string> parts = SplitHash(*hash);
  REQUIRE(parts.size() == 4);
  CHECK(parts[0] == "scrypt");
  CHECK(parts[1] == "ln=10,r=8,p=1");
  REQUIRE(Base64UrlDecode(parts[2]).has_value());
  CHECK(Base64UrlDecode(parts[2])->size() == 16);
  REQUIRE(Base64UrlDecode(parts[3]).has_value());
  CHECK(Base64UrlDecode(parts[3])->size() == 32);
}

TEST_CASE("VerifyPassword accepts the password and rejects others", "[crypto]") {
  Result<std::string> hash = HashPassword("correct horse", kTestParams);
  REQUIRE(hash.ok());
  CHECK(VerifyPassword("correct horse", *hash));
  CHECK_FALSE(VerifyPassword("correct horsE", *hash));
  CHECK_FALSE(VerifyPassword("correct horse ", *hash));
  CHECK_FALSE(VerifyPassword("correct hors", *hash));
  CHECK_FALSE(VerifyPassword("", *hash));
}

TEST_CASE("The same password hashes differently each time", "[crypto]") {
  Result<std::string> a = HashPassword("hunter2", kTestParams);
  Result<std::string> b = HashPassword("hunter2", kTestParams);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(*a != *b);
  CHECK(SplitHash(*a)[2] != SplitHash(*b)[2]);  // salts
  CHECK(SplitHash(*a)[3] != SplitHash(*b)[3]);  // keys
  CHECK(VerifyPassword("hunter2", *a));
  CHECK(VerifyPassword("hunter2", *b));
}

TEST_CASE("A tampered hash does not verify", "[crypto]") {
  Result<std::string> hash = HashPassword("s3cret!", kTestParams);
  REQUIRE(hash.ok());
  REQUIRE(VerifyPassword("s3cret!", *hash));
  const std::vector<std::string> parts = SplitHash(*hash);
  const auto with = [&](size_t index, std::string value) {
    std::vector<std::string> p = parts;
    p[index] = std::move(value);
    return "$" + p[0] + "$" + p[1] + "$" + p[2] + "$" + p[3];
  };
  const auto flip_first = [](std::string s) {
    s[0] = s[0] == 'A' ? 'B' : 'A';
    return s;
  };
  REQUIRE(with(1, parts[1]) == *hash);  // the helper rebuilds the original
  CHECK_FALSE(VerifyPassword("s3cret!", with(3, flip_first(parts[3]))));  // key
  CHECK_FALSE(VerifyPassword("s3cret!", with(2, flip_first(parts[2]))));  // salt
  CHECK_FALSE(VerifyPassword("s3cret!", with(1, "ln=11,r=8,p=1")));
  CHECK_FALSE(VerifyPassword("s3cret!", with(1, "ln=10,r=7,p=1")));
  CHECK_FALSE(VerifyPassword("s3cret!", with(1, "ln=10,r=8,p=2")));
  std::string key = *Base64UrlDecode(parts[3]);
  key.back() ^= 0x01;  // the last bit of the key
  CHECK_FALSE(VerifyPassword("s3cret!", with(3, Base64UrlEncode(key))));
}

TEST_CASE("Malformed or out-of-range hashes are rejected, not errors", "[crypto]") {
  Result<std::string> hash = HashPassword("pw", kTestParams);
  REQUIRE(hash.ok());
  const std::vector<std::string> parts = SplitHash(*hash);
  const std::string salt = parts[2];
  const std::string key = parts[3];
  const std::vector<std::string> bad = {
      "",
      "$scrypt$",
      "scrypt$ln=10,r=8,p=1$" + salt + "$" + key,
      "$bcrypt$ln=10,r=8,p=1$" + salt + "$" + key,
      "$scrypt$ln=10,r=8$" + salt + "$" + key,
      "$scrypt$ln=10,r=8,p=1$" + salt,
      "$scrypt$ln=10,r=8,p=1$" + salt + "$" + key + "$",
      "$scrypt$ln=10,r=8,p=1$" + salt + "$" + key + "$" + key,
      "$scrypt$ln=10,r=8,p=1$" + salt + "=$" + key,
      "$scrypt$ln=010,r=8,p=1$" + salt + "$" + key,
      "$scrypt$ln=+10,r=8,p=1$" + salt + "$" + key,
      "$scrypt$ln=x,r=8,p=1$" + salt + "$" + key,
      "$scrypt$ln=10,r=8,p=1,q=2$" + salt + "$" + key,
      "$scrypt$ln=0,r=8,p=1$" + salt + "$" + key,
      "$scrypt$ln=64,r=8,p=1$" + salt + "$" + key,  // would overflow N
      "$scrypt$ln=30,r=8,p=1$" + salt + "$" + key,  // 128 GiB: refused, not attempted
      "$scrypt$ln=10,r=0,p=1$" + salt + "$" + key,
      "$scrypt$ln=10,r=8,p=0$" + salt + "$" + key,
      "$scrypt$ln=10,r=8,p=999$" + salt + "$" + key,
      "$scrypt$ln=99999,r=8,p=1$" + salt + "$" + key,
      "$scrypt$ln=10,r=8,p=1$$" + key,                            // empty salt
      "$scrypt$ln=10,r=8,p=1$" + salt + "$",                      // empty key
      "$scrypt$ln=10,r=8,p=1$" + salt + "$" + key.substr(0, 16),  // 12-byte key
  };
  for (const std::string& encoded : bad) {
    INFO(encoded);
    CHECK_FALSE(VerifyPassword("pw", encoded));
  }
  CHECK(VerifyPassword("pw", "$scrypt$ln=10,r=8,p=1$" + salt + "$" + key));
}

TEST_CASE("Hashes with other costs still verify", "[crypto]") {
  for (const ScryptParams params :
       {ScryptParams{.log2_n = 11, .r = 8, .p = 1}, ScryptParams{.log2_n = 9, .r = 4, .p = 2},
        ScryptParams{.log2_n = 4, .r = 1, .p = 1}}) {
    Result<std::string> hash = HashPassword("pw", params);
    REQUIRE(hash.ok());
    CHECK(hash->starts_with("$scrypt$ln=" + std::to_string(params.log2_n) + ",r=" +
                            std::to_string(params.r) + ",p=" + std::to_string(params.p) + "$"));
    CHECK(VerifyPassword("pw", *hash));
    CHECK_FALSE(VerifyPassword("pW", *hash));
  }
}

TEST_CASE("VerifyPassword computes real scrypt (RFC 7914 test vector)", "[crypto]") {
  // scrypt(P="password", S="NaCl", N=1024, r=8, p=16, dkLen=64), RFC 7914 s. 12.
  const std::string key = FromHex(
      "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
      "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640");
  const std::string encoded =
      "$scrypt$ln=10,r=8,p=16$" + Base64UrlEncode("NaCl") + "$" + Base64UrlEncode(key);
  CHECK(VerifyPassword("password", encoded));
  CHECK_FALSE(VerifyPassword("Password", encoded));
}

TEST_CASE("Password length limits are 1..1024 bytes", "[crypto]") {
  Result<std::string> empty = HashPassword("", kTestParams);
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.status().code() == StatusCode::kInvalidArgument);

  Result<std::string> too_long = HashPassword(std::string(1025, 'x'), kTestParams);
  REQUIRE_FALSE(too_long.ok());
  CHECK(too_long.status().code() == StatusCode::kInvalidArgument);

  const std::string longest(1024, 'x');
  Result<std::string> hash = HashPassword(longest, kTestParams);
  REQUIRE(hash.ok());
  CHECK(VerifyPassword(longest, *hash));
  CHECK_FALSE(VerifyPassword(longest + "x", *hash));

  Result<std::string> one = HashPassword(std::string_view("\0", 1), kTestParams);
  REQUIRE(one.ok());
  CHECK(VerifyPassword(std::string_view("\0", 1), *one));
  CHECK_FALSE(VerifyPassword("\x01", *one));
  // Documented in crypto.hpp: HMAC zero-pads the password, so trailing NULs
  // do not change it.
  CHECK(VerifyPassword(std::string_view("\0\0", 2), *one));
}

TEST_CASE("HashPassword rejects out-of-range parameters", "[crypto]") {
  for (const ScryptParams params :
       {ScryptParams{.log2_n = 0, .r = 8, .p = 1}, ScryptParams{.log2_n = 21, .r = 8, .p = 1},
        ScryptParams{.log2_n = 10, .r = 0, .p = 1}, ScryptParams{.log2_n = 10, .r = 8, .p = 0},
        ScryptParams{.log2_n = 10, .r = -1, .p = 1}, ScryptParams{.log2_n = 10, .r = 8, .p = 17},
        ScryptParams{.log2_n = 16, .r = 1, .p = 1},     // N must be below 2^(16 r)
        ScryptParams{.log2_n = 20, .r = 8, .p = 1}}) {  // over 1 GiB
    INFO("ln=" << params.log2_n << " r=" << params.r << " p=" << params.p);
    Result<std::string> hash = HashPassword("pw", params);
    REQUIRE_FALSE(hash.ok());
    CHECK(hash.status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("Default scrypt parameters are ln=17, r=8, p=1 and work", "[crypto][slow]") {
  const ScryptParams defaults;
  CHECK(defaults.log2_n == 17);
  CHECK(defaults.r == 8);
  CHECK(defaults.p == 1);
  // 128 MiB, above OpenSSL's default 32 MiB limit: checks maxmem is raised.
  Result<std::string> hash = HashPassword("correct horse battery staple");
  REQUIRE(hash.ok());
  CHECK(hash->starts_with("$scrypt$ln=17,r=8,p=1$"));
  CHECK(VerifyPassword("correct horse battery staple", *hash));
  CHECK_FALSE(VerifyPassword("correct horse battery stapler", *hash));
}

}  // namespace
}  // namespace quik::crypto
