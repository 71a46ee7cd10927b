// Command-line flags, in the Prometheus exporters' style (--web.listen-address=:10142 ...).
#pragma once

#include <optional>
#include <string>

#include "config.h"

namespace sle {

struct Flags {
  std::optional<std::string> config_file;
  std::optional<std::string> listen_address;
  std::optional<std::string> telemetry_path;
  std::optional<std::string> web_config_file;
  std::optional<std::string> log_level;
  std::optional<std::string> log_format;
  std::optional<std::string> backend;
  bool config_check = false;
  bool version = false;
};

// Parses argv. On --help or a bad flag, prints the message and returns the exit code to use
// (0 for --help, 2 for an error); otherwise returns nullopt and fills `flags`.
std::optional<int> parse_flags(int argc, char** argv, Flags& flags);

// The config file (or the defaults, without --config.file) with the flags applied on top.
// Throws ConfigError.
Config effective_config(const Flags& flags);

}  // namespace sle
