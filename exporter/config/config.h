// The exporter's configuration: the YAML file (config/socket-lsm-exporter.yaml documents every key)
// with the command-line flags merged in, validated once into typed values. Errors name the file,
// line, column and key path, or the flag:
//   config.yaml:7:5: hooks.bind.labels[2]: unknown label "peer" for hook bind (supported: ...)
//   --web.listen-address: invalid listen address "10142" (expected [host]:port, e.g. :10142 ...)
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cgroups/workload_names.h"
#include "common/error.h"
#include "common/logging.h"
#include "hooks/backend.h"
#include "hooks/hook_table.h"

namespace sle {

struct HookConfig {
  bool enabled = true;
  std::uint32_t max_entries = 10240;  // keys the hook's counts hash holds; 1..1048576
  std::uint32_t label_mask = 0;       // SLE_LABEL_BIT()s; default_config(): spec(h).labels
  std::uint64_t family_mask = 0;      // families filter: bit f set = count family f; 0 = count all

  friend bool operator==(const HookConfig&, const HookConfig&) = default;
};

struct PortRange {
  std::uint16_t first;
  std::uint16_t last;

  friend bool operator==(const PortRange&, const PortRange&) = default;
};

// Where to serve: host (empty: every address; a name, an IPv4 or an IPv6 address, the latter
// without the brackets it is written in) and port. Parsed once, with the config.
struct ListenAddress {
  std::string host;
  std::uint16_t port = 10142;

  // As written: ":10142", "127.0.0.1:10142", "[::1]:10142".
  std::string str() const {
    const bool ipv6 = host.find(':') != std::string::npos;
    return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  }
  friend bool operator==(const ListenAddress&, const ListenAddress&) = default;
};

// How the exporter hears of new and removed cgroups (docs/lifecycle.md).
enum class CgroupNaming {
  automatic,   // tracepoint, else fanotify, else walk
  tracepoint,  // cgroup:cgroup_mkdir/rmdir through a ring buffer
  fanotify,    // fanotify on the cgroup2 mount
  walk,        // a walk of the tree at each read
};

inline constexpr std::uint32_t kMinMapEntries = 1;
inline constexpr std::uint32_t kMaxMapEntries = 1048576;

struct Config {
  std::chrono::milliseconds read_interval{5000};  // 0 = read the maps at each scrape
  ListenAddress listen_address;
  std::string telemetry_path = "/metrics";
  std::string web_config_file;     // empty = none
  bool bpf_stats = false;          // turn on kernel BPF run-time stats (BPF_ENABLE_STATS)
  std::optional<Backend> backend;  // nullopt: auto
  std::string pin_path;            // bpf.pin_path: "" = maps not pinned
  // Where pin_path was set, as a config error about it begins ("file:line:col: bpf.pin_path",
  // "--bpf.pin-path"): the loader checks that it is on a bpf filesystem.
  std::string pin_path_source = "bpf.pin_path";
  log::Level log_level = log::Level::info;
  log::Format log_format = log::Format::logfmt;
  std::vector<PortRange> exact_ports{{0, 1023}};
  std::chrono::milliseconds expire_after{120000};  // a dead cgroup's series stay this long
  CgroupNaming cgroup_naming = CgroupNaming::automatic;
  // Where the container runtimes keep config.json, for the pod, namespace and container labels.
  std::vector<std::string> runtime_dirs = kDefaultRuntimeDirs;
  std::array<HookConfig, kHookCount> hooks;  // indexed by Hook; see default_config()

  friend bool operator==(const Config&, const Config&) = default;
};

// A command-line flag that sets a config key: its value replaces the file's before validation,
// and errors in it name the flag.
struct FlagValue {
  std::string_view flag;  // "--web.listen-address"
  std::string_view key;   // "web.listen_address"
  std::string value;
};

// The built-in defaults: every hook enabled with all the labels it supports.
Config default_config();

// Parses a YAML document (empty: the defaults), merges the flags in and validates the result;
// file_name only appears in error messages. Throws ConfigError.
Config parse_config(std::string_view yaml_text, std::string_view file_name,
                    std::span<const FlagValue> flags = {});

// Reads the file (ConfigError "cannot read <path>: <strerror>"), then parse_config.
Config load_config_file(const std::string& path, std::span<const FlagValue> flags = {});

// The exact-port set as a 65536-bit bitmap: bit p (word p / 64, bit p % 64) set when port p is
// exact.
std::array<std::uint64_t, SLE_PORT_BITMAP_WORDS> exact_port_bitmap(const Config& config);

}  // namespace sle
