// One hook's series: what /metrics shows of its map. Keys are read from the kernel; each key's
// labels are worked out once, when it is first seen, and keys whose labels agree (a label switched
// off in user space, two cgroup ids with the same path, the containers of one pod under pod_uid)
// add up into one series. When a cgroup expires, its keys leave the map; their counts stay in
// their series (retained) while the series has other keys, so that no counter goes down, and
// move to the hook's expired total with the series' last key (docs/lifecycle.md).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "loader/map_reader.h"
#include "metrics/key_table.h"
#include "metrics/series_labels.h"

namespace sle {

namespace test {
struct HookSeriesPeer;  // tests/exporter/metrics/peers.h
}

class HookSeries {
 public:
  // Starts a read of generation gen's map: update() then gets its entries in the map's order.
  void start_read(std::uint32_t gen) { keys_.start_read(gen); }
  // Applies (part of) a read of generation gen's map (bpf/counting.bpf.h): every key with its
  // count there. A key's count is the sum of its counts in both generations. Keys not seen before
  // are left in `new_keys`, for add().
  void update(std::uint32_t gen, std::span<const CountEntry> entries,
              std::vector<CountEntry>& new_keys);
  // After the hash's entries, in the same read of generation gen: the counts of the generation's
  // slots (bpf/counting.bpf.h), in key order, added to their keys' counts there (to their entries
  // in `new_keys` for keys not seen before). Returns each of those keys with its count in gen
  // now, hash and slots: what the hash holds once the slots are emptied into it.
  std::vector<CountEntry> add_slot_counts(std::uint32_t gen, std::span<const CountEntry> slots,
                                          std::vector<CountEntry>& new_keys);
  // Adds keys not seen before: each gets its labels from labels_of (as label_text() writes
  // them), once; its series is the one with those labels. Keys with a count of 0 are left out
  // (a key takes its place in the hash before its first count lands in a slot).
  void add(std::uint32_t gen, std::span<const CountEntry> new_keys,
           const std::function<std::string(const sle_key&)>& labels_of);
  // The three at once: a whole read.
  void update(std::uint32_t gen, std::span<const CountEntry> entries,
              const std::function<std::string(const sle_key&)>& labels_of);

  // Removes the keys of these cgroup ids (they are gone, so their counts are final): their counts
  // stay in their series, and a series left without keys moves its value to expired(). Returns
  // the keys, for the caller to delete from the kernel's maps, and how many were in each
  // generation's map with what counts.
  struct Expired {
    std::vector<sle_key> keys;
    std::size_t in_generation[2] = {0, 0};
    std::uint64_t counts_in_generation[2] = {0, 0};
  };
  Expired expire(const std::unordered_set<std::uint64_t>& cgroup_ids);

  // Appends each series as the text exposition writes it: `metric{labels} value` lines.
  void append_exposition(std::string& out, std::string_view metric) const;
  // The sum of every series.
  std::uint64_t total() const { return total_; }
  std::uint64_t expired() const { return expired_; }

  // What a restart keeps (docs/lifecycle.md): the counts of keys that left the map, per series,
  // and the expired total. restore() puts them back before the first update(); once both
  // generations have been read, drop_orphans() moves what belongs to no key in the maps any more
  // to the expired total (nothing will ever add to those series again).
  struct Retained {
    std::string labels;  // as in Series
    std::uint64_t count = 0;
  };
  std::vector<Retained> retained() const;
  void restore(std::span<const Retained> retained, std::uint64_t expired);
  void drop_orphans();

 private:
  friend struct test::HookSeriesPeer;

  struct SeriesState {
    // The label text in one allocation of its own (index_'s key views into it); null: a free
    // place. A series costs its text and some 80 bytes, which with a key's 80 is what 100,000
    // series cost.
    std::unique_ptr<char[]> text;
    std::uint32_t length = 0;
    std::string_view labels() const { return {text.get(), length}; }
    std::uint64_t current = 0;   // sum of its keys' counts, as last read
    std::uint64_t retained = 0;  // counts of its keys that expired
    std::size_t keys = 0;        // keys in the map that belong to it
  };
  // The series live in a vector (reads walk them all, in the order they came) and are found by
  // their label text; a removed one's place is reused.
  std::uint32_t find_or_add(std::string_view labels);
  // A key's count in generation gen as just read: its series and the total move by the change.
  void set_count(KeyTable::State& state, std::uint32_t gen, std::uint64_t count);
  void remove(std::uint32_t at);
  void compact();
  std::vector<SeriesState> series_;  // labels null: a free place
  std::vector<std::uint32_t> free_;
  std::unordered_map<std::string_view, std::uint32_t> index_;
  KeyTable keys_;
  std::uint64_t expired_ = 0;
  std::uint64_t total_ = 0;  // the sum of every series' current and retained counts
};

}  // namespace sle
