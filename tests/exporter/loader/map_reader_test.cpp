// Reads real per-CPU maps made here (needs root, or CAP_BPF): the batch read and the key-by-key
// fallback must agree, and sum every CPU.
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

class MapReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: creating BPF maps needs root";
    map_ = UniqueFd(bpf_map_create(BPF_MAP_TYPE_PERCPU_HASH, "test_counts", sizeof(sle_key),
                                   sizeof(std::uint64_t), 512, nullptr));
    ASSERT_TRUE(map_) << "bpf_map_create: " << errno;
    ncpu_ = static_cast<std::size_t>(libbpf_num_possible_cpus());
  }

  // Stores value + cpu on each CPU for the key: the sum is value * ncpu + 0 + 1 + ... .
  std::uint64_t put(std::uint16_t port, std::uint64_t value) {
    sle_key k{};
    k.port = port;
    k.port_class = SLE_PORT_EXACT;
    std::vector<std::uint64_t> per_cpu(ncpu_);
    std::uint64_t sum = 0;
    for (std::size_t c = 0; c < ncpu_; ++c) sum += per_cpu[c] = value + c;
    EXPECT_EQ(bpf_map_update_elem(map_.get(), &k, per_cpu.data(), BPF_ANY), 0);
    return sum;
  }

  static std::map<std::uint16_t, std::uint64_t> by_port(const std::vector<CountEntry>& entries) {
    std::map<std::uint16_t, std::uint64_t> out;
    for (const auto& [k, v] : entries) out[k.port] = v;
    return out;
  }

  UniqueFd map_;
  std::size_t ncpu_ = 0;
};

TEST_F(MapReaderTest, BatchAndIterationAgreeAndSumCpus) {
  std::map<std::uint16_t, std::uint64_t> expected;
  for (std::uint16_t p = 1; p <= 300; ++p) expected[p] = put(p, p * 10u);
  // A capacity below the entry count forces several batches.
  const auto batched = read_counts_batched(map_.get(), 16);
  ASSERT_TRUE(batched) << "this kernel has batch lookups for per-CPU hash maps (5.6+)";
  EXPECT_EQ(by_port(*batched), expected);
  EXPECT_EQ(by_port(read_counts(map_.get(), 16)), expected);
  EXPECT_EQ(by_port(read_counts_iterating(map_.get())), expected);
}

TEST_F(MapReaderTest, EmptyMapReadsEmpty) {
  EXPECT_TRUE(read_counts(map_.get(), 512).empty());
  EXPECT_TRUE(read_counts_iterating(map_.get()).empty());
}

TEST_F(MapReaderTest, TotalsSumEveryCpuPerGeneration) {
  const UniqueFd totals(bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "test_totals", sizeof(__u32),
                                       sizeof(std::uint64_t), 2 * SLE_TOTAL_COUNT, nullptr));
  ASSERT_TRUE(totals);
  std::vector<std::uint64_t> per_cpu(ncpu_, 3);
  const __u32 calls_0 = SLE_TOTAL_CALLS;
  ASSERT_EQ(bpf_map_update_elem(totals.get(), &calls_0, per_cpu.data(), BPF_ANY), 0);
  std::fill(per_cpu.begin(), per_cpu.end(), 5);
  const __u32 overflow_1 = SLE_TOTAL_COUNT + SLE_TOTAL_OVERFLOW;
  ASSERT_EQ(bpf_map_update_elem(totals.get(), &overflow_1, per_cpu.data(), BPF_ANY), 0);
  EXPECT_EQ(read_total(totals.get(), 0, SLE_TOTAL_CALLS), 3 * ncpu_);
  EXPECT_EQ(read_total(totals.get(), 0, SLE_TOTAL_OVERFLOW), 0u);
  EXPECT_EQ(read_total(totals.get(), 1, SLE_TOTAL_CALLS), 0u);
  EXPECT_EQ(read_total(totals.get(), 1, SLE_TOTAL_OVERFLOW), 5 * ncpu_);
}

TEST_F(MapReaderTest, DeletesKeysInBatchesAndSkipsMissingOnes) {
  for (std::uint16_t p = 1; p <= 100; ++p) put(p, 1);
  std::vector<sle_key> gone;
  for (std::uint16_t p = 1; p <= 100; p += 2) {
    sle_key k{};
    k.port = p;
    k.port_class = SLE_PORT_EXACT;
    gone.push_back(k);
  }
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
