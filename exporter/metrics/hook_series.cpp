#include "metrics/hook_series.h"

#include <cstring>
#include <string_view>

namespace sle {

std::size_t KeyHash::operator()(const sle_key& key) const {
  // Keys are zero-padded plain data: their bytes are their identity.
  return std::hash<std::string_view>()(
      std::string_view(reinterpret_cast<const char*>(&key), sizeof key));
}

bool KeyEqual::operator()(const sle_key& a, const sle_key& b) const {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

HookSeries::SeriesMap::iterator HookSeries::find_or_add(std::string labels) {
  if (auto it = series_.find(labels); it != series_.end()) return it;
  auto text = std::make_shared<const std::string>(std::move(labels));
  const std::string_view key = *text;
  return series_.emplace(key, SeriesState{std::move(text)}).first;
}

void HookSeries::update(std::uint32_t gen, std::span<const CountEntry> entries,
                        const std::function<std::string(const sle_key&)>& labels_of) {
  gen &= 1;
  for (const auto& [key, count] : entries) {
    auto it = keys_.find(key);
    if (it == keys_.end()) {
      const auto series = find_or_add(labels_of(key));
      ++series->second.keys;
      it = keys_.emplace(key, KeyState{series}).first;
    }
    // Counts only grow; a key leaves the map only through expire().
    it->second.series->second.current += count - it->second.count[gen];
    it->second.count[gen] = count;
  }
  // Series put back by restore() whose keys are no longer in the map: nothing will ever add to
  // them again, so what they hold is expired.
  std::erase_if(series_, [this](const auto& entry) {
    const SeriesState& state = entry.second;
    if (state.keys != 0) return false;
    expired_ += state.retained;
    return true;
  });
}

HookSeries::Expired HookSeries::expire(const std::unordered_set<std::uint64_t>& cgroup_ids) {
  Expired gone;
  if (cgroup_ids.empty()) return gone;
  for (auto it = keys_.begin(); it != keys_.end();) {
    if (!cgroup_ids.contains(it->first.cgroup_id)) {
      ++it;
      continue;
    }
    SeriesState& series = it->second.series->second;
    const std::uint64_t count = it->second.count[0] + it->second.count[1];
    series.current -= count;
    series.retained += count;
    if (--series.keys == 0) {
      expired_ += series.retained;
      series_.erase(it->second.series);
    }
    for (std::uint32_t g = 0; g < 2; ++g)
      if (it->second.count[g] != 0) ++gone.in_generation[g];  // an entry holds at least 1
    gone.keys.push_back(it->first);
    it = keys_.erase(it);
  }
  // A table sized for a churn's peak would keep that memory: size it for what is left.
  if (keys_.size() < keys_.bucket_count() / 8) keys_.rehash(0);
  return gone;
}

std::vector<HookSeries::Series> HookSeries::series() const {
  std::vector<Series> out;
  out.reserve(series_.size());
  for (const auto& [labels, state] : series_)
    out.push_back({state.labels, state.current + state.retained});
  return out;
}

std::vector<HookSeries::Retained> HookSeries::retained() const {
  std::vector<Retained> out;
  for (const auto& [labels, state] : series_)
    if (state.retained != 0) out.push_back({std::string(labels), state.retained});
  return out;
}

void HookSeries::restore(std::span<const Retained> retained, std::uint64_t expired) {
  expired_ = expired;
  for (const Retained& r : retained) find_or_add(r.labels)->second.retained += r.count;
}

}  // namespace sle
