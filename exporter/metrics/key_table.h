// The keys a hook's series know, with what the last reads found for each: a flat table, because a
// read looks up every key of the map (100,000 and more) and a node per key made those lookups
// the read's largest cost in user space (cache misses).
//
// A read of a generation's map returns its keys in the kernel's bucket order, which changes only
// where keys came or went. So each key also remembers which key followed it in the last read of
// each generation, and a read checks that one first: in steady state a read is a walk through
// the table in the order it was filled, not a hash lookup per key. The hints only make finding
// faster; what is found is the same without them.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

extern "C" {
#include "socket_lsm.h"
}

namespace sle {

class KeyTable {
 public:
  static constexpr std::uint32_t kNone = UINT32_MAX;

  struct State {
    std::uint32_t series = 0;
    std::uint64_t count[2] = {0, 0};  // in each generation, as last read
  };

  std::size_t size() const { return keys_.size(); }
  const sle_key& key(std::uint32_t at) const { return keys_[at]; }
  State& state(std::uint32_t at) { return states_[at]; }
  const State& state(std::uint32_t at) const { return states_[at]; }

  // Where the key is, or kNone.
  std::uint32_t find(const sle_key& key) const;
  // Adds a key that is not in the table; returns where it is.
  std::uint32_t insert(const sle_key& key);

  // A read of generation gen: start_read(), then find_next() for each key in the order the map
  // returns them.
  void start_read(std::uint32_t gen);
  std::uint32_t find_next(std::uint32_t gen, const sle_key& key);
  // How many find_next() calls missed their hint and looked the key up.
  std::uint64_t lookups() const { return lookups_; }

  // Removes every key for which remove(key, state) is true (called once for each key, in the
  // table's order). The other keys keep their order, not their places.
  void erase_if(const std::function<bool(const sle_key&, const State&)>& remove);

  // Calls fn for every key, in the table's order.
  void for_each(const std::function<void(const sle_key&, State&)>& fn);

 private:
  void rebuild_slots(std::size_t capacity);
  void place(std::uint32_t at);  // keys_[at] into the first free slot from its own
  std::size_t slot_of(const sle_key& key) const;

  std::vector<sle_key> keys_;
  std::vector<State> states_;
  // Open addressing with linear probing: a key's place + 1, 0 for an empty slot; a power of two,
  // at most half full.
  std::vector<std::uint32_t> slots_;
  // For each generation: the key that followed each key in the last read, and the first key.
  std::vector<std::uint32_t> next_[2];
  std::uint32_t first_[2] = {kNone, kNone};
  std::uint32_t previous_[2] = {kNone, kNone};  // the key found last in the read under way
  std::uint64_t lookups_ = 0;
};

}  // namespace sle
