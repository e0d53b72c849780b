// SPDX-License-Identifier: MIT
// The quik-export format's lines (ImportArchive, transfer/import.cc): one
// JSON object per line, converted to the import's records, and the pass that
// validates a whole file before anything is written. Needs no data dir
// (tests/fuzz feeds it).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "quik/status.hpp"
#include "transfer/import_writer.hpp"

namespace quik::transfer {

// One line, converted.
struct Header {
  ImportedWorkspace workspace;
};
struct End {
  std::map<std::string, std::int64_t> counts;
};
struct Unknown {
  std::string type;
};
using Record =
    std::variant<Header, ImportedUser, ImportedMember, ImportedChannel, ImportedChannelMember,
                 ImportedFile, ImportedMessage, ImportedReaction, ImportedPin, End, Unknown>;

// One line as a record; kInvalidArgument "TYPE: problem" if a field is
// missing or of the wrong type. An unknown "type" is Unknown (skipped).
Result<Record> Convert(const nlohmann::json& j);
// The record's "type".
std::string TypeOf(const Record& r);
// kInvalidArgument "PATH:LINE: problem".
Status LineError(const std::filesystem::path& path, std::int64_t line, std::string_view problem);

// What the validating pass learned.
struct Scan {
  Header header;
  bool complete = false;
  std::string incomplete_reason;
  std::int64_t lines = 0;  // the lines to import (a cut last line left out)
};

// The validating pass over a quik-export file: every line parsed and
// converted, the header, the end trailer and its counts checked; nothing is
// written. LineError for the first bad line.
Result<Scan> Validate(const std::filesystem::path& path);

}  // namespace quik::transfer
