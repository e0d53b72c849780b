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
  std::string thumbnail_jpeg;  // empty: none (too large, unreadable, disabled)
};

// Reads the image header of `path` (sniffed as `content_type`, one of the
// thumbnailable types) and, if it declares at most `max_pixels` pixels,
// decodes it shrinking on load to fit `max_edge` x `max_edge` (never
// enlarging) and encodes a JPEG. `max_edge` 0: header only.
ImageInfo ReadImage(const std::filesystem::path& path, std::string_view content_type, int max_edge,
                    std::int64_t max_pixels);

}  // namespace quik::files
