#include "metrics/expiry.h"

#include <algorithm>

#include "loader/map_reader.h"

namespace sle {

std::unordered_set<std::uint64_t> cgroups_due(CgroupTracker& tracker,
                                              CgroupTracker::Clock::time_point now,
                                              CgroupTracker::Clock::duration after,
                                              CgroupTracker::Clock::time_point previous_read) {
  std::unordered_set<std::uint64_t> ids;
  for (const std::uint64_t id : tracker.expired(now, after)) {
    const auto info = tracker.info(id, now);
    if (info.dead_since && *info.dead_since < previous_read) ids.insert(id);
  }
  return ids;
}

std::size_t expire_cgroups(std::span<HookReading> hooks,
                           const std::unordered_set<std::uint64_t>& cgroup_ids) {
  std::size_t removed = 0;
  for (HookReading& h : hooks) {
    const HookSeries::Expired gone = h.series.expire(cgroup_ids);
    if (gone.keys.empty()) continue;
    removed += gone.keys.size();
    for (std::uint32_t g = 0; g < 2; ++g) {
      delete_counts(h.object->counts_fd(g), gone.keys);
      h.gens[g].entries -= std::min(h.gens[g].entries, gone.in_generation[g]);
      h.gens[g].deleted += gone.counts_in_generation[g];
    }
  }
  return removed;
}

}  // namespace sle
