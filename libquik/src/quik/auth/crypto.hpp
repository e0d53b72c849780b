// SPDX-License-Identifier: MIT
// quik::crypto: the few cryptographic primitives libquik needs, on OpenSSL 3.
//
// Randomness, secret tokens, base64url, SHA-256 and scrypt password hashes.
// Internal header: no OpenSSL type appears here, so callers need not include
// OpenSSL themselves.
//
// Thread safety: every function is safe to call from several threads at once
// (OpenSSL 3 is thread-safe without set-up; the functions keep no state).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "quik/status.hpp"

namespace quik::crypto {

// `n` bytes from OpenSSL's CSPRNG. Aborts the process if the generator fails:
// on Linux OpenSSL seeds from getrandom(2), which blocks until the kernel pool
// is initialised and cannot fail afterwards, so a failure means a broken
// environment (e.g. a sandbox denying getrandom); carrying on would mint
// guessable secrets, which is worse than stopping.
std::string RandomBytes(size_t n);

// A new bearer secret (API token, session token): "quik_" followed by the
// unpadded base64url form of 32 random bytes (256 bits), 48 characters in all.
// The prefix lets secret scanners recognise a leaked token.
std::string NewSecret();

// RFC 4648 section 5 base64url, without '=' padding.
std::string Base64UrlEncode(std::string_view data);
// The inverse of Base64UrlEncode. Rejects padding, whitespace, characters
// outside the url-safe alphabet and non-canonical input (non-zero unused bits),
// so each byte string has exactly one accepted encoding.
std::optional<std::string> Base64UrlDecode(std::string_view encoded);

// SHA-256 of `data`: the raw 32-byte digest, and its 64 lowercase hex digits.
std::string Sha256(std::string_view data);
std::string Sha256Hex(std::string_view data);

// scrypt cost parameters (RFC 7914): N = 2^log2_n, block size r,
// parallelism p. The defaults are OWASP's recommended minimum for scrypt; they
// take 128 MiB and a few hundred ms per hash.
struct ScryptParams {
  int log2_n = 17;  // Default: 17 (N = 131072).
  int r = 8;        // Default: 8.
  int p = 1;        // Default: 1.
};

// Passwords are 1..kMaxPasswordBytes bytes (any bytes; no normalisation).
inline constexpr size_t kMaxPasswordBytes = 1024;

// Hashes `password` with scrypt, a fresh 16-byte salt and a 32-byte key, as
//   $scrypt$ln=<log2_n>,r=<r>,p=<p>$<base64url salt>$<base64url key>
// The string carries its own parameters, so costs can be raised later while
// old hashes still verify. InvalidArgument if the password is empty or longer
// than kMaxPasswordBytes, or the parameters are out of range (log2_n 1..20 and
// below 16*r, r 1..32, p 1..16, at most 1 GiB of memory, N*r*p <= 2^24);
// Internal if OpenSSL fails (out of memory).
Result<std::string> HashPassword(std::string_view password, const ScryptParams& params = {});

// True iff `encoded` (made by HashPassword, with any parameters in range) is
// the hash of `password`. The comparison takes constant time. A malformed or
// out-of-range `encoded`, or a password outside the length limits, gives
// false, never an error: to the caller it is simply not a match.
//
// Inherited from scrypt's use of HMAC-SHA-256 (which zero-pads short keys and
// hashes keys over 64 bytes): passwords that differ only by trailing NUL bytes
// match each other, as does a password over 64 bytes with its raw SHA-256
// digest. Each alternative is derived from the password itself, so this gives
// an attacker nothing; callers that dislike it may reject NUL bytes.
bool VerifyPassword(std::string_view password, std::string_view encoded);

// Compares in time that depends only on the lengths, not on the contents (the
// lengths of secrets and digests are public).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace quik::crypto
