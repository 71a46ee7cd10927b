// Expiry: which dead cgroups are due (a tracker on a scratch directory, no root), and taking a
// cgroup's keys out of real hook maps and its series (root), after which the reads stay exact.
#include "metrics/expiry.h"

#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "common/mounts.h"
#include "kernel_calls.h"
#include "metrics/generation_reader.h"
#include "reading.h"
#include "temp_dir.h"
#include "test_cgroup.h"

namespace sle {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::setsockopt_calls;
using test::unique_number;
using Clock = CgroupTracker::Clock;

constexpr int kSolSocket = 1;

TEST(CgroupsDue, DeadForTheGraceAndBeforeThePreviousRead) {
  const test::TempDir dir;
  const fs::path root = dir.path();
  fs::create_directories(root / "a");
  fs::create_directories(root / "b");
  struct stat st {};
  ASSERT_EQ(::stat((root / "a").c_str(), &st), 0);
  const std::uint64_t a = st.st_ino;
  CgroupTracker tracker(root.string(), "/", nullptr);  // walks at each refresh
  fs::remove(root / "a");
  const auto died = Clock::now();
  tracker.refresh(died);  // the walk misses it: dead from now
  using Ids = std::unordered_set<std::uint64_t>;
  EXPECT_EQ(cgroups_due(tracker, died + 61s, 60s, died + 1ms), Ids{a});
  EXPECT_EQ(cgroups_due(tracker, died + 59s, 60s, died + 1ms), Ids{}) << "still in its grace";
  // A read that started at its death may have missed counts of its last moments: not final yet.
  EXPECT_EQ(cgroups_due(tracker, died + 61s, 60s, died), Ids{});
  EXPECT_EQ(tracker.counts().dead, 1u);  // choosing forgets nothing
}

TEST(ExpireCgroups, TakesTheKeysOutOfTheSeriesAndBothMaps) {
  if (!test::is_root()) GTEST_SKIP() << "SKIPPED: loading BPF programs needs root";
  ensure_mounted("tracefs", "/sys/kernel/tracing");
  const Config config = test::setsockopt_only(0ms);
  HookSet hooks = HookSet::attach(config);
  const auto tracker = test::real_tracker();
  GenerationReader reader(hooks, config, tracker.get());
  reader.read(true, Clock::now());
  HookReading& h = reader.hooks()[0];
  const std::uint64_t expired_before = h.series.expired();
  const std::uint64_t deleted_before = h.gens[0].deleted + h.gens[1].deleted;
  const int optname = unique_number(41);
  std::uint64_t id = 0;
  {
    const test::TestCgroup cgroup("expiry");
    id = cgroup.id();
    // Calls into both generations: the cgroup has keys in both maps.
    ASSERT_EQ(cgroup.run([&] {
      return setsockopt_calls(kSolSocket, optname, 3) == 3 ? "" : "setsockopt failed";
    }),
              "");
    reader.read(false, Clock::now());
    ASSERT_EQ(cgroup.run([&] {
      return setsockopt_calls(kSolSocket, optname, 2) == 2 ? "" : "setsockopt failed";
    }),
              "");
    reader.read(false, Clock::now());
  }
  const auto keys_of = [&](std::uint32_t g) {
    std::size_t n = 0;
    for_each_count(h.object->counts_fd(g), h.object->capacity(),
                   [&](std::span<const CountEntry> chunk) {
                     for (const CountEntry& e : chunk) n += e.first.cgroup_id == id;
                   });
    return n;
  };
  ASSERT_EQ(keys_of(0), 1u);
  ASSERT_EQ(keys_of(1), 1u);
  EXPECT_EQ(expire_cgroups(reader.hooks(), {id}), 1u);  // one key, in both maps
  EXPECT_EQ(keys_of(0), 0u);
  EXPECT_EQ(keys_of(1), 0u);
  // Its series had no other key: its 5 calls are in the expired total, and the generations count
  // them as deleted, so that the next reads of both still add up.
  EXPECT_EQ(h.series.expired(), expired_before + 5);
  EXPECT_EQ(h.gens[0].deleted + h.gens[1].deleted, deleted_before + 5);
  setsockopt_calls(kSolSocket, optname, 1);
  reader.read(false, Clock::now());
  setsockopt_calls(kSolSocket, optname, 1);
  reader.read(false, Clock::now());  // would throw if the maps and totals disagreed
  EXPECT_EQ(h.series.total() + h.gens[0].overflow + h.gens[1].overflow + h.series.expired(),
            h.gens[0].calls + h.gens[1].calls);
}

}  // namespace
}  // namespace sle
