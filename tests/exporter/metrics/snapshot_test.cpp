// Reading the hook maps into snapshots: exact counts from a real hook object (root), and when the
// reader reads (at each latest() with a zero interval, on its own thread otherwise).
#include "metrics/snapshot.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "common/mounts.h"
#include "kernel_calls.h"
#include "test_cgroup.h"

namespace sle {
namespace {

using namespace std::chrono_literals;
using test::entries_where;
using test::setsockopt_calls;
using test::sum_counts;
using test::unique_number;

constexpr int kSolSocket = 1;

std::vector<CountEntry> with_optname(const std::vector<CountEntry>& entries, int optname) {
  return entries_where(
      entries, [&](const sle_key& k) { return k.optname == static_cast<std::uint32_t>(optname); });
}

std::uint64_t entries_sum(const HookSnapshot& h) { return sum_counts(h.entries); }

// A config with only the setsockopt hook, on the tracepoint backend.
Config setsockopt_only(std::chrono::milliseconds read_interval) {
  Config config = default_config();
  config.backend = Backend::tracepoint;
  config.read_interval = read_interval;
  for (const Hook hook : all_hooks())
    config.hooks[hook.index()].enabled = hook == hook_named("setsockopt");
  return config;
}

Config no_hooks(std::chrono::milliseconds read_interval) {
  Config config = default_config();
  config.read_interval = read_interval;
  for (HookConfig& hc : config.hooks) hc.enabled = false;
  return config;
}

// --- when the reader reads (no hooks attached: no root needed) --------------------------------

TEST(SnapshotReader, ZeroIntervalReadsAtEachLatest) {
  const HookSet hooks = HookSet::attach(no_hooks(0ms));
  SnapshotReader reader(hooks, no_hooks(0ms), nullptr);
  reader.start();
  const auto first = reader.latest();
  const auto second = reader.latest();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_NE(first.get(), second.get());
  EXPECT_TRUE(second->hooks.empty());
  EXPECT_TRUE(second->cgroup_paths.empty());
  EXPECT_GE(second->timestamp_seconds, first->timestamp_seconds);
  EXPECT_GT(first->timestamp_seconds, 1.7e9);  // Unix time, after 2023
  EXPECT_GE(first->duration_seconds, 0.0);
  EXPECT_EQ(reader.read_errors(), 0u);
}

TEST(SnapshotReader, IntervalReaderKeepsOneSnapshotBetweenReads) {
  const HookSet hooks = HookSet::attach(no_hooks(1h));
  SnapshotReader reader(hooks, no_hooks(1h), nullptr);
  EXPECT_EQ(reader.latest(), nullptr);  // nothing read before start()
  reader.start();                       // reads once before returning
  const auto first = reader.latest();
  ASSERT_NE(first, nullptr);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(reader.latest().get(), first.get());
  // Stopping does not wait out the interval.
  const auto start = std::chrono::steady_clock::now();
  reader.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(reader.latest().get(), first.get());
}

TEST(SnapshotReader, IntervalReaderReadsOnItsOwn) {
  const HookSet hooks = HookSet::attach(no_hooks(50ms));
  SnapshotReader reader(hooks, no_hooks(50ms), nullptr);
  reader.start();
  const auto first = reader.latest();
  ASSERT_NE(first, nullptr);
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (reader.latest().get() == first.get() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  EXPECT_NE(reader.latest().get(), first.get()) << "no new snapshot within 5 s";
}

// --- counts from the kernel (root) ------------------------------------------------------------

class SnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::is_root()) GTEST_SKIP() << "SKIPPED: loading BPF programs needs root";
    ensure_mounted("tracefs", "/sys/kernel/tracing");
  }
};

TEST_F(SnapshotTest, ReadHookCountsEveryCallExactly) {
  const Hook hook = hook_named("setsockopt");
  HookSettings settings;
  settings.max_entries = 4096;
  settings.config.label_mask = hook.spec().labels;
  HookObject object(hook, Backend::tracepoint, settings);
  object.attach();
  const int optname = unique_number(6);
  constexpr int kCalls = 37;
  ASSERT_EQ(setsockopt_calls(kSolSocket, optname, kCalls), kCalls);

  const HookSnapshot s = read_hook(object, 0x5a);
  EXPECT_EQ(s.hook, hook);
  EXPECT_EQ(s.backend, Backend::tracepoint);
  EXPECT_EQ(s.label_mask, 0x5au);  // recorded as given: what the series are decoded with
  EXPECT_EQ(s.capacity, 4096u);
  const auto mine = with_optname(s.entries, optname);
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].second, static_cast<std::uint64_t>(kCalls));
  EXPECT_EQ(mine[0].first.level, static_cast<std::uint32_t>(kSolSocket));
  EXPECT_EQ(mine[0].first.family, 2u);     // inet
  EXPECT_EQ(mine[0].first.type, 2u);       // dgram
  EXPECT_EQ(mine[0].first.protocol, 17u);  // udp
  // Every call that passed the filters is in a series or in the overflow.
  EXPECT_EQ(entries_sum(s) + s.overflow, s.calls);
  EXPECT_GE(s.calls, static_cast<std::uint64_t>(kCalls));
}

