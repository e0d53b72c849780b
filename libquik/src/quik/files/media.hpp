// SPDX-License-Identifier: MIT
// What a file is: its content type from its bytes (libmagic), its image size
// and thumbnail (libvips). Both libraries are loaded once per process.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace quik::files {

// The MIME type of the bytes at the start of open file `fd` (the first 64
// KiB). text/* comes back as text/plain; unknown data as
// application/octet-stream. Never throws, never fails.
std::string SniffContentType(int fd);

// The types thumbnails are made of.
bool IsThumbnailable(std::string_view content_type);

struct ImageInfo {
  int width = 0;  // as the header declares; 0 if unreadable
  int height = 0;
  // width x height x bands x bytes per sample, as the header declares: what
  // decoding would take.
  std::int64_t decode_bytes = 0;
  std::string thumbnail_jpeg;  // empty: none (too large, unreadable, disabled, busy)
};

// What a decode may take. The thumbnails being made at once in this process
// share one count of bytes: a decode starts only if its bytes fit within
// `memory_bytes` beside those in progress; otherwise the image gets no
// thumbnail (stored all the same).
struct DecodeLimits {
  int max_edge = 0;               // files.thumbnail_size; 0: header only
  std::int64_t max_pixels = 0;    // files.max_image_pixels
  std::int64_t max_bytes = 0;     // files.max_decode_bytes
  std::int64_t memory_bytes = 0;  // files.decode_memory_bytes
};

// Reads the image header of `path` (sniffed as `content_type`, one of the
// thumbnailable types) and, if it declares at most `max_pixels` pixels and
// `max_bytes` decoded bytes and those bytes fit in the shared budget,
// decodes it shrinking on load to fit `max_edge` x `max_edge` (never
// enlarging) and encodes a JPEG.
ImageInfo ReadImage(const std::filesystem::path& path, std::string_view content_type,
                    const DecodeLimits& limits);

// Decoded-pixel bytes of the thumbnails being made in this process now.
std::int64_t DecodeBytesInUse();

}  // namespace quik::files
