// The maps of every attached hook, read at one moment: what the collector publishes.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "cgroups/cgroup_path.h"
#include "cgroups/cgroup_resolver.h"
#include "loader/hook_set.h"
#include "loader/map_reader.h"

namespace sle {

struct HookSnapshot {
  Hook hook;
  Backend backend{};
  std::uint32_t label_mask = 0;
  std::uint32_t capacity = 0;
  std::vector<CountEntry> entries;
  std::uint64_t calls = 0;
  std::uint64_t overflow = 0;
};

struct Snapshot {
  std::vector<HookSnapshot> hooks;  // attached hooks only
  CgroupPaths cgroup_paths;         // every cgroup id in hooks' entries
  double timestamp_seconds = 0;     // Unix time of the read
  double duration_seconds = 0;
};

// Reads one hook so that sum(entries) + overflow == calls: the totals are read before and after
// the entries, and the read is retried while they moved (a call in flight during the read).
HookSnapshot read_hook(const HookObject& object, std::uint32_t label_mask);

// Reads every `interval` on its own thread, or at each latest() when interval is zero.
class SnapshotReader {
 public:
  // resolver may be null (no cgroup2 mount): every cgroup reads "unknown".
  SnapshotReader(const HookSet& hooks, const Config& config, CgroupResolver* resolver);
  ~SnapshotReader();
  SnapshotReader(const SnapshotReader&) = delete;
  SnapshotReader& operator=(const SnapshotReader&) = delete;

  void start();
  void stop();
  std::shared_ptr<const Snapshot> latest();
  std::uint64_t read_errors() const { return errors_; }

 private:
  void read_now();
  void run();

  void resolve_cgroups(Snapshot& snap);

  const HookSet& hooks_;
  CgroupResolver* const resolver_;
  CgroupPaths cgroup_paths_;  // guarded by mu_; grows with the ids the maps hold
  std::array<std::uint32_t, kHookCount> label_masks_{};  // indexed by Hook
  const std::chrono::milliseconds interval_;
  std::mutex mu_;  // guards latest_ and serialises reads
  std::shared_ptr<const Snapshot> latest_;
  std::atomic<std::uint64_t> errors_{0};
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sle
