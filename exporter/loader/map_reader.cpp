#include "loader/map_reader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <numeric>

#include "common/error.h"

namespace sle {
namespace {

std::size_t possible_cpus() {
  static const int n = libbpf_num_possible_cpus();
  if (n <= 0) throw SystemError("counting the possible CPUs", n == 0 ? EINVAL : -n);
  return static_cast<std::size_t>(n);
}

std::uint64_t sum(const std::uint64_t* values, std::size_t n) {
  return std::accumulate(values, values + n, std::uint64_t{0});
}

constexpr int kEnotsupp = 524;  // the kernel's internal ENOTSUPP, seen by user space as is

}  // namespace

constexpr std::uint32_t kCountsPerChunk = 4096;
constexpr std::uint32_t kFirstChunk = 256;

std::size_t for_each_count_iterating(int map_fd, const OnCounts& on_counts) {
  const std::size_t ncpu = possible_cpus();
  std::vector<std::uint64_t> values(ncpu);
  std::vector<CountEntry> chunk;
  chunk.reserve(kCountsPerChunk);
  std::size_t total = 0;
  sle_key key{}, next{};
  const sle_key* prev = nullptr;
  while (bpf_map_get_next_key(map_fd, prev, &next) == 0) {
    // An entry can vanish between the two calls (an expiry): skip it.
    if (bpf_map_lookup_elem(map_fd, &next, values.data()) == 0)
      chunk.emplace_back(next, sum(values.data(), ncpu));
    if (chunk.size() == kCountsPerChunk) {
      on_counts(chunk);
      total += chunk.size();
      chunk.clear();
    }
    key = next;
    prev = &key;
  }
  if (errno != ENOENT) throw SystemError("iterating a counts map", errno);
  on_counts(chunk);
  return total + chunk.size();
}

std::optional<std::size_t> for_each_count_batched(int map_fd, std::uint32_t capacity,
                                                  const OnCounts& on_counts) {
  const std::size_t ncpu = possible_cpus();
  // Small first: most reads find few keys (an idle node), and the buffers' size is what a read
  // costs then. A full batch doubles the next one, up to kCountsPerChunk.
  std::uint32_t chunk = std::clamp<std::uint32_t>(capacity, 16, kFirstChunk);
  std::vector<CountEntry> out;
  // Written by the kernel before they are read: no zeroing (make_unique_for_overwrite).
  std::unique_ptr<sle_key[]> keys;
  std::unique_ptr<std::uint64_t[]> values;
  std::uint32_t allocated = 0;
  std::uint32_t cursor = 0;
  std::size_t total = 0;
  bool first = true;
  LIBBPF_OPTS(bpf_map_batch_opts, opts);

  for (;;) {
    if (chunk > allocated) {
      keys = std::make_unique_for_overwrite<sle_key[]>(chunk);
      values =
          std::make_unique_for_overwrite<std::uint64_t[]>(static_cast<std::size_t>(chunk) * ncpu);
      allocated = chunk;
    }
    std::uint32_t count = chunk;
    std::uint32_t next_cursor = 0;
    const int err = bpf_map_lookup_batch(map_fd, first ? nullptr : &cursor, &next_cursor,
                                         keys.get(), values.get(), &count, &opts);
    const int e = err ? errno : 0;
    if (err && e == ENOSPC && count == 0) {  // one bucket holds more than a chunk: grow
      chunk *= 2;
      continue;
    }
    if (err && e != ENOENT) {
      if (first && (e == EINVAL || e == ENOTSUP || e == kEnotsupp)) return std::nullopt;
      throw SystemError("batch-reading a counts map", e);
    }
    out.clear();
    for (std::uint32_t i = 0; i < count; ++i)
      out.emplace_back(keys[i], sum(&values[static_cast<std::size_t>(i) * ncpu], ncpu));
    on_counts(out);
    total += count;
    if (err) break;  // ENOENT: that was the last batch
    cursor = next_cursor;
    first = false;
    if (count == chunk && chunk < kCountsPerChunk) chunk *= 2;
  }
  return total;
}

std::size_t for_each_count(int map_fd, std::uint32_t capacity, const OnCounts& on_counts) {
  if (auto n = for_each_count_batched(map_fd, capacity, on_counts)) return *n;
  return for_each_count_iterating(map_fd, on_counts);
}

namespace {

OnCounts append_to(std::vector<CountEntry>& out) {
  return [&out](std::span<const CountEntry> chunk) {
    out.insert(out.end(), chunk.begin(), chunk.end());
  };
}

}  // namespace

std::vector<CountEntry> read_counts_iterating(int map_fd) {
  std::vector<CountEntry> out;
  for_each_count_iterating(map_fd, append_to(out));
  return out;
}

std::optional<std::vector<CountEntry>> read_counts_batched(int map_fd, std::uint32_t capacity) {
  std::vector<CountEntry> out;
  if (!for_each_count_batched(map_fd, capacity, append_to(out))) return std::nullopt;
  return out;
}

std::vector<CountEntry> read_counts(int map_fd, std::uint32_t capacity) {
  std::vector<CountEntry> out;
  for_each_count(map_fd, capacity, append_to(out));
  return out;
}

namespace {

// One slot of a per-CPU array, summed over CPUs; `values` holds a slot per possible CPU.
std::uint64_t read_percpu_slot(int map_fd, std::uint32_t slot, std::vector<std::uint64_t>& values) {
  if (bpf_map_lookup_elem(map_fd, &slot, values.data()) != 0)
    throw SystemError("reading a per-CPU array map", errno);
  return sum(values.data(), values.size());
}

}  // namespace

std::vector<std::uint64_t> read_percpu_array(int map_fd, std::uint32_t slots) {
  std::vector<std::uint64_t> values(possible_cpus());
  std::vector<std::uint64_t> out(slots);
  for (std::uint32_t i = 0; i < slots; ++i) out[i] = read_percpu_slot(map_fd, i, values);
  return out;
}

std::uint64_t read_total(int map_fd, std::uint32_t gen, sle_total which) {
  std::vector<std::uint64_t> values(possible_cpus());
  return read_percpu_slot(map_fd, (gen & 1) * SLE_TOTAL_COUNT + which, values);
}

void delete_counts(int map_fd, std::span<const sle_key> keys) {
  constexpr std::size_t kChunk = 4096;
  LIBBPF_OPTS(bpf_map_batch_opts, opts);
  for (std::size_t at = 0; at < keys.size(); at += kChunk) {
    const std::span<const sle_key> chunk = keys.subspan(at, std::min(kChunk, keys.size() - at));
    auto count = static_cast<std::uint32_t>(chunk.size());
    if (bpf_map_delete_batch(map_fd, chunk.data(), &count, &opts) == 0) continue;
    // ENOENT: a key was gone (the batch stops there); EINVAL and ENOTSUPP: no batch deletes here.
    for (const sle_key& key : chunk.subspan(count))
      if (bpf_map_delete_elem(map_fd, &key) != 0 && errno != ENOENT)
        throw SystemError("deleting from a counts map", errno);
  }
}

}  // namespace sle
