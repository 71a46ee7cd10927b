// Removing the series of cgroups dead for longer than cgroups.expire_after (docs/lifecycle.md):
// which cgroups are due, and taking their keys out of the series and the kernel's maps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <unordered_set>

#include "cgroups/cgroup_tracker.h"
#include "metrics/hook_reading.h"

namespace sle {

// The cgroups dead for at least `after` that died before previous_read started: both generations
// were read since, so the counts their series hold are final.
std::unordered_set<std::uint64_t> cgroups_due(CgroupTracker& tracker,
                                              CgroupTracker::Clock::time_point now,
                                              CgroupTracker::Clock::duration after,
                                              CgroupTracker::Clock::time_point previous_read);

// Takes the keys of these cgroups out of the hooks' series (their counts stay in their series
// while it has other keys, else move to the expired total) and out of both generations' maps,
// whose generations count them as deleted. Returns how many keys it took out. Throws SystemError
// when a map refuses.
std::size_t expire_cgroups(std::span<HookReading> hooks,
                           const std::unordered_set<std::uint64_t>& cgroup_ids);

}  // namespace sle
