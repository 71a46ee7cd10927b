// Reading the hooks' maps exactly (bpf/counting.bpf.h): each read switches a hook's generation,
// waits out the programs still counting into the one left behind (an RCU grace period), reads it,
// checks its counts against its calls total, and empties its slots into its hash. What is read
// goes into the hook's series, new keys named by the cgroup tracker.
#pragma once

#include <cstdint>
#include <exception>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "cgroups/cgroup_tracker.h"
#include "config/config.h"
#include "loader/hook_set.h"
#include "loader/map_reader.h"
#include "metrics/hook_reading.h"

namespace sle {

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
struct GenerationReaderPeer;  // tests/exporter/metrics/peers.h
}

class GenerationReader {
 public:
  // tracker may be null (no cgroup2 mount): every cgroup label reads "unknown".
  GenerationReader(HookSet& hooks, const Config& config, CgroupTracker* tracker);

  // Switches each hook's generation and reads the one left behind (both: then the other one too,
  // as the first read must). A generation whose calls total has not moved since its last read is
  // not walked. Throws SystemError when a map cannot be read, or when its counts and its calls
  // total still disagree after a grace period (a broken map): the hooks are then as the failed
  // read left them, and the next read of that generation checks them again.
  void read(bool both, CgroupTracker::Clock::time_point now);

  // The attached hooks, in table order.
  std::span<HookReading> hooks() { return hooks_; }
  std::span<const HookReading> hooks() const { return hooks_; }

 private:
  friend struct test::GenerationReaderPeer;

  // Reads one hook's generation-g hash into its series: `counted`, the sum of its counts; keys
  // not seen before in new_keys. Returns how many entries it has.
  static std::size_t read_hash(HookReading& h, std::uint32_t g, std::vector<CountEntry>& new_keys,
                               std::uint64_t& counted);
  std::string labels_of(const HookReading& hook, const sle_key& key,
                        CgroupTracker::Clock::time_point now);

  const HookSet& hook_set_;
  CgroupTracker* const tracker_;
  std::vector<HookReading> hooks_;
  // Hashes read a second time: their first read, made while the grace period ran, lacked a count
  // that a program still counting into the generation then added. Like the hooks, the reading
  // thread's: read it between reads only.
  std::uint64_t settle_waits_ = 0;
};

}  // namespace sle
