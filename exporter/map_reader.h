// Reading a hook's maps from user space: every entry of the per-CPU counts hash (with
// BPF_MAP_LOOKUP_BATCH, falling back to key-by-key iteration on kernels without it) and the
// per-CPU totals array, each summed over CPUs.
#pragma once

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

extern "C" {
#include "socket_lsm.h"
}

namespace sle {

using CountEntry = std::pair<sle_key, std::uint64_t>;

struct MapReadStats {
  bool batched = false;  // the batch call was used (false: key-by-key iteration)
};

// Throws BpfError when the map cannot be read.
std::vector<CountEntry> read_counts(int map_fd, std::uint32_t capacity,
                                    MapReadStats* stats = nullptr);
std::array<std::uint64_t, SLE_TOTAL_COUNT> read_totals(int map_fd);

// Key-by-key iteration only; what read_counts() falls back to (exposed for tests).
std::vector<CountEntry> read_counts_iterating(int map_fd);

}  // namespace sle
