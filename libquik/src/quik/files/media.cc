// SPDX-License-Identifier: MIT
#include "files/media.hpp"

#include <magic.h>
#include <unistd.h>
#include <vips/vips.h>

#include <algorithm>
#include <mutex>
#include <vector>

namespace quik::files {
namespace {

// One libmagic handle for the process: magic_t is not thread-safe, and
// loading the database costs milliseconds, so calls take turns on it.
struct Magic {
  std::mutex mu;
  magic_t cookie = nullptr;
  Magic() {
    cookie = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR);
    if (cookie != nullptr && magic_load(cookie, nullptr) != 0) {
      magic_close(cookie);
      cookie = nullptr;
    }
  }
  // Process lifetime: never closed (other threads may still sniff at exit).
};

Magic& TheMagic() {
  static Magic* magic = new Magic();
  return *magic;
}

constexpr std::size_t kSniffBytes = 64 * 1024;

std::string Normalize(std::string type) {
  if (type.empty() || type == "application/x-empty" || type == "inode/x-empty" ||
      type.find('/') == std::string::npos) {
    return "application/octet-stream";
  }
  // Never hand a browser an uploaded page or script as such: text is text.
  if (type.rfind("text/", 0) == 0) return "text/plain";
  return type;
}

// libvips, started once. Only its fuzzed loaders run (untrusted ones such as
// ImageMagick's are blocked), and nothing is cached: each image is opened,
// shrunk and closed, so that no file descriptor or blob stays open.
bool VipsReady() {
  static const bool ready = [] {
    if (VIPS_INIT("quik") != 0) return false;
    // A broken upload is the uploader's problem, not the server log's.
    g_log_set_handler(
        "VIPS", static_cast<GLogLevelFlags>(G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE),
        [](const gchar*, GLogLevelFlags, const gchar*, gpointer) {}, nullptr);
    vips_block_untrusted_set(TRUE);
    vips_cache_set_max(0);
    vips_cache_set_max_files(0);
    vips_cache_set_max_mem(0);
    vips_concurrency_set(1);
    return true;
  }();
  return ready;
}

struct Unref {
  void operator()(VipsImage* image) const {
    if (image != nullptr) g_object_unref(image);
  }
};
using ImagePtr = std::unique_ptr<VipsImage, Unref>;

// Opens the header with the loader of the sniffed type only (lazily: pixels
// are decoded only when asked for).
ImagePtr OpenHeader(const std::filesystem::path& path, std::string_view type) {
  VipsImage* out = nullptr;
  int rc = -1;
  if (type == "image/jpeg") {
    rc = vips_jpegload(path.c_str(), &out, "access", VIPS_ACCESS_SEQUENTIAL, nullptr);
  } else if (type == "image/png") {
    rc = vips_pngload(path.c_str(), &out, "access", VIPS_ACCESS_SEQUENTIAL, nullptr);
  } else if (type == "image/gif") {
    rc = vips_gifload(path.c_str(), &out, "access", VIPS_ACCESS_SEQUENTIAL, nullptr);
  } else if (type == "image/webp") {
    rc = vips_webpload(path.c_str(), &out, "access", VIPS_ACCESS_SEQUENTIAL, nullptr);
  }
  if (rc != 0) {
    vips_error_clear();
    if (out != nullptr) g_object_unref(out);
    return nullptr;
  }
  return ImagePtr(out);
}

}  // namespace

