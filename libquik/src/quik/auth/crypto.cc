// SPDX-License-Identifier: MIT
#include "auth/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace quik::crypto {
namespace {

constexpr size_t kSecretBytes = 32;
constexpr std::string_view kSecretPrefix = "quik_";
constexpr size_t kSaltBytes = 16;
constexpr size_t kKeyBytes = 32;
constexpr std::string_view kScryptPrefix = "$scrypt$";

// Bounds on parameters, for new hashes and for stored ones alike: a tampered
// or corrupt hash must not make a login allocate gigabytes or spin for minutes.
constexpr int kMaxLog2N = 20;
constexpr int kMaxR = 32;
constexpr int kMaxP = 16;
constexpr uint64_t kMaxScryptMemory = uint64_t{1} << 30;  // 1 GiB
constexpr uint64_t kMaxScryptWork = uint64_t{1} << 24;    // N*r*p; defaults are 2^20
// Accepted lengths of a stored salt and key; 4 admits RFC 7914's test vector.
constexpr size_t kMinSaltBytes = 4;
constexpr size_t kMaxSaltBytes = 64;
constexpr size_t kMinKeyBytes = 16;
constexpr size_t kMaxKeyBytes = 64;

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "quik: fatal: %s failed (OpenSSL error %lu)\n", what, ERR_get_error());
  std::abort();
}

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

bool IsBase64UrlChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

// Memory EVP_PBE_scrypt allocates, by the formula it checks `maxmem` against
// (OpenSSL providers/implementations/kdfs/scrypt.c): the block buffer
// B = 128*r*p plus the table V = 128*r*(N+2) bytes. For the defaults that is
// 128 MiB + 2 KiB + 1 KiB, above OpenSSL's 32 MiB default limit.
uint64_t ScryptMemoryBytes(const ScryptParams& params) {
  const uint64_t n = uint64_t{1} << params.log2_n;
  const auto r = static_cast<uint64_t>(params.r);
  const auto p = static_cast<uint64_t>(params.p);
  return 128 * r * (n + 2) + 128 * r * p;
}

bool ParamsInRange(const ScryptParams& params) {
  if (params.log2_n < 1 || params.log2_n > kMaxLog2N) return false;
  if (params.r < 1 || params.r > kMaxR || params.p < 1 || params.p > kMaxP) return false;
  // RFC 7914 requires N < 2^(128*r/8); OpenSSL rejects larger N.
  if (params.log2_n >= 16 * params.r) return false;
  const uint64_t n = uint64_t{1} << params.log2_n;
  if (n * static_cast<uint64_t>(params.r) * static_cast<uint64_t>(params.p) > kMaxScryptWork) {
    return false;
  }
  return ScryptMemoryBytes(params) <= kMaxScryptMemory;
}

// Runs scrypt; the parameters must be in range. False only if OpenSSL fails.
bool Scrypt(std::string_view password, std::string_view salt, const ScryptParams& params,
            std::string& key) {
  return EVP_PBE_scrypt(password.data(), password.size(),
                        reinterpret_cast<const unsigned char*>(salt.data()), salt.size(),
                        uint64_t{1} << params.log2_n, static_cast<uint64_t>(params.r),
                        static_cast<uint64_t>(params.p), ScryptMemoryBytes(params),
                        reinterpret_cast<unsigned char*>(key.data()), key.size()) == 1;
}

// Parses a decimal int of 1..3 digits without a leading zero; advances `s`.
std::optional<int> ConsumeSmallInt(std::string_view& s) {
  size_t len = 0;
  while (len < s.size() && len < 4 && s[len] >= '0' && s[len] <= '9') ++len;
  if (len == 0 || len > 3 || (len > 1 && s[0] == '0')) return std::nullopt;
  int value = 0;
  std::from_chars(s.data(), s.data() + len, value);
  s.remove_prefix(len);
  return value;
}

bool ConsumeLiteral(std::string_view& s, std::string_view literal) {
  if (!s.starts_with(literal)) return false;
  s.remove_prefix(literal.size());
  return true;
}

struct ParsedHash {
  ScryptParams params;
  std::string salt;
  std::string key;
};

std::optional<ParsedHash> ParseEncodedHash(std::string_view s) {
  ParsedHash parsed;
  std::optional<int> ln, r, p;
  if (!ConsumeLiteral(s, kScryptPrefix) || !ConsumeLiteral(s, "ln=") ||
      !(ln = ConsumeSmallInt(s)) || !ConsumeLiteral(s, ",r=") || !(r = ConsumeSmallInt(s)) ||
      !ConsumeLiteral(s, ",p=") || !(p = ConsumeSmallInt(s)) || !ConsumeLiteral(s, "$")) {
    return std::nullopt;
  }
  parsed.params = ScryptParams{.log2_n = *ln, .r = *r, .p = *p};
  if (!ParamsInRange(parsed.params)) return std::nullopt;

  const size_t dollar = s.find('$');
  if (dollar == std::string_view::npos) return std::nullopt;
  std::optional<std::string> salt = Base64UrlDecode(s.substr(0, dollar));
  std::optional<std::string> key = Base64UrlDecode(s.substr(dollar + 1));  // rejects a 2nd '$'
  if (!salt || !key) return std::nullopt;
  if (salt->size() < kMinSaltBytes || salt->size() > kMaxSaltBytes) return std::nullopt;
  if (key->size() < kMinKeyBytes || key->size() > kMaxKeyBytes) return std::nullopt;
  parsed.salt = std::move(*salt);
  parsed.key = std::move(*key);
  return parsed;
}

