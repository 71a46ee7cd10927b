// Reads real maps made here (needs root, or CAP_BPF), laid out as bpf/counting.bpf.h's: the batch
// read and the key-by-key fallback of a counts hash must agree; the per-CPU totals sum every
// possible CPU, and the slots merge by key and empty.
#include "loader/map_reader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <vector>

#include "common/unique_fd.h"

namespace sle {
namespace {

sle_key port_key(std::uint16_t port) {
  sle_key k{};
  k.port = port;
  k.port_class = SLE_PORT_EXACT;
  return k;
}

std::map<std::uint16_t, std::uint64_t> by_port(const std::vector<CountEntry>& entries) {
  std::map<std::uint16_t, std::uint64_t> out;
  for (const auto& [k, v] : entries) out[k.port] = v;
  return out;
}

class MapReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: creating BPF maps needs root";
    map_ = UniqueFd(bpf_map_create(BPF_MAP_TYPE_HASH, "test_counts", sizeof(sle_key),
                                   sizeof(std::uint64_t), 512, nullptr));
    ASSERT_TRUE(map_) << "bpf_map_create: " << errno;
    totals_ = UniqueFd(bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "test_totals", sizeof(__u32),
                                      sizeof(sle_totals), 2, nullptr));
    ASSERT_TRUE(totals_) << "bpf_map_create: " << errno;
    cache_ = UniqueFd(bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "test_cache", sizeof(__u32),
                                     sizeof(sle_cache), 2, nullptr));
    ASSERT_TRUE(cache_) << "bpf_map_create: " << errno;
    ncpu_ = static_cast<std::size_t>(libbpf_num_possible_cpus());
  }

  void put(std::uint16_t port, std::uint64_t value) {
    const sle_key k = port_key(port);
    ASSERT_EQ(bpf_map_update_elem(map_.get(), &k, &value, BPF_ANY), 0);
  }

  // Generation gen's per-CPU value of a map, as programs would leave them.
  template <typename T>
  void put_per_cpu(const UniqueFd& map, std::uint32_t gen, const std::vector<T>& cpus) {
    ASSERT_EQ(cpus.size(), ncpu_);
    ASSERT_EQ(bpf_map_update_elem(map.get(), &gen, cpus.data(), BPF_ANY), 0);
  }

  UniqueFd map_;
  UniqueFd totals_;
  UniqueFd cache_;
  std::size_t ncpu_ = 0;
};

TEST_F(MapReaderTest, BatchAndIterationAgree) {
  std::map<std::uint16_t, std::uint64_t> expected;
  for (std::uint16_t p = 1; p <= 300; ++p) {
    put(p, std::uint64_t{p} * 10);
    expected[p] = std::uint64_t{p} * 10;
  }
  // A capacity below the entry count forces several batches.
  const auto batched = read_counts_batched(map_.get(), 16);
  ASSERT_TRUE(batched) << "this kernel has batch lookups for hash maps (5.6+)";
  EXPECT_EQ(by_port(*batched), expected);
  EXPECT_EQ(by_port(read_counts(map_.get(), 16)), expected);
  EXPECT_EQ(by_port(read_counts_iterating(map_.get())), expected);
}

TEST_F(MapReaderTest, EmptyMapReadsEmpty) {
  EXPECT_TRUE(read_counts(map_.get(), 512).empty());
  EXPECT_TRUE(read_counts_iterating(map_.get()).empty());
}

TEST_F(MapReaderTest, WriteCountsSetsEveryKeyInBatches) {
  // More keys than one batch of writes takes.
  map_ = UniqueFd(bpf_map_create(BPF_MAP_TYPE_HASH, "test_counts", sizeof(sle_key),
                                 sizeof(std::uint64_t), 8192, nullptr));
  ASSERT_TRUE(map_);
  for (std::uint16_t p = 1; p <= 5000; ++p) put(p, 1);
  std::vector<CountEntry> counts;
  for (std::uint16_t p = 1; p <= 5000; ++p) counts.emplace_back(port_key(p), p + 7u);
  write_counts(map_.get(), counts);
  const auto read = by_port(read_counts(map_.get(), 8192));
  ASSERT_EQ(read.size(), 5000u);
  for (const auto& [port, count] : read) EXPECT_EQ(count, port + 7u) << port;
}