TEST_F(SnapshotTest, AFullMapCountsTheRestAsOverflow) {
  const Hook hook = hook_named("setsockopt");
  HookSettings settings;
  settings.max_entries = 1;
  settings.config.label_mask = hook.spec().labels;
  HookObject object(hook, Backend::tracepoint, settings);
  object.attach();
  // The first key fills the map (if no other process's did): the second never fits.
  const int first = unique_number(7), second = unique_number(8);
  ASSERT_EQ(setsockopt_calls(kSolSocket, first, 3), 3);
  ASSERT_EQ(setsockopt_calls(kSolSocket, second, 5), 5);

  const HookSnapshot s = read_hook(object, hook.spec().labels);
  EXPECT_EQ(s.capacity, 1u);
  EXPECT_EQ(s.entries.size(), 1u);
  EXPECT_TRUE(with_optname(s.entries, second).empty());
  EXPECT_GE(s.overflow, 5u);
  EXPECT_GE(s.calls, 8u);
  EXPECT_EQ(entries_sum(s) + s.overflow, s.calls);
}

TEST_F(SnapshotTest, ZeroIntervalSnapshotHasTheCallsMadeBeforeLatest) {
  const Config config = setsockopt_only(0ms);
  const HookSet hooks = HookSet::attach(config);
  const auto root = find_mount(read_mountinfo(), "cgroup2");
  ASSERT_TRUE(root);
  CgroupResolver resolver(*root, 0s);
  SnapshotReader reader(hooks, config, &resolver);
  reader.start();
  const int optname = unique_number(9);
  const test::TestCgroup cgroup;

  const auto before = reader.latest();
  ASSERT_EQ(before->hooks.size(), 1u);
  EXPECT_EQ(before->hooks[0].hook, hook_named("setsockopt"));
  EXPECT_TRUE(with_optname(before->hooks[0].entries, optname).empty());
  ASSERT_EQ(cgroup.run([&] {
    return setsockopt_calls(kSolSocket, optname, 11) == 11 ? "" : "setsockopt failed";
  }),
            "");
  const auto after = reader.latest();
  ASSERT_EQ(after->hooks.size(), 1u);
  const HookSnapshot& h = after->hooks[0];
  EXPECT_EQ(h.label_mask, config.hooks[hook_named("setsockopt").index()].label_mask);
  const auto mine = with_optname(h.entries, optname);
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].second, 11u);
  EXPECT_EQ(mine[0].first.cgroup_id, cgroup.id());
  // The cgroup's path, found by the resolver, for every id the snapshot holds.
  ASSERT_EQ(after->cgroup_paths.count(cgroup.id()), 1u);
  EXPECT_EQ(after->cgroup_paths.at(cgroup.id()), cgroup.path());
  for (const auto& [key, count] : h.entries)
    EXPECT_EQ(after->cgroup_paths.count(key.cgroup_id), 1u) << key.cgroup_id;
  EXPECT_EQ(entries_sum(h) + h.overflow, h.calls);
}

TEST_F(SnapshotTest, WithoutAResolverEveryCgroupIsUnknown) {
  const Config config = setsockopt_only(0ms);
  const HookSet hooks = HookSet::attach(config);
  SnapshotReader reader(hooks, config, nullptr);
  reader.start();
  ASSERT_EQ(setsockopt_calls(kSolSocket, unique_number(10), 1), 1);
  const auto snap = reader.latest();
  ASSERT_FALSE(snap->cgroup_paths.empty());
  for (const auto& [id, path] : snap->cgroup_paths) EXPECT_EQ(path, "unknown") << id;
}

TEST_F(SnapshotTest, IntervalSnapshotDoesNotMoveBetweenReads) {
  const Config config = setsockopt_only(1h);
  const HookSet hooks = HookSet::attach(config);
  SnapshotReader reader(hooks, config, nullptr);
  reader.start();
  const auto first = reader.latest();
  const int optname = unique_number(11);
  ASSERT_EQ(setsockopt_calls(kSolSocket, optname, 3), 3);
  const auto again = reader.latest();
  EXPECT_EQ(again.get(), first.get());
  EXPECT_TRUE(with_optname(again->hooks[0].entries, optname).empty());
}

}  // namespace
}  // namespace sle
