#include "metrics/key_table.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace sle {
namespace {

// MurmurHash3's finalizer: every bit of the input moves the low bits, which pick the slot.
std::uint64_t mix(std::uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

// Keys are zero-padded plain data: their bytes are their identity.
bool same(const sle_key& a, const sle_key& b) { return std::memcmp(&a, &b, sizeof a) == 0; }

constexpr std::size_t kMinSlots = 16;

}  // namespace

std::size_t KeyTable::slot_of(const sle_key& key) const {
  static_assert(sizeof(sle_key) == 4 * sizeof(std::uint64_t));
  std::uint64_t w[4];
  std::memcpy(w, &key, sizeof w);
  return mix(w[0] ^ mix(w[1] ^ mix(w[2] ^ mix(w[3])))) & (slots_.size() - 1);
}

std::uint32_t KeyTable::find(const sle_key& key) const {
  if (slots_.empty()) return kNone;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = slot_of(key);; i = (i + 1) & mask) {
    const std::uint32_t s = slots_[i];
    if (s == 0) return kNone;
    if (same(keys_[s - 1], key)) return s - 1;
  }
}

void KeyTable::place(std::uint32_t at) {
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = slot_of(keys_[at]);
  while (slots_[i] != 0) i = (i + 1) & mask;
  slots_[i] = at + 1;
}

void KeyTable::rebuild_slots(std::size_t capacity) {
  slots_.assign(capacity, 0);
  slots_.shrink_to_fit();
  for (std::uint32_t at = 0; at < keys_.size(); ++at) place(at);
}

std::uint32_t KeyTable::insert(const sle_key& key) {
  if ((keys_.size() + 1) * 2 > slots_.size()) rebuild_slots(std::max(kMinSlots, slots_.size() * 2));
  const auto at = static_cast<std::uint32_t>(keys_.size());
  keys_.push_back(key);
  states_.emplace_back();
  for (auto& next : next_) next.push_back(kNone);
  place(at);
  return at;
}

void KeyTable::start_read(std::uint32_t gen) { previous_[gen & 1] = kNone; }

std::uint32_t KeyTable::find_next(std::uint32_t gen, const sle_key& key) {
  gen &= 1;
  const std::uint32_t previous = previous_[gen];
  std::uint32_t& link = previous == kNone ? first_[gen] : next_[gen][previous];
  std::uint32_t at = link;
  if (at == kNone || !same(keys_[at], key)) {
    ++lookups_;
    at = find(key);
  }
  // A key not in the table yet (added after this read) leaves the walk where it was: the key
  // after it most likely followed the previous one last time.
  if (at == kNone) return kNone;
  link = at;
  previous_[gen] = at;
  return at;
}

void KeyTable::erase_if(const std::function<bool(const sle_key&, const State&)>& remove) {
  std::size_t kept = 0;
  for (std::size_t at = 0; at < keys_.size(); ++at) {
    if (remove(keys_[at], states_[at])) continue;
    keys_[kept] = keys_[at];
    states_[kept] = states_[at];
    ++kept;
  }
  if (kept == keys_.size()) return;
  keys_.resize(kept);
  states_.resize(kept);
  // A table sized for a churn's peak would keep that memory: size it for what is left.
  if (kept < keys_.capacity() / 4) {
    keys_.shrink_to_fit();
    states_.shrink_to_fit();
  }
  for (std::uint32_t gen = 0; gen < 2; ++gen) {
    next_[gen].assign(kept, kNone);
    next_[gen].shrink_to_fit();
    first_[gen] = previous_[gen] = kNone;
  }
  rebuild_slots(std::max(kMinSlots, std::bit_ceil(2 * kept)));
}

void KeyTable::for_each(const std::function<void(const sle_key&, State&)>& fn) {
  for (std::size_t at = 0; at < keys_.size(); ++at) fn(keys_[at], states_[at]);
}

}  // namespace sle
