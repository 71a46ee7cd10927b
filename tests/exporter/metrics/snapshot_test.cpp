// Reading the hook maps into snapshots: exact counts from real hook objects (root), series named
// by the cgroup tracker, expiry, and when the reader reads (at each latest() with a zero
// interval, on its own thread otherwise).
#include "metrics/snapshot.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/mounts.h"
#include "kernel_calls.h"
#include "peers.h"
#include "reading.h"
#include "test_cgroup.h"

namespace sle {
namespace {

using namespace std::chrono_literals;
using test::entries_where;
using test::real_tracker;
using test::setsockopt_calls;
using test::setsockopt_only;
using test::sum_counts;
using test::unique_number;

constexpr int kSolSocket = 1;

// The setsockopt series whose optname label is the number, in the snapshot's /metrics body.
std::map<std::string, std::uint64_t> with_optname(const Snapshot& snap, int optname) {
  return test::with_optname(test::text_of(*snap.exposition), "socket_lsm_setsockopt_total",
                            optname);
}

// sum(series) + overflow + expired == calls.
bool invariant_holds(const HookSnapshot& h) {
  return h.labelled + h.overflow + h.expired == h.calls;
}

Config no_hooks(std::chrono::milliseconds read_interval) {
  Config config = default_config();
  config.read_interval = read_interval;
  for (HookConfig& hc : config.hooks) hc.enabled = false;
  return config;
}

// --- when the reader reads (no hooks attached: no root needed) --------------------------------

TEST(SnapshotReader, ZeroIntervalReadsAtEachLatest) {
  HookSet hooks = HookSet::attach(no_hooks(0ms));
  SnapshotReader reader(hooks, no_hooks(0ms), nullptr, nullptr);
  reader.start();
  const auto first = reader.latest();
  const auto second = reader.latest();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_NE(first.get(), second.get());
  EXPECT_TRUE(second->hooks.empty());
  EXPECT_EQ(second->cgroups.live + second->cgroups.dead, 0u);  // no tracker
  EXPECT_GE(second->timestamp_seconds, first->timestamp_seconds);
  EXPECT_GT(first->timestamp_seconds, 1.7e9);  // Unix time, after 2023
  EXPECT_GE(first->duration_seconds, 0.0);
  EXPECT_EQ(reader.read_errors(), 0u);
}

TEST(SnapshotReader, IntervalReaderKeepsOneSnapshotBetweenReads) {
  HookSet hooks = HookSet::attach(no_hooks(1h));
  SnapshotReader reader(hooks, no_hooks(1h), nullptr, nullptr);
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
  HookSet hooks = HookSet::attach(no_hooks(50ms));
  SnapshotReader reader(hooks, no_hooks(50ms), nullptr, nullptr);
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

TEST_F(SnapshotTest, EveryCallIsInItsSeriesExactlyWithTheCgroupsPath) {
  Config config = setsockopt_only(0ms);
  config.hooks[hook_named("setsockopt").index()].max_entries = 4096;
  HookSet hooks = HookSet::attach(config);
  const auto tracker = real_tracker();
  SnapshotReader reader(hooks, config, tracker.get(), nullptr);
  reader.start();
  const int optname = unique_number(9);
  const test::TestCgroup cgroup;

  const auto before = reader.latest();
  ASSERT_EQ(before->hooks.size(), 1u);
  EXPECT_EQ(before->hooks[0].hook, hook_named("setsockopt"));
  EXPECT_EQ(before->hooks[0].backend, Backend::tracepoint);
  EXPECT_EQ(before->hooks[0].capacity, 4096u);
  EXPECT_TRUE(with_optname(*before, optname).empty());
  ASSERT_EQ(cgroup.run([&] {
    return setsockopt_calls(kSolSocket, optname, 37) == 37 ? "" : "setsockopt failed";
  }),
            "");
  const auto after = reader.latest();
  const HookSnapshot& h = after->hooks[0];
  EXPECT_EQ(with_optname(*after, optname),
            (std::map<std::string, std::uint64_t>{
                {"family=inet,type=dgram,protocol=udp,level=SOL_SOCKET,optname=" +
                     std::to_string(optname) + ",cgroup=" + cgroup.path() + ",outcome=unknown",
                 37}}));
  EXPECT_TRUE(invariant_holds(h));
  EXPECT_GE(h.calls, 37u);
  EXPECT_GE(after->cgroups.live, 1u);
}

TEST_F(SnapshotTest, AFullMapCountsTheRestAsOverflow) {
  Config config = setsockopt_only(0ms);
  config.hooks[hook_named("setsockopt").index()].max_entries = 1;
  HookSet hooks = HookSet::attach(config);
  SnapshotReader reader(hooks, config, nullptr, nullptr);
  reader.start();
  // The first key fills the map (if no other process's did): the second never fits.
  const int first = unique_number(7), second = unique_number(8);
  ASSERT_EQ(setsockopt_calls(kSolSocket, first, 3), 3);
  ASSERT_EQ(setsockopt_calls(kSolSocket, second, 5), 5);
  const auto snap = reader.latest();
  const HookSnapshot& h = snap->hooks[0];
  EXPECT_EQ(h.capacity, 1u);
  EXPECT_EQ(h.entries, 1u);
  EXPECT_TRUE(with_optname(*snap, second).empty());
  EXPECT_GE(h.overflow, 5u);
  EXPECT_GE(h.calls, 8u);
  EXPECT_TRUE(invariant_holds(h));
}

TEST_F(SnapshotTest, WithoutATrackerEveryCgroupIsUnknown) {
  const Config config = setsockopt_only(0ms);
  HookSet hooks = HookSet::attach(config);
  SnapshotReader reader(hooks, config, nullptr, nullptr);
  reader.start();
  const int optname = unique_number(10);
  ASSERT_EQ(setsockopt_calls(kSolSocket, optname, 1), 1);
  const auto mine = with_optname(*reader.latest(), optname);
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_TRUE(mine.begin()->first.ends_with(",cgroup=unknown,outcome=unknown"))
      << mine.begin()->first;
}

TEST_F(SnapshotTest, IntervalSnapshotDoesNotMoveBetweenReads) {
  const Config config = setsockopt_only(1h);
  HookSet hooks = HookSet::attach(config);
  SnapshotReader reader(hooks, config, nullptr, nullptr);
  reader.start();
  const auto first = reader.latest();
  const int optname = unique_number(11);
  ASSERT_EQ(setsockopt_calls(kSolSocket, optname, 3), 3);
  const auto again = reader.latest();
  EXPECT_EQ(again.get(), first.get());
  EXPECT_TRUE(with_optname(*again, optname).empty());
}

TEST_F(SnapshotTest, AGoneCgroupsSeriesExpireIntoTheExpiredTotal) {
  Config config = setsockopt_only(0ms);
  config.expire_after = 200ms;
  HookSet hooks = HookSet::attach(config);
  const auto tracker = real_tracker();
  SnapshotReader reader(hooks, config, tracker.get(), nullptr);
  reader.start();
  const int optname = unique_number(12);
  std::uint64_t expired_before = 0;
  {
    const test::TestCgroup cgroup("expiring");
    ASSERT_EQ(cgroup.run([&] {
      return setsockopt_calls(kSolSocket, optname, 5) == 5 ? "" : "setsockopt failed";
    }),
              "");
    const auto seen = reader.latest();
    EXPECT_EQ(with_optname(*seen, optname).size(), 1u);
    expired_before = seen->hooks[0].expired;
  }  // rmdir: the cgroup is gone
  // Still there during the grace period, unchanged.
  const auto in_grace = reader.latest();
  ASSERT_EQ(with_optname(*in_grace, optname).size(), 1u);
  EXPECT_EQ(with_optname(*in_grace, optname).begin()->second, 5u);
  EXPECT_GE(in_grace->cgroups.dead, 1u);
  std::this_thread::sleep_for(300ms);
  reader.latest();  // one read after the grace (both generations read since the death)
  const auto expired = reader.latest();
  const HookSnapshot& h = expired->hooks[0];
  EXPECT_TRUE(with_optname(*expired, optname).empty());
  EXPECT_GE(h.expired, expired_before + 5);
  EXPECT_TRUE(invariant_holds(h));
  // The maps no longer hold those counts, their generations' calls totals still do: later reads
  // of both generations, with new calls in each, are exact and fail nothing.
  const int later = unique_number(13);
  setsockopt_calls(kSolSocket, later, 2);
  reader.latest();
  setsockopt_calls(kSolSocket, later, 1);
  const auto after = reader.latest();
  EXPECT_EQ(reader.read_errors(), 0u);
  const auto mine = with_optname(*after, later);
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine.begin()->second, 3u);
  EXPECT_TRUE(invariant_holds(after->hooks[0]));
}

TEST_F(SnapshotTest, AGenerationWithoutCallsIsNotReadAgain) {
  // A key written into both generations' maps behind the programs' backs: no calls total moved,
  // so the reads that follow do not walk the maps and do not see it. (It is taken out again before
  // the calls below: with no call for its count, it would fail the reads that walk those maps.)
  // Once calls have gone into both generations, both are read again, exactly.
  const Config config = setsockopt_only(0ms);
  HookSet hooks = HookSet::attach(config);
  const HookObject& object = *hooks.object(hook_named("setsockopt"));
  SnapshotReader reader(hooks, config, nullptr, nullptr);
  reader.start();
  const int optname = unique_number(17);
  setsockopt_calls(kSolSocket, optname, 1);
  const std::uint64_t value = 7;  // a count written behind the programs' backs
  int hidden = 0;
  sle_key fake{};
  // Other processes' setsockopt calls move the total too (and get the key read): try again.
  for (int attempt = 0; attempt < 20 && hidden == 0; ++attempt) {
    const auto before = reader.latest();
    fake = sle_key{};
    fake.level = kSolSocket;
    fake.optname = static_cast<std::uint32_t>(unique_number(18 + attempt));
    fake.family = 2;  // AF_INET, SOCK_STREAM, IPPROTO_TCP
    fake.type = 1;
    fake.protocol = 6;
    for (std::uint32_t g = 0; g < 2; ++g)
      ASSERT_EQ(bpf_map_update_elem(object.counts_fd(g), &fake, &value, BPF_NOEXIST), 0);
    reader.latest();
    const auto after = reader.latest();  // both generations' turn has come
    if (after->hooks[0].calls == before->hooks[0].calls) {
      EXPECT_TRUE(with_optname(*after, static_cast<int>(fake.optname)).empty());
      hidden = 1;
    }
  }
  ASSERT_EQ(hidden, 1) << "setsockopt calls by others in every one of 20 attempts";
  for (std::uint32_t g = 0; g < 2; ++g)
    ASSERT_EQ(bpf_map_delete_elem(object.counts_fd(g), &fake), 0);
  // A call into each generation (a read switches between them): both read again, and my three
  // calls, one before, one into each generation, add up.
  setsockopt_calls(kSolSocket, optname, 1);
  reader.latest();
  setsockopt_calls(kSolSocket, optname, 1);
  const auto shown = reader.latest();
  EXPECT_TRUE(with_optname(*shown, static_cast<int>(fake.optname)).empty());
  const auto mine = with_optname(*shown, optname);
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine.begin()->second, 3u);
  EXPECT_EQ(reader.read_errors(), 0u);
}

TEST_F(SnapshotTest, ACountWithoutItsCallFailsTheReadAfterAGracePeriod) {
  // Counts and totals agree unless a program is still counting into the generation read; one that
  // stays apart after an RCU grace period is a broken map: the read fails (an error counted, the
  // last good snapshot kept) rather than show counts no call total accounts for.
  const Config config = setsockopt_only(0ms);
  HookSet hooks = HookSet::attach(config);
  const HookObject& object = *hooks.object(hook_named("setsockopt"));
  SnapshotReader reader(hooks, config, nullptr, nullptr);
  reader.start();
  const int optname = unique_number(23);
  setsockopt_calls(kSolSocket, optname, 2);
  const auto good = reader.latest();
  ASSERT_EQ(reader.read_errors(), 0u);
  const auto fake = test::write_uncounted_key(object, unique_number(24));
  setsockopt_calls(kSolSocket, optname, 1);  // so that the generation is walked
  const auto kept = reader.latest();
  EXPECT_EQ(reader.read_errors(), 1u);
  EXPECT_EQ(test::SnapshotReaderPeer::settle_waits(reader), 1u);
  EXPECT_EQ(test::text_of(*kept->exposition).find(std::to_string(fake.key.optname)),
            std::string::npos);
  EXPECT_EQ(with_optname(*kept, optname), with_optname(*good, optname));
  // Without it the reads are exact again.
  ASSERT_EQ(bpf_map_delete_elem(object.counts_fd(fake.gen), &fake.key), 0);
  reader.latest();
  const auto fine = reader.latest();
  EXPECT_EQ(reader.read_errors(), 1u);
  const auto mine = with_optname(*fine, optname);
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine.begin()->second, 3u);
  EXPECT_TRUE(invariant_holds(fine->hooks[0]));
}

TEST_F(SnapshotTest, ExactUnderConstantLoad) {
  // Two threads make calls all along while the reader reads: each snapshot must add up exactly,
  // and the end the exact number of calls.
  const Config config = setsockopt_only(0ms);
  HookSet hooks = HookSet::attach(config);
  SnapshotReader reader(hooks, config, nullptr, nullptr);
  reader.start();
  const int optname = unique_number(13);
  constexpr int kPerThread = 200000;
  std::atomic<int> running{2};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t)
    threads.emplace_back([&] {
      setsockopt_calls(kSolSocket, optname, kPerThread);
      --running;
    });
  int reads = 0, broken = 0;
  while (running > 0) {
    if (!invariant_holds(reader.latest()->hooks[0])) ++broken;
    ++reads;
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(broken, 0) << "of " << reads << " reads";
  EXPECT_GT(reads, 1);
  const auto end = reader.latest();
  const auto mine = with_optname(*end, optname);
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine.begin()->second, 2u * kPerThread);
  EXPECT_TRUE(invariant_holds(end->hooks[0]));
}

}  // namespace
}  // namespace sle
