#include "metrics/hook_series.h"

#include <charconv>
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

std::uint32_t HookSeries::find_or_add(std::string_view labels) {
  if (const auto it = index_.find(labels); it != index_.end()) return it->second;
  std::uint32_t at = 0;
  if (!free_.empty()) {
    at = free_.back();
    free_.pop_back();
  } else {
    at = static_cast<std::uint32_t>(series_.size());
    series_.emplace_back();
  }
  SeriesState& state = series_[at];
  state = SeriesState{};
  state.text = std::make_unique_for_overwrite<char[]>(std::max<std::size_t>(labels.size(), 1));
  std::memcpy(state.text.get(), labels.data(), labels.size());
  state.length = static_cast<std::uint32_t>(labels.size());
  index_.emplace(state.labels(), at);
  return at;
}

void HookSeries::remove(std::uint32_t at) {
  index_.erase(series_[at].labels());
  series_[at] = SeriesState{};
  free_.push_back(at);
}

void HookSeries::update(std::uint32_t gen, std::span<const CountEntry> entries,
                        std::vector<CountEntry>& new_keys) {
  gen &= 1;
  for (const auto& entry : entries) {
    const auto it = keys_.find(entry.first);
    if (it == keys_.end()) {
      new_keys.push_back(entry);
      continue;
    }
    // Counts only grow; a key leaves the map only through expire().
    const std::uint64_t delta = entry.second - it->second.count[gen];
    series_[it->second.series].current += delta;
    total_ += delta;
    it->second.count[gen] = entry.second;
  }
}

void HookSeries::add(std::uint32_t gen, std::span<const CountEntry> new_keys,
                     const std::function<std::string(const sle_key&)>& labels_of) {
  gen &= 1;
  for (const auto& [key, count] : new_keys) {
    auto [it, added] = keys_.try_emplace(key);
    if (added) {
      it->second.series = find_or_add(labels_of(key));
      ++series_[it->second.series].keys;
    }
    const std::uint64_t delta = count - it->second.count[gen];
    series_[it->second.series].current += delta;
    total_ += delta;
    it->second.count[gen] = count;
  }
}

void HookSeries::update(std::uint32_t gen, std::span<const CountEntry> entries,
                        const std::function<std::string(const sle_key&)>& labels_of) {
  std::vector<CountEntry> new_keys;
  update(gen, entries, new_keys);
  add(gen, new_keys, labels_of);
}

void HookSeries::drop_orphans() {
  for (std::uint32_t at = 0; at < series_.size(); ++at) {
    if (series_[at].text && series_[at].keys == 0) {
      expired_ += series_[at].retained;
      total_ -= series_[at].retained;
      remove(at);
    }
  }
}

HookSeries::Expired HookSeries::expire(const std::unordered_set<std::uint64_t>& cgroup_ids) {
  Expired gone;
  if (cgroup_ids.empty()) return gone;
  for (auto it = keys_.begin(); it != keys_.end();) {
    if (!cgroup_ids.contains(it->first.cgroup_id)) {
      ++it;
      continue;
    }
    SeriesState& series = series_[it->second.series];
    const std::uint64_t count = it->second.count[0] + it->second.count[1];
    series.current -= count;
    series.retained += count;
    if (--series.keys == 0) {
      expired_ += series.retained;
      total_ -= series.retained;
      remove(it->second.series);
    }
    for (std::uint32_t g = 0; g < 2; ++g)
      if (it->second.count[g] != 0) ++gone.in_generation[g];  // an entry holds at least 1
    gone.keys.push_back(it->first);
    it = keys_.erase(it);
  }
  // A table sized for a churn's peak would keep that memory: size it for what is left.
  if (keys_.size() < keys_.bucket_count() / 8) keys_.rehash(0);
  if (index_.size() < index_.bucket_count() / 8) index_.rehash(0);
  if (free_.size() > series_.size() / 2) compact();
  return gone;
}

std::vector<HookSeries::Series> HookSeries::series() const {
  std::vector<Series> out;
  out.reserve(index_.size());
  for (const SeriesState& state : series_)
    if (state.text) out.push_back({std::string(state.labels()), state.current + state.retained});
  return out;
}

void HookSeries::append_exposition(std::string& out, std::string_view metric) const {
  char number[24];
  for (const SeriesState& state : series_) {
    if (!state.text) continue;
    out += metric;
    out += state.labels();
    out += ' ';
    out.append(number,
               std::to_chars(number, number + sizeof number, state.current + state.retained).ptr);
    out += '\n';
  }
}

std::vector<HookSeries::Retained> HookSeries::retained() const {
  std::vector<Retained> out;
  for (const SeriesState& state : series_)
    if (state.text && state.retained != 0)
      out.push_back({std::string(state.labels()), state.retained});
  return out;
}

void HookSeries::restore(std::span<const Retained> retained, std::uint64_t expired) {
  expired_ = expired;
  for (const Retained& r : retained) {
    series_[find_or_add(r.labels)].retained += r.count;
    total_ += r.count;
  }
}

void HookSeries::compact() {
  // After a churn most places are free: move the series down and renumber, so that the vector
  // shrinks back to what is left.
  std::vector<std::uint32_t> moved(series_.size());
  std::vector<SeriesState> kept;
  kept.reserve(series_.size() - free_.size());
  for (std::uint32_t at = 0; at < series_.size(); ++at) {
    if (!series_[at].text) continue;
    moved[at] = static_cast<std::uint32_t>(kept.size());
    kept.push_back(std::move(series_[at]));
  }
  for (auto& [key, state] : keys_) state.series = moved[state.series];
  series_ = std::move(kept);
  free_.clear();
  free_.shrink_to_fit();
  index_.clear();
  for (std::uint32_t at = 0; at < series_.size(); ++at) index_.emplace(series_[at].labels(), at);
}

}  // namespace sle
