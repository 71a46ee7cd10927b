// The exact read of real hook objects (root, the tracepoint backend): every call in its series,
// the slots emptied into the hash, and a count no call accounts for refused after a second read
// with the error naming the hook and its figures.
#include "metrics/generation_reader.h"

#include <bpf/bpf.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "common/error.h"
#include "common/mounts.h"
#include "kernel_calls.h"
#include "peers.h"
#include "reading.h"

namespace sle {
namespace {

using namespace std::chrono_literals;
using test::setsockopt_calls;
using test::unique_number;
using Clock = CgroupTracker::Clock;

constexpr int kSolSocket = 1;

std::uint64_t mine(const HookSeries& series, int optname) {
  std::string text;
  series.append_exposition(text, "m");
  std::uint64_t sum = 0;
  for (const auto& [labels, value] : test::with_optname(text, "m", optname)) sum += value;
  return sum;
}

// sum(series) + overflow + expired == calls, over both generations.
bool adds_up(const HookReading& h) {
  return h.series.total() + h.gens[0].overflow + h.gens[1].overflow + h.series.expired() ==
         h.gens[0].calls + h.gens[1].calls;
}

class GenerationReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::is_root()) GTEST_SKIP() << "SKIPPED: loading BPF programs needs root";
    ensure_mounted("tracefs", "/sys/kernel/tracing");
  }
  const Config config_ = test::setsockopt_only(0ms);
};

TEST_F(GenerationReaderTest, EveryCallIsInItsSeriesAndTheSlotsGoIntoTheHash) {
  HookSet hooks = HookSet::attach(config_);
  GenerationReader reader(hooks, config_, nullptr);
  ASSERT_EQ(reader.hooks().size(), 1u);
  const HookReading& h = reader.hooks()[0];
  EXPECT_EQ(h.object->hook().name(), "setsockopt");
  reader.read(true, Clock::now());
  EXPECT_TRUE(h.gens[0].read && h.gens[1].read);
  const int optname = unique_number(31);
  setsockopt_calls(kSolSocket, optname, 4);
  const std::uint32_t counted_into = h.object->generation();
  reader.read(false, Clock::now());  // reads the generation the calls went into
  EXPECT_EQ(mine(h.series, optname), 4u);
  EXPECT_TRUE(adds_up(h));
  // The generation's slots are empty, and its hash alone holds what its calls total says.
  EXPECT_TRUE(read_slot_counts(h.object->cache_fd(), counted_into).empty());
  std::uint64_t in_hash = 0;
  for_each_count(h.object->counts_fd(counted_into), h.object->capacity(),
                 [&](std::span<const CountEntry> chunk) {
                   for (const CountEntry& e : chunk) in_hash += e.second;
                 });
  const GenerationState& gen = h.gens[counted_into];
  EXPECT_EQ(in_hash + gen.overflow + gen.deleted, gen.calls);
  // More calls, into the other generation, then into this one again: they add up.
  setsockopt_calls(kSolSocket, optname, 2);
  reader.read(false, Clock::now());
  setsockopt_calls(kSolSocket, optname, 1);
  reader.read(false, Clock::now());
  EXPECT_EQ(mine(h.series, optname), 7u);
  EXPECT_TRUE(adds_up(h));
  EXPECT_EQ(test::GenerationReaderPeer::settle_waits(reader), 0u);
}

TEST_F(GenerationReaderTest, ACountWithoutItsCallIsReadTwiceThenRefused) {
  HookSet hooks = HookSet::attach(config_);
  const HookObject& object = *hooks.object(hook_named("setsockopt"));
  GenerationReader reader(hooks, config_, nullptr);
  reader.read(true, Clock::now());
  const auto fake = test::write_uncounted_key(object, unique_number(32));
  setsockopt_calls(kSolSocket, unique_number(33), 1);  // so that the generation is walked
  try {
    reader.read(false, Clock::now());
    ADD_FAILURE() << "the read did not fail";
  } catch (const SystemError& e) {
    EXPECT_THAT(e.what(), ::testing::StartsWith("the counts and totals of hook setsockopt "
                                                "disagree after an RCU grace period (hash "));
    EXPECT_THAT(e.what(), ::testing::HasSubstr(", deleted 0, calls "));
  }
  EXPECT_EQ(test::GenerationReaderPeer::settle_waits(reader), 1u);
  ASSERT_EQ(bpf_map_delete_elem(object.counts_fd(fake.gen), &fake.key), 0);
}

TEST_F(GenerationReaderTest, ReadsOnlyTheHooksItWasGiven) {
  Config config = config_;
  for (const Hook hook : all_hooks())
    config.hooks[hook.index()].enabled = hook == hook_named("bind") || hook == hook_named("listen");
  config.hooks[hook_named("bind").index()].label_mask = 0;  // every label off
  HookSet hooks = HookSet::attach(config);
  GenerationReader reader(hooks, config, nullptr);
  ASSERT_EQ(reader.hooks().size(), 2u);  // in table order
  EXPECT_EQ(reader.hooks()[0].object->hook().name(), "bind");
  EXPECT_EQ(reader.hooks()[1].object->hook().name(), "listen");
  EXPECT_EQ(reader.hooks()[0].label_mask, 0u);
  EXPECT_EQ(reader.hooks()[1].label_mask, config.hooks[hook_named("listen").index()].label_mask);
  EXPECT_NE(reader.hooks()[1].label_mask, 0u);
  reader.read(true, Clock::now());
  for (const HookReading& h : reader.hooks()) EXPECT_TRUE(adds_up(h));
}

}  // namespace
}  // namespace sle
