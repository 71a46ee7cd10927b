#include "metrics/hook_series.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string_view>

namespace sle {

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

void HookSeries::set_count(KeyTable::State& state, std::uint32_t gen, std::uint64_t count) {
  // Counts only grow; a key leaves the map only through expire().
  const std::uint64_t delta = count - state.count[gen];
  series_[state.series].current += delta;
  total_ += delta;
  state.count[gen] = count;
}

void HookSeries::update(std::uint32_t gen, std::span<const CountEntry> entries,
                        std::vector<CountEntry>& new_keys) {
  gen &= 1;
  for (const auto& entry : entries) {
    const std::uint32_t at = keys_.find_next(gen, entry.first);
    if (at == KeyTable::kNone) {
      new_keys.push_back(entry);
      continue;
    }
    set_count(keys_.state(at), gen, entry.second);
  }
}

std::vector<CountEntry> HookSeries::add_slot_counts(std::uint32_t gen,
                                                    std::span<const CountEntry> slots,
                                                    std::vector<CountEntry>& new_keys) {
  gen &= 1;
  const auto less = [](const CountEntry& a, const CountEntry& b) {
    return std::memcmp(&a.first, &b.first, sizeof a.first) < 0;
  };
  bool new_keys_sorted = false;
  std::vector<CountEntry> out;
  out.reserve(slots.size());
  for (const auto& [key, count] : slots) {
    if (const std::uint32_t at = keys_.find(key); at != KeyTable::kNone) {
      KeyTable::State& state = keys_.state(at);
      set_count(state, gen, state.count[gen] + count);
      out.emplace_back(key, state.count[gen]);
      continue;
    }
    // Slots are few: the new keys are sorted once, if a slot's key is among them at all.
    if (!new_keys_sorted) {
      std::sort(new_keys.begin(), new_keys.end(), less);
      new_keys_sorted = true;
    }
    const CountEntry probe{key, 0};
    auto it = std::lower_bound(new_keys.begin(), new_keys.end(), probe, less);
    if (it == new_keys.end() || less(probe, *it)) it = new_keys.insert(it, probe);
    it->second += count;
    out.emplace_back(key, it->second);
  }
  return out;
}

void HookSeries::add(std::uint32_t gen, std::span<const CountEntry> new_keys,
                     const std::function<std::string(const sle_key&)>& labels_of) {
  gen &= 1;
  for (const auto& [key, count] : new_keys) {
    if (count == 0) continue;
    std::uint32_t at = keys_.find(key);  // added once, should a read pass a key twice
    if (at == KeyTable::kNone) {
      const std::uint32_t series = find_or_add(labels_of(key));
      at = keys_.insert(key);
      keys_.state(at).series = series;
      ++series_[series].keys;
    }
    set_count(keys_.state(at), gen, count);
  }
}

void HookSeries::update(std::uint32_t gen, std::span<const CountEntry> entries,
                        const std::function<std::string(const sle_key&)>& labels_of) {
  std::vector<CountEntry> new_keys;
  start_read(gen);
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
  keys_.erase_if([&](const sle_key& key, const KeyTable::State& state) {
    if (!cgroup_ids.contains(key.cgroup_id)) return false;
    SeriesState& series = series_[state.series];
    const std::uint64_t count = state.count[0] + state.count[1];
    series.current -= count;
    series.retained += count;
    if (--series.keys == 0) {
      expired_ += series.retained;
      total_ -= series.retained;
      remove(state.series);
    }
    for (std::uint32_t g = 0; g < 2; ++g) {
      if (state.count[g] != 0) ++gone.in_generation[g];  // an entry holds at least 1
      gone.counts_in_generation[g] += state.count[g];
    }
    gone.keys.push_back(key);
    return true;
  });
  // A table sized for a churn's peak would keep that memory: size it for what is left.
  if (index_.size() < index_.bucket_count() / 8) index_.rehash(0);
  if (free_.size() > series_.size() / 2) compact();
  return gone;
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
  keys_.for_each(
      [&](const sle_key&, KeyTable::State& state) { state.series = moved[state.series]; });
  series_ = std::move(kept);
  free_.clear();
  free_.shrink_to_fit();
  index_.clear();
  for (std::uint32_t at = 0; at < series_.size(); ++at) index_.emplace(series_[at].labels(), at);
}

}  // namespace sle
