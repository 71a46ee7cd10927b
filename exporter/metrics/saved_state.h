// What the exporter keeps across a restart with bpf.pin_path (docs/lifecycle.md), beside the
// pinned maps: every known cgroup's path and, for those dead, for how long; and per hook the
// counts held in user space (retained by series, and the expired total). JSON, so that an
// upgraded exporter can still read an older one's.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cgroups/cgroup_tracker.h"
#include "loader/pinning.h"
#include "metrics/hook_reading.h"
#include "metrics/hook_series.h"

namespace sle {

struct SavedState {
  struct Cgroup {
    std::uint64_t id = 0;
    std::string path;
    WorkloadNames names;                     // gone with the container's config.json: kept
    std::optional<double> dead_for_seconds;  // at the time of saving
  };
  struct Hook {
    std::vector<HookSeries::Retained> retained;
    std::uint64_t expired = 0;
  };
  double saved_at = 0;  // Unix time
  std::vector<Cgroup> cgroups;
  std::map<std::string, Hook> hooks;  // by hook name

  // The tracker's cgroups, their deaths as ages.
  void set_cgroups(const std::vector<std::pair<std::uint64_t, CgroupTracker::Info>>& known,
                   CgroupTracker::Clock::time_point now);
  // Back into the tracker's terms: ages, plus the time since saving, as times of death.
  std::vector<std::pair<std::uint64_t, CgroupTracker::Info>> cgroups_at(
      CgroupTracker::Clock::time_point now) const;
};

std::string to_json(const SavedState& state);
// Throws Error on anything that is not a state this exporter wrote.
SavedState parse_saved_state(const std::string& text);

// Before the first read: takes back what save_state() wrote into blob, the cgroups into the
// tracker (when there is one) and each hook's counts into its series, only where the hook's maps
// were kept too (counts kept beside new maps would count twice). A state that cannot be read is
// logged and left: the exporter starts without it.
void restore_state(const PinnedBlob& blob, CgroupTracker* tracker, std::span<HookReading> hooks);
// Writes the tracker's cgroups and the hooks' counts held in user space into blob. A failed write
// is logged: the exporter goes on (a restart then starts without them).
void save_state(PinnedBlob& blob, const CgroupTracker* tracker, std::span<const HookReading> hooks);

}  // namespace sle
