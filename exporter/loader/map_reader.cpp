#include "loader/map_reader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <numeric>
#include <utility>

#include "common/error.h"

namespace sle {
namespace {

std::size_t possible_cpus() {
  static const int n = libbpf_num_possible_cpus();
  if (n <= 0) throw SystemError("counting the possible CPUs", n == 0 ? EINVAL : -n);
  return static_cast<std::size_t>(n);
}

constexpr int kEnotsupp = 524;  // the kernel's internal ENOTSUPP, seen by user space as is

// Whether a batch operation failed because the kernel has none for this map.
bool no_batch_ops(int e) { return e == EINVAL || e == ENOTSUP || e == kEnotsupp; }

// The entries' counts summed by key, in key order; keys whose sum is 0 left out.
std::vector<CountEntry> sum_by_key(std::vector<CountEntry> entries) {
  const auto compare = [](const CountEntry& a, const CountEntry& b) {
    return std::memcmp(&a.first, &b.first, sizeof a.first);
  };
  std::sort(entries.begin(), entries.end(),
            [&](const CountEntry& a, const CountEntry& b) { return compare(a, b) < 0; });
  std::vector<CountEntry> out;
  for (const CountEntry& entry : entries) {
    if (!out.empty() && compare(out.back(), entry) == 0)
      out.back().second += entry.second;
    else
      out.push_back(entry);
  }
  std::erase_if(out, [](const CountEntry& e) { return e.second == 0; });
  return out;
}

}  // namespace

constexpr std::uint32_t kCountsPerChunk = 4096;
constexpr std::uint32_t kFirstChunk = 256;

std::size_t for_each_count_iterating(int map_fd, const OnCounts& on_counts) {
  std::vector<CountEntry> chunk;
  chunk.reserve(kCountsPerChunk);
  std::size_t total = 0;
  sle_key key{}, next{};
  const sle_key* prev = nullptr;
  while (bpf_map_get_next_key(map_fd, prev, &next) == 0) {
    // An entry can vanish between the two calls (an expiry): skip it.
    std::uint64_t value = 0;
    if (bpf_map_lookup_elem(map_fd, &next, &value) == 0) chunk.emplace_back(next, value);
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
      values = std::make_unique_for_overwrite<std::uint64_t[]>(chunk);
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
      if (first && no_batch_ops(e)) return std::nullopt;
      throw SystemError("batch-reading a counts map", e);
    }
    out.clear();
    for (std::uint32_t i = 0; i < count; ++i) out.emplace_back(keys[i], values[i]);
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

void write_counts(int map_fd, std::span<const CountEntry> entries) {
  constexpr std::size_t kChunk = 4096;
  std::vector<sle_key> keys;
  std::vector<std::uint64_t> values;
  // Batch updates take no BPF_EXIST (elem_flags allows BPF_F_LOCK alone); the keys are there,
  // and an update of a key a full hash holds takes no new entry.
  LIBBPF_OPTS(bpf_map_batch_opts, opts);
  for (std::size_t at = 0; at < entries.size(); at += kChunk) {
    const auto chunk = entries.subspan(at, std::min(kChunk, entries.size() - at));
    keys.clear();
    values.clear();
    for (const auto& [key, value] : chunk) {
      keys.push_back(key);
      values.push_back(value);
    }
    auto count = static_cast<std::uint32_t>(chunk.size());
    if (bpf_map_update_batch(map_fd, keys.data(), values.data(), &count, &opts) == 0) continue;
    if (!no_batch_ops(errno)) throw SystemError("batch-writing a counts map", errno);
    // No batch updates here (before 5.6): one by one (writing a count again changes nothing).
    for (std::size_t i = 0; i < chunk.size(); ++i)
      if (bpf_map_update_elem(map_fd, &keys[i], &values[i], BPF_EXIST) != 0)
        throw SystemError("writing a counts map", errno);
  }
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

Totals read_totals(int totals_fd, std::uint32_t gen) {
  static_assert(sizeof(sle_totals) % 8 == 0, "a per-CPU value is laid out in steps of 8 bytes");
  std::vector<sle_totals> cpus(possible_cpus());
  gen &= 1;
  if (bpf_map_lookup_elem(totals_fd, &gen, cpus.data()) != 0)
    throw SystemError("reading the per-CPU totals", errno);
  Totals out;
  for (const sle_totals& c : cpus) {
    out.calls += c.calls;
    out.overflow += c.overflow;
  }
  return out;
}

std::vector<CountEntry> read_slot_counts(int cache_fd, std::uint32_t gen) {
  static_assert(sizeof(sle_cache) % 8 == 0, "a per-CPU value is laid out in steps of 8 bytes");
  std::vector<sle_cache> cpus(possible_cpus());
  gen &= 1;
  if (bpf_map_lookup_elem(cache_fd, &gen, cpus.data()) != 0)
    throw SystemError("reading the per-CPU slots", errno);
  std::vector<CountEntry> taken;
  for (const sle_cache& cpu : cpus)
    for (const sle_slot& slot : cpu.slots)
      if (slot.count != 0) taken.emplace_back(slot.key, slot.count);
  return sum_by_key(std::move(taken));
}

void empty_slots(int cache_fd, std::uint32_t gen) {
  const std::vector<sle_cache> empty(possible_cpus());  // zeroed
  gen &= 1;
  if (bpf_map_update_elem(cache_fd, &gen, empty.data(), BPF_EXIST) != 0)
    throw SystemError("emptying the per-CPU slots", errno);
}

std::vector<CountEntry> read_generation(int counts_fd, int cache_fd, std::uint32_t gen,
                                        std::uint32_t capacity) {
  std::vector<CountEntry> all = read_counts(counts_fd, capacity);
  const auto slots = read_slot_counts(cache_fd, gen);
  all.insert(all.end(), slots.begin(), slots.end());
  return sum_by_key(std::move(all));
}

std::vector<std::uint64_t> read_percpu_array(int map_fd, std::uint32_t slots) {
  std::vector<std::uint64_t> values(possible_cpus());
  std::vector<std::uint64_t> out(slots);
  for (std::uint32_t i = 0; i < slots; ++i) {
    if (bpf_map_lookup_elem(map_fd, &i, values.data()) != 0)
      throw SystemError("reading a per-CPU array map", errno);
    out[i] = std::accumulate(values.begin(), values.end(), std::uint64_t{0});
  }
  return out;
}

}  // namespace sle
