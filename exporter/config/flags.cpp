#include "config/flags.h"

#include <CLI/CLI.hpp>
#include <array>
#include <iostream>
#include <string>

#include "hooks/backend.h"

namespace sle {
namespace {

// The flags that set a config key. Their values are checked with the config's (config.cpp).
struct ValueFlag {
  std::string_view flag;
  std::string_view key;
  std::string help;
};

const auto kValueFlags = std::to_array<ValueFlag>({
    {"--web.listen-address", "web.listen_address", "Address to listen on (default :10142)"},
    {"--web.telemetry-path", "web.telemetry_path",
     "Path under which to expose metrics (default /metrics)"},
    {"--web.config.file", "web.config_file",
     "Web config file (exporter-toolkit format: TLS, basic auth)"},
    {"--log.level", "log.level", "debug, info, warn or error (default info)"},
    {"--log.format", "log.format", "logfmt or json (default logfmt)"},
    {"--bpf.backend", "bpf.backend", backend_choices() + " (default auto)"},
    {"--bpf.pin-path", "bpf.pin_path",
     "Directory on a bpf filesystem where the maps are pinned, to keep counts across restarts"},
});

}  // namespace

std::optional<int> parse_flags(int argc, char** argv, Flags& flags) {
  CLI::App app{"socket_lsm_exporter: counts the Linux socket security hooks with eBPF"};
  app.add_option("--config.file", flags.config_file,
                 "YAML config file (default: the built-in config, as in "
                 "config/socket-lsm-exporter.yaml)");
  std::array<std::optional<std::string>, kValueFlags.size()> values;
  for (std::size_t i = 0; i < kValueFlags.size(); ++i)
    app.add_option(std::string(kValueFlags[i].flag), values[i], kValueFlags[i].help);
  app.add_flag("--config.check", flags.config_check, "Validate the config and exit");
  app.add_flag("--version", flags.version, "Print the version and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  for (std::size_t i = 0; i < kValueFlags.size(); ++i)
    if (values[i]) flags.values.push_back({kValueFlags[i].flag, kValueFlags[i].key, *values[i]});
  return std::nullopt;
}

Config effective_config(const Flags& flags) {
  if (flags.config_file) return load_config_file(*flags.config_file, flags.values);
  return parse_config("", "(built-in defaults)", flags.values);
}

}  // namespace sle