std::string SniffContentType(int fd) {
  std::vector<char> head(kSniffBytes);
  std::size_t got = 0;
  while (got < head.size()) {
    const ssize_t n = ::pread(fd, head.data() + got, head.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got == 0) return "application/octet-stream";
  Magic& magic = TheMagic();
  std::lock_guard lock(magic.mu);
  if (magic.cookie == nullptr) return "application/octet-stream";
  const char* type = magic_buffer(magic.cookie, head.data(), got);
  return Normalize(type == nullptr ? std::string() : std::string(type));
}

bool IsThumbnailable(std::string_view type) {
  return type == "image/jpeg" || type == "image/png" || type == "image/gif" || type == "image/webp";
}

namespace {

// The decoded-pixel bytes of the decodes running in this process, and a
// reservation against them that lasts as long as one decode.
std::mutex decode_mu;
std::int64_t decode_in_use = 0;

class DecodeReservation {
 public:
  DecodeReservation(std::int64_t bytes, std::int64_t budget) {
    std::lock_guard lock(decode_mu);
    if (decode_in_use + bytes > budget) return;
    decode_in_use += bytes;
    bytes_ = bytes;
  }
  ~DecodeReservation() {
    if (bytes_ == 0) return;
    std::lock_guard lock(decode_mu);
    decode_in_use -= bytes_;
  }
  DecodeReservation(const DecodeReservation&) = delete;
  DecodeReservation& operator=(const DecodeReservation&) = delete;
  bool ok() const { return bytes_ > 0; }

 private:
  std::int64_t bytes_ = 0;
};

}  // namespace

std::int64_t DecodeBytesInUse() {
  std::lock_guard lock(decode_mu);
  return decode_in_use;
}

ImageInfo ReadImage(const std::filesystem::path& path, std::string_view content_type,
                    const DecodeLimits& limits) {
  ImageInfo info;
  if (!IsThumbnailable(content_type) || !VipsReady()) return info;
  ImagePtr header = OpenHeader(path, content_type);
  if (!header) return info;
  info.width = vips_image_get_width(header.get());
  info.height = vips_image_get_height(header.get());
  const auto bands = static_cast<std::int64_t>(std::max(1, vips_image_get_bands(header.get())));
  const auto sample = static_cast<std::int64_t>(
      std::max<std::uint64_t>(1, vips_format_sizeof(vips_image_get_format(header.get()))));
  header.reset();
  // The header's claim decides, before a single pixel is decoded: pixels, and
  // the bytes they take (a 16-bit RGBA image takes 8 bytes a pixel).
  const std::int64_t pixels = std::int64_t{info.width} * info.height;
  if (info.width <= 0 || info.height <= 0) return info;
  info.decode_bytes = pixels * bands * sample;
  if (limits.max_edge <= 0 || pixels > limits.max_pixels || info.decode_bytes > limits.max_bytes) {
    return info;
  }
  const DecodeReservation reservation(info.decode_bytes, limits.memory_bytes);
  if (!reservation.ok()) return info;  // busy: no thumbnail rather than no memory
  const int max_edge = limits.max_edge;

  VipsImage* thumb = nullptr;
  // fail_on error: a truncated or corrupt image gets no (half-grey) thumbnail.
  if (vips_thumbnail(path.c_str(), &thumb, max_edge, "height", max_edge, "size", VIPS_SIZE_DOWN,
                     "fail_on", VIPS_FAIL_ON_ERROR, nullptr) != 0) {
    vips_error_clear();
    if (thumb != nullptr) g_object_unref(thumb);
    return info;
  }
  ImagePtr image(thumb);
  if (vips_image_hasalpha(image.get())) {
    // JPEG has no alpha: flatten onto white, as chat clients show them.
    VipsImage* flat = nullptr;
    VipsArrayDouble* white = vips_array_double_newv(1, 255.0);
    const int rc = vips_flatten(image.get(), &flat, "background", white, nullptr);
    vips_area_unref(VIPS_AREA(white));
    if (rc != 0) {
      vips_error_clear();
      return info;
    }
    image.reset(flat);
  }
  void* buf = nullptr;
  std::size_t len = 0;
  if (vips_jpegsave_buffer(image.get(), &buf, &len, "Q", 80, "strip", TRUE, nullptr) != 0) {
    vips_error_clear();
    return info;
  }
  info.thumbnail_jpeg.assign(static_cast<const char*>(buf), len);
  g_free(buf);
  return info;
}

}  // namespace quik::files
