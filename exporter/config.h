// The exporter's configuration: the YAML file (config/socket-lsm-exporter.yaml documents every key)
// parsed and validated into a Config. Errors name the file, line, column and key path:
//   config.yaml:7:5: hooks.bind.labels[2]: unknown label "peer" for hook bind (supported: ...)
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "hook_table.h"

namespace sle {

struct HookConfig {
  bool enabled = true;
  std::uint32_t max_entries = 10240;  // capacity of the hook's per-CPU hash map; 1..1048576
  std::uint32_t label_mask = 0;       // SLE_LABEL_BIT()s; default: spec(h).labels
  std::uint64_t family_mask = 0;      // families filter: bit f set = count family f; 0 = count all

  friend bool operator==(const HookConfig&, const HookConfig&) = default;
};

struct PortRange {
  std::uint16_t first;
  std::uint16_t last;

  friend bool operator==(const PortRange&, const PortRange&) = default;
};

inline constexpr std::uint32_t kMinMapEntries = 1;
inline constexpr std::uint32_t kMaxMapEntries = 1048576;

struct Config {
  std::chrono::milliseconds read_interval{5000};  // 0 = read the maps at each scrape
  std::string listen_address = ":10142";
  std::string telemetry_path = "/metrics";
  std::string web_config_file;        // empty = none
  bool bpf_stats = false;             // turn on kernel BPF run-time stats (BPF_ENABLE_STATS)
  std::string backend = "auto";       // auto|lsm|fentry|kprobe|tracepoint
  std::string log_level = "info";     // debug|info|warn|error
  std::string log_format = "logfmt";  // logfmt|json
  std::vector<PortRange> exact_ports{{0, 1023}};
  std::array<HookConfig, kHookCount> hooks;  // indexed by Hook; defaults filled in

  friend bool operator==(const Config&, const Config&) = default;
};

class ConfigError : public std::runtime_error {
 public:
  using runtime_error::runtime_error;
};

// The built-in defaults: every hook enabled with all the labels it supports.
Config default_config();

// Parses and validates a YAML document; file_name only appears in error messages. An empty
// document gives default_config(). Throws ConfigError.
Config parse_config(std::string_view yaml_text, std::string_view file_name);

// Reads the file (ConfigError "cannot read <path>: <strerror>"), then parse_config.
Config load_config_file(const std::string& path);

// The exact-port set as a 65536-bit bitmap: bit p (word p / 64, bit p % 64) set when port p is
// exact.
std::array<std::uint64_t, SLE_PORT_BITMAP_WORDS> exact_port_bitmap(const Config& config);

}  // namespace sle