bool PasswordLengthOk(std::string_view password) {
  return !password.empty() && password.size() <= kMaxPasswordBytes;
}

}  // namespace

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  constexpr size_t kChunk = size_t{1} << 30;  // RAND_bytes takes an int
  while (n > 0) {
    const size_t chunk = std::min(n, kChunk);
    if (RAND_bytes(p, static_cast<int>(chunk)) != 1) Die("RAND_bytes");
    p += chunk;
    n -= chunk;
  }
  return out;
}

std::string NewSecret() {
  return std::string(kSecretPrefix) + Base64UrlEncode(RandomBytes(kSecretBytes));
}

std::string Base64UrlEncode(std::string_view data) {
  // EVP_EncodeBlock takes an int length; chunks of a multiple of 3 bytes
  // encode to the same text as the whole, since only the last can pad.
  constexpr size_t kChunk = size_t{3} << 20;
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::string buf;
  while (!data.empty()) {
    const size_t chunk = std::min(data.size(), kChunk);
    buf.resize((chunk + 2) / 3 * 4 + 1);  // + the NUL EVP_EncodeBlock writes
    const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(buf.data()),
                                        reinterpret_cast<const unsigned char*>(data.data()),
                                        static_cast<int>(chunk));
    out.append(buf.data(), static_cast<size_t>(written));
    data.remove_prefix(chunk);
  }
  // OpenSSL has only the standard alphabet: translate, and drop the padding.
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view encoded) {
  if (encoded.size() % 4 == 1) return std::nullopt;  // no byte string encodes to that length
  if (!std::all_of(encoded.begin(), encoded.end(), IsBase64UrlChar)) return std::nullopt;

  std::string standard(encoded);
  for (char& c : standard) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  const size_t padding = (4 - standard.size() % 4) % 4;
  standard.append(padding, '=');

  // EVP_DecodeBlock takes an int length; chunks of a multiple of 4 characters
  // decode independently. It counts padding as zero bytes, removed below.
  constexpr size_t kChunk = size_t{4} << 20;
  std::string out;
  out.reserve(standard.size() / 4 * 3);
  std::string_view rest = standard;
  std::string buf;
  while (!rest.empty()) {
    const size_t chunk = std::min(rest.size(), kChunk);
    buf.resize(chunk / 4 * 3);
    const int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(buf.data()),
                                        reinterpret_cast<const unsigned char*>(rest.data()),
                                        static_cast<int>(chunk));
    if (written < 0) return std::nullopt;
    out.append(buf.data(), static_cast<size_t>(written));
    rest.remove_prefix(chunk);
  }
  out.resize(out.size() - padding);

  // Reject encodings whose unused low bits are set ("Zh" decodes like "Zg"):
  // a token or hash then has exactly one spelling.
  if (Base64UrlEncode(out) != encoded) return std::nullopt;
  return out;
}

std::string Sha256(std::string_view data) {
  std::string digest(32, '\0');
  unsigned int len = 0;
  // Fails only if OpenSSL cannot allocate or has no SHA-256 at all; neither
  // leaves anything sensible to do.
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(digest.data()), &len,
                 EVP_sha256(), nullptr) != 1 ||
      len != digest.size()) {
    Die("EVP_Digest(SHA-256)");
  }
  return digest;
}

std::string Sha256Hex(std::string_view data) {
  static constexpr char kHex[] = "0123456789abcdef";
  const std::string digest = Sha256(data);
  std::string hex;
  hex.reserve(2 * digest.size());
  for (const char c : digest) {
    const auto byte = static_cast<unsigned char>(c);
    hex.push_back(kHex[byte >> 4]);
    hex.push_back(kHex[byte & 0x0f]);
  }
  return hex;
}

Result<std::string> HashPassword(std::string_view password, const ScryptParams& params) {
  if (!PasswordLengthOk(password)) {
    return InvalidArgument("password must be 1 to " + std::to_string(kMaxPasswordBytes) +
                           " bytes long");
  }
  if (!ParamsInRange(params)) {
    return InvalidArgument("scrypt parameters out of range: ln=" + std::to_string(params.log2_n) +
                           ",r=" + std::to_string(params.r) + ",p=" + std::to_string(params.p));
  }
  const std::string salt = RandomBytes(kSaltBytes);
  std::string key(kKeyBytes, '\0');
  if (!Scrypt(password, salt, params, key)) {
    return Internal("scrypt failed: " + OpenSslError());
  }
  return std::string(kScryptPrefix) + "ln=" + std::to_string(params.log2_n) +
         ",r=" + std::to_string(params.r) + ",p=" + std::to_string(params.p) + "$" +
         Base64UrlEncode(salt) + "$" + Base64UrlEncode(key);
}

bool VerifyPassword(std::string_view password, std::string_view encoded) {
  if (!PasswordLengthOk(password)) return false;
  const std::optional<ParsedHash> parsed = ParseEncodedHash(encoded);
  if (!parsed) return false;
  std::string key(parsed->key.size(), '\0');
  if (!Scrypt(password, parsed->salt, parsed->params, key)) {
    ERR_clear_error();
    return false;
  }
  return ConstantTimeEquals(key, parsed->key);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace quik::crypto
