// The maps of every attached hook, read at one moment, and the series they make: what /metrics
// publishes. Each read switches the hooks' generation and reads the one left behind, exactly
// (bpf/counting.bpf.h); names the keys' cgroups; and removes the series of cgroups dead for longer
// than cgroups.expire_after (docs/lifecycle.md).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "cgroups/cgroup_tracker.h"
#include "config/config.h"
#include "loader/hook_set.h"
#include "loader/map_reader.h"
#include "loader/pinning.h"
#include "metrics/exposition.h"
#include "metrics/hook_series.h"

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

// The barrier's wait (loader/program_barrier.h), on a thread of its own from construction: the
// caller reads meanwhile, then wait()s, which rethrows what the wait threw. After it, no program
// counts into a generation switched away from before.
class GracePeriod {
 public:
  explicit GracePeriod(const ProgramBarrier& barrier);
  ~GracePeriod();
  GracePeriod(const GracePeriod&) = delete;
  GracePeriod& operator=(const GracePeriod&) = delete;
  void wait();

 private:
  std::exception_ptr error_;
  std::thread thread_;
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

  // What is known of one generation of one hook, from its last read.
  struct Generation {
    std::size_t entries = 0;
    std::uint64_t calls = 0;
    std::uint64_t overflow = 0;
    // Counts its map no longer holds, whose calls its calls total still has: what expiry deleted
    // since this process's first read, and what was missing at that read (deleted by an earlier
    // exporter, pinned maps).
    std::uint64_t deleted = 0;
    bool read = false;  // its counts map read once at least, by this process
  };
  struct HookState {
    HookObject* object = nullptr;
    std::uint32_t label_mask = 0;
    Generation gens[2];
    HookSeries series;
  };

  // One at a time, never under mu_: the reading thread's (read_interval > 0), or the scrape's that
  // set reading_ (read_interval 0). The state above mu_ is that caller's alone meanwhile.
  void read_now();
  // Switches the generation and reads the one left behind, into the series; empties its slots
  // into its hash.
  void read_generations(bool both, CgroupTracker::Clock::time_point now);
  // Reads one hook's generation-g hash into its series: `counted`, the sum of its counts; keys
  // not seen before in new_keys. Returns how many entries it has.
  std::size_t read_hash(HookState& h, std::uint32_t g, std::vector<CountEntry>& new_keys,
                        std::uint64_t& counted);
  void expire(CgroupTracker::Clock::time_point now);
  std::string labels_of(const HookState& hook, const sle_key& key,
                        CgroupTracker::Clock::time_point now);
  // Renders the snapshot's exposition from its hook families and the own ones, and publishes it.
  void publish(std::shared_ptr<Snapshot> snap);
  void restore_state();
  void save_state();
  void run();

  const HookSet& hook_set_;
  const bool stats_held_;
  CgroupTracker* const tracker_;
  PinnedBlob* const state_;
  const std::chrono::milliseconds interval_;
  const std::chrono::milliseconds expire_after_;
  std::vector<HookState> hooks_;  // attached hooks, in table order
  // Cgroups dead before this (the start of the previous read) have had both generations read
  // since: their counts are final.
  std::optional<CgroupTracker::Clock::time_point> previous_read_;

  // The hook families' texts of recent reads: one no snapshot holds any more is written over by
  // the next read, so that a read of many series does not allocate (and fault in) its text anew.
  std::vector<std::shared_ptr<std::string>> texts_;
  std::size_t peak_in_use_since_trim_ = 0;  // malloc's bytes in use, see read_now()

  // Guards what follows (latest_ and the hand-over between reads, scrapes and stop()); the state
  // above belongs to read_now()'s caller. Lock order: mu_ is held only around these fields, and
  // no other lock (the tracker's, the maps') is taken under it.
  std::mutex mu_;
  std::shared_ptr<const Snapshot> latest_;
  std::uint64_t reads_ = 0;  // completed reads, for scrapes sharing one
  bool reading_ = false;
  std::condition_variable read_done_;
  std::atomic<std::uint64_t> errors_{0};
  // Reads whose first read of a hash, made while the grace period ran, lacked a count that a
  // program still counting into the generation then added: the hash was read again (tests read
  // it through test::SnapshotReaderPeer).
  std::atomic<std::uint64_t> settle_waits_{0};
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sle
