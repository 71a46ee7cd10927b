// What the tests of the reader's parts share: a config with only the setsockopt hook on the
// tracepoint backend, the cgroup tracker on the real cgroup2 mount, and the setsockopt series of
// one optname in exposition text.
#pragma once

#include <bpf/bpf.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "cgroups/cgroup_tracker.h"
#include "common/mounts.h"
#include "config/config.h"
#include "loader/cgroup_tracepoint.h"
#include "loader/hook_object.h"

namespace sle::test {

inline Config setsockopt_only(std::chrono::milliseconds read_interval) {
  Config config = default_config();
  config.backend = Backend::tracepoint;
  config.read_interval = read_interval;
  for (const Hook hook : all_hooks())
    config.hooks[hook.index()].enabled = hook == hook_named("setsockopt");
  return config;
}

// Named by the cgroup tracepoints.
inline std::unique_ptr<CgroupTracker> real_tracker() {
  const auto mount = find_mount_entry(read_mountinfo(), "cgroup2");
  if (!mount) throw std::runtime_error("no cgroup2 mount");
  return std::make_unique<CgroupTracker>(mount->mount_point, mount->root,
                                         std::make_unique<CgroupTracepoint>());
}

// The `metric` series whose optname label is the number, in exposition text, as name=value,...
// (unquoted) and its value.
inline std::map<std::string, std::uint64_t> with_optname(std::string_view text,
                                                         std::string_view metric, int optname) {
  std::map<std::string, std::uint64_t> out;
  const std::string mine = "optname=\"" + std::to_string(optname) + "\"";
  std::istringstream lines{std::string(text)};
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with(std::string(metric) + "{") || line.find(mine) == std::string::npos)
      continue;
    const auto open = line.find('{'), close = line.rfind('}');
    std::string labels;
    for (const char c : line.substr(open + 1, close - open - 1))
      if (c != '"') labels += c;
    out[labels] = std::stoull(line.substr(close + 2));
  }
  return out;
}

// A setsockopt key (SOL_SOCKET, optname) with a count of 5 and no call for it, written into the
// generation the next read reads: a broken map, as the reader sees it. Take it out again with
// bpf_map_delete_elem(object.counts_fd(gen), &key).
struct UncountedKey {
  sle_key key{};
  std::uint32_t gen = 0;
};
inline UncountedKey write_uncounted_key(const HookObject& object, int optname) {
  UncountedKey out;
  out.key.level = 1;  // SOL_SOCKET
  out.key.optname = static_cast<std::uint32_t>(optname);
  out.gen = object.generation();
  const std::uint64_t value = 5;
  if (bpf_map_update_elem(object.counts_fd(out.gen), &out.key, &value, BPF_NOEXIST) != 0)
    throw std::runtime_error("writing a key behind the programs' backs failed");
  return out;
}

}  // namespace sle::test
