// The quik-export format's reader (transfer/import.cc), as far as it needs no
// data dir: for tests/fuzz.
#pragma once

#include <filesystem>

#include "quik/status.hpp"

namespace quik::transfer {

// ImportArchive's validating pass over a quik-export file: every line parsed
// and converted, the header, the end trailer and its counts checked; nothing
// is written. kInvalidArgument "PATH:LINE: problem" for the first bad line.
Status ValidateExportLines(const std::filesystem::path& path);

}  // namespace quik::transfer
