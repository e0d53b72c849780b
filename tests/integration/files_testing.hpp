// SPDX-License-Identifier: MIT
// Helpers of the file tests: real image bytes (a minimal PNG encoder, a PNG
// whose header claims a decompression bomb), SHA-256, JPEG dimensions, and a
// look at the data dir's blob store and this process's open descriptors.
#pragma once

#include <dirent.h>

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace quik_files_test {

inline std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

inline std::uint32_t Crc32(std::string_view data) {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t n = 0; n < 256; ++n) {
      std::uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  std::uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : data) c = table[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

inline void Be32(std::string& out, std::uint32_t v) {
  out += static_cast<char>(v >> 24);
  out += static_cast<char>(v >> 16);
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v);
}

inline void Chunk(std::string& png, std::string_view type, std::string_view data) {
  Be32(png, static_cast<std::uint32_t>(data.size()));
  std::string body(type);
  body += data;
  png += body;
  Be32(png, Crc32(body));
}

// `rgba16`: 16-bit RGBA (8 bytes a pixel) instead of 8-bit RGB (3 bytes).
inline std::string PngHeader(std::uint32_t width, std::uint32_t height, bool rgba16 = false) {
  std::string png = "\x89PNG\r\n\x1a\n";
  std::string ihdr;
  Be32(ihdr, width);
  Be32(ihdr, height);
  ihdr += rgba16 ? std::string("\x10\x06\x00\x00\x00", 5)   // 16-bit RGBA, no interlace
                 : std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit RGB, no interlace
  Chunk(png, "IHDR", ihdr);
  return png;
}

// A real PNG of `width` x `height` (a gradient), deflate "stored" blocks:
// 8-bit RGB, or with `rgba16` 16-bit RGBA.
inline std::string MakePng(std::uint32_t width, std::uint32_t height, bool rgba16 = false) {
  std::string raw;
  for (std::uint32_t y = 0; y < height; ++y) {
    raw += '\0';  // filter: none
    for (std::uint32_t x = 0; x < width; ++x) {
      const char samples[] = {static_cast<char>(x * 255 / width),
                              static_cast<char>(y * 255 / height), static_cast<char>(128),
                              static_cast<char>(255)};
      for (int i = 0; i < (rgba16 ? 4 : 3); ++i) {
        raw += samples[i];
        if (rgba16) raw += samples[i];  // the low byte of the 16-bit sample
      }
    }
  }
  std::string z = "\x78\x01";
  std::size_t at = 0;
  do {
    const std::size_t n = std::min<std::size_t>(65535, raw.size() - at);
    const bool last = at + n == raw.size();
    z += static_cast<char>(last ? 1 : 0);
    z += static_cast<char>(n & 0xFF);
    z += static_cast<char>(n >> 8);
    z += static_cast<char>(~n & 0xFF);
    z += static_cast<char>((~n >> 8) & 0xFF);
    z.append(raw, at, n);
    at += n;
  } while (at < raw.size());
  std::uint32_t a = 1, b = 0;
  for (unsigned char ch : raw) {
    a = (a + ch) % 65521;
    b = (b + a) % 65521;
  }
  Be32(z, (b << 16) | a);
  std::string png = PngHeader(width, height, rgba16);
  Chunk(png, "IDAT", z);
  Chunk(png, "IEND", "");
  return png;
}

// A tiny PNG whose header claims `width` x `height` (a decompression bomb as
// far as anyone who trusts the header is concerned).
inline std::string BombPng(std::uint32_t width, std::uint32_t height, bool rgba16 = false) {
  std::string png = PngHeader(width, height, rgba16);
  Chunk(png, "IDAT", std::string("\x78\x01\x01\x00\x00\xff\xff\x00\x00\x00\x01", 11));
  Chunk(png, "IEND", "");
  return png;
}

// The size in a JPEG's SOF marker; {0,0} if none.
inline std::pair<int, int> JpegSize(std::string_view jpeg) {
  std::size_t i = 2;
  while (i + 9 < jpeg.size()) {
    if (static_cast<unsigned char>(jpeg[i]) != 0xFF) return {0, 0};
    const auto marker = static_cast<unsigned char>(jpeg[i + 1]);
    const std::size_t len =
        (static_cast<unsigned char>(jpeg[i + 2]) << 8) | static_cast<unsigned char>(jpeg[i + 3]);
    if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
      const int h =
          (static_cast<unsigned char>(jpeg[i + 5]) << 8) | static_cast<unsigned char>(jpeg[i + 6]);
      const int w =
          (static_cast<unsigned char>(jpeg[i + 7]) << 8) | static_cast<unsigned char>(jpeg[i + 8]);
      return {w, h};
    }
    i += 2 + len;
  }
  return {0, 0};
}

// Blob files under DATA/blobs/ab/cd/ (not tmp/).
inline std::vector<std::filesystem::path> Blobs(const std::filesystem::path& data_dir) {
  std::vector<std::filesystem::path> out;
  const auto dir = data_dir / "blobs";
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().parent_path().parent_path().parent_path() == dir) {
      out.push_back(e.path());
    }
  }
  return out;
}

inline std::size_t TempFiles(const std::filesystem::path& data_dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(data_dir / "blobs" / "tmp", ec)) {
    (void)e;
    ++n;
  }
  return n;
}

// This process's open descriptors whose target starts with `prefix`: a path
// (the blob store) or "socket:". Counting every descriptor would not do: the
// store's reader pool opens database connections as reads happen to overlap.
inline std::size_t OpenFds(const std::string& prefix) {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const auto target = std::filesystem::read_symlink(e.path(), ec).string();
    if (!ec && target.rfind(prefix, 0) == 0) ++n;
  }
  return n;
}

// Resident memory of this process, in KiB.
inline long RssKib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

// Every byte value, `rounds` times over, in a scrambled order.
inline std::string AllBytes(int rounds) {
  std::string out;
  for (int r = 0; r < rounds; ++r) {
    for (int b = 0; b < 256; ++b) out += static_cast<char>((b * 167 + r * 31) & 0xFF);
  }
  return out;
}

}  // namespace quik_files_test
