#include "cli.h"

#include <CLI/CLI.hpp>
#include <iostream>

namespace sle {

std::optional<int> parse_flags(int argc, char** argv, Flags& flags) {
  CLI::App app{"socket_lsm_exporter: counts the Linux socket security hooks with eBPF"};
  app.option_defaults()->always_capture_default();
  app.add_option("--config.file", flags.config_file,
                 "YAML config file (default: the built-in config, as in "
                 "config/socket-lsm-exporter.yaml)");
  app.add_option("--web.listen-address", flags.listen_address,
                 "Address to listen on (default :10142)");
  app.add_option("--web.telemetry-path", flags.telemetry_path,
                 "Path under which to expose metrics (default /metrics)");
  app.add_option("--web.config.file", flags.web_config_file,
                 "Web config file (exporter-toolkit format: TLS, basic auth)");
  app.add_option("--log.level", flags.log_level, "debug, info, warn or error (default info)")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  app.add_option("--log.format", flags.log_format, "logfmt or json (default logfmt)")
      ->check(CLI::IsMember({"logfmt", "json"}));
  app.add_option("--bpf.backend", flags.backend,
                 "auto, lsm, fentry, kprobe or tracepoint (default auto)")
      ->check(CLI::IsMember({"auto", "lsm", "fentry", "kprobe", "tracepoint"}));
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
  return std::nullopt;
}

Config effective_config(const Flags& flags) {
  Config config = flags.config_file ? load_config_file(*flags.config_file) : default_config();
  if (flags.listen_address) config.listen_address = *flags.listen_address;
  if (flags.telemetry_path) config.telemetry_path = *flags.telemetry_path;
  if (flags.web_config_file) config.web_config_file = *flags.web_config_file;
  if (flags.log_level) config.log_level = *flags.log_level;
  if (flags.log_format) config.log_format = *flags.log_format;
  if (flags.backend) config.backend = *flags.backend;
  if (config.telemetry_path.empty() || config.telemetry_path[0] != '/' ||
      config.telemetry_path == "/")
    throw ConfigError("--web.telemetry-path: \"" + config.telemetry_path +
                      "\" must start with '/' and not be \"/\"");
  return config;
}

}  // namespace sle
