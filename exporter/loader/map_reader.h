// Reading a hook's maps from user space: every entry of the per-CPU counts hash (with
// BPF_MAP_LOOKUP_BATCH, falling back to key-by-key iteration on kernels without it) and the
// per-CPU totals array, each summed over CPUs.
#pragma once

#include <array>
#include <cstdint>
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

// read_counts_batched, or on kernels without batch lookups read_counts_iterating.
std::vector<CountEntry> read_counts(int map_fd, std::uint32_t capacity);
// BPF_MAP_LOOKUP_BATCH in chunks; nullopt when the kernel has no batch lookups for the map.
std::optional<std::vector<CountEntry>> read_counts_batched(int map_fd, std::uint32_t capacity);
// Key by key.
std::vector<CountEntry> read_counts_iterating(int map_fd);

// The totals of generation gen (bpf/counting.bpf.h), each summed over CPUs.
std::array<std::uint64_t, SLE_TOTAL_COUNT> read_totals(int map_fd, std::uint32_t gen);
// Every slot of a per-CPU array, each summed over CPUs.
std::vector<std::uint64_t> read_percpu_array(int map_fd, std::uint32_t slots);

// Deletes the keys from a counts map, in batches (one by one on kernels without batch deletes).
// Keys already gone are no error.
void delete_counts(int map_fd, std::span<const sle_key> keys);

}  // namespace sle
