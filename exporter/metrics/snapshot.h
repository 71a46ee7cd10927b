// The maps of every attached hook, read at one moment, and the series they make: what /metrics
// publishes. Each read switches the hooks' generation and reads the one left behind, exactly
// (bpf/counting.bpf.h); names the keys' cgroups; and removes the series of cgroups dead for longer
// than cgroups.expire_after (docs/lifecycle.md).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cgroups/cgroup_tracker.h"
#include "config/config.h"
#include "loader/hook_set.h"
#include "loader/map_reader.h"
#include "loader/pinning.h"
#include "metrics/exposition.h"
#include "metrics/generation_reader.h"
#include "metrics/heap_trim.h"
#include "metrics/read_schedule.h"
#include "metrics/text_pool.h"

namespace sle {

struct HookSnapshot {
  Hook hook;
  Backend backend;
  std::uint32_t capacity = 0;  // of each generation's map
  std::size_t entries = 0;     // in the fuller generation's map
  std::uint64_t labelled = 0;  // the sum of its series: labelled + overflow + expired == calls
  std::uint64_t calls = 0;
  std::uint64_t overflow = 0;
  std::uint64_t expired = 0;
};

struct Snapshot {
  std::vector<HookSnapshot> hooks;  // attached hooks only
  CgroupTracker::Counts cgroups;    // live, and dead but in grace
  double timestamp_seconds = 0;     // Unix time of the read
  double duration_seconds = 0;
  std::shared_ptr<const std::string> hook_families;  // the hook counters, as exposition text
  std::shared_ptr<const Exposition> exposition;      // the whole /metrics body of this read
};

namespace test {
struct SnapshotReaderPeer;  // tests/exporter/metrics/peers.h
}

class SnapshotReader {
 public:
  // tracker may be null (no cgroup2 mount): every cgroup label reads "unknown". state, when
  // bpf.pin_path is set: what was kept at the last stop is taken back, and kept again at stop().
  SnapshotReader(HookSet& hooks, const Config& config, CgroupTracker* tracker, PinnedBlob* state);
  ~SnapshotReader();
  SnapshotReader(const SnapshotReader&) = delete;
  SnapshotReader& operator=(const SnapshotReader&) = delete;

  // The first read (both generations), then one every read_interval on a thread of its own.
  void start();
  // Stops reading; keeps the state (with bpf.pin_path).
  void stop();
  // The latest read; with read_interval 0 a fresh one, which scrapes arriving meanwhile share.
  std::shared_ptr<const Snapshot> latest();
  std::uint64_t read_errors() const { return errors_; }

 private:
  friend struct test::SnapshotReaderPeer;

  // One read (ReadSchedule's `read`): the maps, expiry, the text, published. A failure is
  // logged and counted, and the previous snapshot published again with it.
  void read_now();
  void expire(CgroupTracker::Clock::time_point now);
  // Renders the snapshot's exposition from its hook families and the own ones, and publishes it.
  void publish(std::shared_ptr<Snapshot> snap);

  // What follows, up to errors_, belongs to the read under way (ReadSchedule runs one at a time),
  // to start() before the first read and to stop() after the last.
  const HookSet& hook_set_;
  const bool stats_held_;
  CgroupTracker* const tracker_;
  PinnedBlob* const state_;
  const std::chrono::milliseconds expire_after_;
  GenerationReader generations_;
  // Cgroups dead before this (the start of the previous read) have had both generations read
  // since: their counts are final.
  std::optional<CgroupTracker::Clock::time_point> previous_read_;
  TextPool texts_;
  HeapTrim trim_;
  std::atomic<std::uint64_t> errors_{0};  // written by reads, read by any thread

  // The lock order: none is taken while another is held. ReadSchedule's lock is never held
  // during a read; the tracker's is taken and released within each of its calls; mu_ is held only
  // around latest_.
  std::mutex mu_;
  std::shared_ptr<const Snapshot> latest_;
  ReadSchedule schedule_;  // last: its thread stops before the state above goes
};

}  // namespace sle