TEST_F(MapReaderTest, TotalsSumEveryCpuPerGeneration) {
  std::vector<sle_totals> cpus(ncpu_);
  std::uint64_t calls = 0;
  for (std::size_t c = 0; c < ncpu_; ++c) {
    calls += cpus[c].calls = 10 + c;
    cpus[c].overflow = 2;
  }
  put_per_cpu(totals_, 1, cpus);
  const Totals read = read_totals(totals_.get(), 1);
  EXPECT_EQ(read.calls, calls);
  EXPECT_EQ(read.overflow, 2 * ncpu_);
  EXPECT_EQ(read_totals(totals_.get(), 0).calls, 0u);  // the other generation is apart
}

TEST_F(MapReaderTest, SlotsMergeByKeyOverCpusAndEmpty) {
  std::vector<sle_cache> cpus(ncpu_);
  // Port 80 in slot 3 of every CPU; port 22 in two slots of the last CPU.
  for (std::size_t c = 0; c < ncpu_; ++c) cpus[c].slots[3] = {.count = 4, .key = port_key(80)};
  cpus[ncpu_ - 1].slots[0] = {.count = 1, .key = port_key(22)};
  cpus[ncpu_ - 1].slots[SLE_CACHE_SLOTS - 1] = {.count = 6, .key = port_key(22)};
  put_per_cpu(cache_, 1, cpus);
  EXPECT_EQ(by_port(read_slot_counts(cache_.get(), 1)),
            (std::map<std::uint16_t, std::uint64_t>{{22, 7}, {80, 4 * ncpu_}}));
  EXPECT_TRUE(read_slot_counts(cache_.get(), 0).empty());  // the other generation is apart
  empty_slots(cache_.get(), 1);
  EXPECT_TRUE(read_slot_counts(cache_.get(), 1).empty());
}

TEST_F(MapReaderTest, AGenerationIsItsHashAndItsSlots) {
  put(80, 5);
  put(443, 0);  // a key whose counts are all in a slot so far
  put(22, 1);
  std::vector<sle_cache> cpus(ncpu_);
  cpus[0].slots[7] = {.count = 3, .key = port_key(443)};
  cpus[ncpu_ - 1].slots[8] = {.count = 2, .key = port_key(80)};
  put_per_cpu(cache_, 0, cpus);
  EXPECT_EQ(by_port(read_generation(map_.get(), cache_.get(), 0, 512)),
            (std::map<std::uint16_t, std::uint64_t>{{22, 1}, {80, 7}, {443, 3}}));
  EXPECT_EQ(by_port(read_generation(map_.get(), cache_.get(), 1, 512)),
            (std::map<std::uint16_t, std::uint64_t>{{22, 1}, {80, 5}}));
}

TEST_F(MapReaderTest, DeletesKeysInBatchesAndSkipsMissingOnes) {
  for (std::uint16_t p = 1; p <= 100; ++p) put(p, 1);
  std::vector<sle_key> gone;
  for (std::uint16_t p = 1; p <= 100; p += 2) gone.push_back(port_key(p));
  sle_key absent{};
  absent.port = 5000;
  gone.insert(gone.begin() + 10, absent);  // not in the map: no error, the rest still goes
  delete_counts(map_.get(), gone);
  const auto left = by_port(read_counts(map_.get(), 512));
  EXPECT_EQ(left.size(), 50u);
  for (const auto& [port, count] : left) EXPECT_EQ(port % 2, 0) << port;
}

}  // namespace
}  // namespace sle
