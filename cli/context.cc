// SPDX-License-Identifier: MIT
// Cli: options loading, confirmations and the opened service.
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <iostream>
#include <string>
#include <system_error>

#include <quik/config.hpp>

#include "cli.hpp"

namespace quikctl {

quik::Status Cli::Confirm(bool yes, const std::string& question) {
  if (yes) return quik::Status::Ok();
  if (!::isatty(STDIN_FILENO) || !::isatty(STDERR_FILENO)) {
    return Usage(question + " This cannot be undone: add --yes to confirm (no terminal to ask on)");
  }
  std::cerr << question << " This cannot be undone. Type yes to continue: " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  for (char& c : answer) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!answer.empty() && std::isspace(static_cast<unsigned char>(answer.back()))) {
    answer.pop_back();
  }
  if (answer == "y" || answer == "yes") return quik::Status::Ok();
  return Usage("not confirmed; nothing was changed");
}

OutputFormat GlobalFlags::format() const {
  if (output == "json") return OutputFormat::kJson;
  if (output == "yaml") return OutputFormat::kYaml;
  return OutputFormat::kTable;
}

quik::Result<quik::Options> Cli::LoadOptions() {
  quik::Options options;
  options.data_dir = flags_.data_dir;
  std::filesystem::path config =
      flags_.config.empty() ? options.data_dir / "quik.toml" : std::filesystem::path(flags_.config);
  std::error_code ec;
  bool present = std::filesystem::exists(config, ec);
  if (!flags_.config.empty() && !present) {
    return quik::NotFound("config file " + config.string() + " does not exist");
  }
  if (present) QUIK_RETURN_IF_ERROR(quik::LoadOptionsFile(config, &options));
  // The data dir is the flag's, whatever the file says.
  options.data_dir = flags_.data_dir;
  return options;
}

quik::Status Cli::RequireInitialised(const quik::Options& options) const {
  std::error_code ec;
  if (!std::filesystem::exists(options.data_dir / "quik.db", ec)) {
    return quik::NotFound("data dir " + options.data_dir.string() +
                          " is not initialised; run quikctl init");
  }
  return quik::Status::Ok();
}

quik::Result<quik::Service*> Cli::OpenService() {
  if (service_) return service_.get();
  QUIK_ASSIGN_OR_RETURN(quik::Options options, LoadOptions());
  QUIK_RETURN_IF_ERROR(RequireInitialised(options));
  QUIK_ASSIGN_OR_RETURN(service_, quik::Service::Open(options));
  return service_.get();
}

}  // namespace quikctl
