// Reading a hook's maps from user space: every entry of the per-CPU counts hash (with
// BPF_MAP_LOOKUP_BATCH, falling back to key-by-key iteration on kernels without it) and the
// per-CPU totals array, each summed over CPUs.
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

// Each throws SystemError when the map cannot be read.

// Every entry of a counts map, summed over CPUs as it comes and passed on in chunks of at most a
// few thousand: what a read holds stays bounded, whatever the map's size and the number of
// possible CPUs. Returns how many entries there were.
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

// One of the totals of generation gen (bpf/counting.bpf.h), summed over CPUs.
std::uint64_t read_total(int map_fd, std::uint32_t gen, sle_total which);
// Every slot of a per-CPU array, each summed over CPUs.
std::vector<std::uint64_t> read_percpu_array(int map_fd, std::uint32_t slots);

// Deletes the keys from a counts map, in batches (one by one on kernels without batch deletes).
// Keys already gone are no error.
void delete_counts(int map_fd, std::span<const sle_key> keys);

}  // namespace sle
