// Reading a hook's maps from user space (bpf/counting.bpf.h): each generation's counts hash, with
// BPF_MAP_LOOKUP_BATCH (falling back to key-by-key iteration on kernels without it), and its
// per-CPU totals and slot cache on every possible CPU.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <utility>
#include <vector>

extern "C" {
#include "socket_lsm.h"
}

namespace sle {

using CountEntry = std::pair<sle_key, std::uint64_t>;

// Each throws SystemError when the map cannot be read or written.

// Every entry of a counts hash, passed on in chunks of at most a few thousand: what a read holds
// stays bounded, whatever the map's size. Returns how many entries there were.
using OnCounts = std::function<void(std::span<const CountEntry>)>;
std::size_t for_each_count(int map_fd, std::uint32_t capacity, const OnCounts& on_counts);
// The two ways for_each_count reads: BPF_MAP_LOOKUP_BATCH (nullopt when the kernel has no batch
// lookups for the map, before anything was passed on), and key by key.
std::optional<std::size_t> for_each_count_batched(int map_fd, std::uint32_t capacity,
                                                  const OnCounts& on_counts);
std::size_t for_each_count_iterating(int map_fd, const OnCounts& on_counts);

// The same, every entry in one vector.
std::vector<CountEntry> read_counts(int map_fd, std::uint32_t capacity);
std::optional<std::vector<CountEntry>> read_counts_batched(int map_fd, std::uint32_t capacity);
std::vector<CountEntry> read_counts_iterating(int map_fd);

// Sets the counts of keys the hash already holds, in batches where the kernel has them (5.6+).
void write_counts(int map_fd, std::span<const CountEntry> entries);

// Deletes the keys from a counts hash, in batches (one by one on kernels without batch deletes).
// Keys already gone are no error.
void delete_counts(int map_fd, std::span<const sle_key> keys);

// One generation's totals (struct sle_totals), summed over every possible CPU (offline CPUs
// included: what they counted before going offline is there).
struct Totals {
  std::uint64_t calls = 0;
  std::uint64_t overflow = 0;
};
Totals read_totals(int totals_fd, std::uint32_t gen);

// The keys in one generation's slots (struct sle_cache of every possible CPU), each with its
// counts summed over slots and CPUs, in key order.
std::vector<CountEntry> read_slot_counts(int cache_fd, std::uint32_t gen);
// Empties every slot of the generation on every CPU. Only while no program can count into the
// generation (after the switch and an RCU grace period): a count added meanwhile would be lost.
void empty_slots(int cache_fd, std::uint32_t gen);

// What a generation holds, hash and slots together, summed by key: for tests and the benchmark.
// Read while programs count into it, a count being added may be missing.
std::vector<CountEntry> read_generation(int counts_fd, int cache_fd, std::uint32_t gen,
                                        std::uint32_t capacity);

// Every slot of a per-CPU array of u64, each summed over CPUs.
std::vector<std::uint64_t> read_percpu_array(int map_fd, std::uint32_t slots);

}  // namespace sle
