// Command-line flags, in the Prometheus exporters' style (--web.listen-address=:10142 ...). The
// flags that set a config key are merged into the config file's values and validated with them,
// once (config/config.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"

namespace sle {

struct Flags {
  std::optional<std::string> config_file;
  std::vector<FlagValue> values;  // the config keys set on the command line
  bool config_check = false;
  bool version = false;
};

// Parses argv. On --help or a bad flag, prints the message and returns the exit code to use
// (0 for --help, 2 for an error); otherwise returns nullopt and fills `flags`.
std::optional<int> parse_flags(int argc, char** argv, Flags& flags);

// The config file (or the defaults, without --config.file) with the flags merged in. Throws
// ConfigError.
Config effective_config(const Flags& flags);

}  // namespace sle
