// The state kept across restarts: what goes in comes out, deaths as ages, and damage is refused;
// kept from real pinned hook maps' series and taken back only beside the same maps (root).
#include "metrics/saved_state.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <unistd.h>

#include "common/error.h"
#include "common/mounts.h"
#include "kernel_calls.h"
#include "loader/hook_set.h"
#include "metrics/generation_reader.h"
#include "reading.h"

namespace sle {
namespace {

using namespace std::chrono_literals;

TEST(SavedState, RoundTrips) {
  const auto now = CgroupTracker::Clock::now();
  SavedState state;
  state.set_cgroups({{7, {"/a", {}, {}, std::nullopt}}, {8, {"/kubepods/b", {}, {}, now - 30s}}},
                    now);
  state.hooks["bind"] = {{{"{port=\"80\",cgroup=\"/a\"}", 12}}, 34};
  const SavedState back = parse_saved_state(to_json(state));
  ASSERT_EQ(back.cgroups.size(), 2u);
  EXPECT_EQ(back.cgroups[0].id, 7u);
  EXPECT_EQ(back.cgroups[0].path, "/a");
  EXPECT_FALSE(back.cgroups[0].dead_for_seconds);
  EXPECT_NEAR(*back.cgroups[1].dead_for_seconds, 30.0, 0.001);
  ASSERT_EQ(back.hooks.count("bind"), 1u);
  EXPECT_EQ(back.hooks.at("bind").expired, 34u);
  ASSERT_EQ(back.hooks.at("bind").retained.size(), 1u);
  EXPECT_EQ(back.hooks.at("bind").retained[0].count, 12u);
  EXPECT_EQ(back.hooks.at("bind").retained[0].labels, "{port=\"80\",cgroup=\"/a\"}");

  // Back into the tracker's terms: the age becomes a time of death, the identity is parsed again.
  const auto cgroups = back.cgroups_at(now);
  ASSERT_TRUE(cgroups[1].second.dead_since);
  EXPECT_LE(now - *cgroups[1].second.dead_since, 31s);
  EXPECT_GE(now - *cgroups[1].second.dead_since, 30s);
}

TEST(SavedState, RefusesWhatItDidNotWrite) {
  EXPECT_THROW(parse_saved_state("not json"), Error);
  EXPECT_THROW(
      parse_saved_state("{\"version\": 2, \"saved_at\": 0, \"cgroups\": [], \"hooks\": {}}"),
      Error);
  EXPECT_THROW(parse_saved_state("{\"version\": 1}"), Error);
  try {
    parse_saved_state("{\"version\": 7}");
    FAIL() << "a state of version 7 was read";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "state of version 7, this exporter reads 1");
  }
}

// --- kept beside pinned maps, taken back (root) ----------------------------------------------

class KeptStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::is_root()) GTEST_SKIP() << "SKIPPED: mounting bpffs and loading BPF need root";
    ensure_mounted("tracefs", "/sys/kernel/tracing");
    char dir[] = "/tmp/sle-kept-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    bpffs_ = dir;
    ASSERT_EQ(::mount("bpf", bpffs_.c_str(), "bpf", 0, nullptr), 0) << errno_text(errno);
    config_.pin_path = bpffs_ + "/sle";
  }
  void TearDown() override {
    if (bpffs_.empty()) return;
    ::umount2(bpffs_.c_str(), MNT_DETACH);
    ::rmdir(bpffs_.c_str());
  }
  // Keeps, from the pinned maps' reader, 3 retained in one series and 9 expired.
  void keep_some_counts(PinnedBlob& blob) {
    HookSet hooks = HookSet::attach(config_);
    GenerationReader reader(hooks, config_, nullptr);
    reader.hooks()[0].series.restore(retained_, 9);
    save_state(blob, nullptr, reader.hooks());
  }
  std::string bpffs_;
  Config config_ = test::setsockopt_only(std::chrono::milliseconds(0));
  const std::vector<HookSeries::Retained> retained_ = {{"{optname=\"1\"}", 3}};
};

TEST_F(KeptStateTest, TheSeriesCountsComeBackBesideTheSameMaps) {
  PinnedBlob blob(bpffs_ + "/state");
  keep_some_counts(blob);
  const SavedState saved = parse_saved_state(*blob.read());
  ASSERT_EQ(saved.hooks.count("setsockopt"), 1u);
  EXPECT_EQ(saved.hooks.at("setsockopt").expired, 9u);
  EXPECT_TRUE(saved.cgroups.empty());  // no tracker

  HookSet hooks = HookSet::attach(config_);  // the pinned maps again
  ASSERT_TRUE(hooks.object(hook_named("setsockopt"))->maps_reused());
  GenerationReader reader(hooks, config_, nullptr);
  restore_state(blob, nullptr, reader.hooks());
  const HookSeries& series = reader.hooks()[0].series;
  EXPECT_EQ(series.expired(), 9u);
  ASSERT_EQ(series.retained().size(), 1u);
  EXPECT_EQ(series.retained()[0].labels, retained_[0].labels);
  EXPECT_EQ(series.retained()[0].count, 3u);
}

TEST_F(KeptStateTest, NotBesideNewMapsNorFromADamagedState) {
  PinnedBlob blob(bpffs_ + "/state");
  keep_some_counts(blob);
  Config unpinned = config_;
  unpinned.pin_path.clear();
  {
    HookSet hooks = HookSet::attach(unpinned);  // new maps: the kept counts would count twice
    ASSERT_FALSE(hooks.object(hook_named("setsockopt"))->maps_reused());
    GenerationReader reader(hooks, unpinned, nullptr);
    restore_state(blob, nullptr, reader.hooks());
    EXPECT_EQ(reader.hooks()[0].series.expired(), 0u);
    EXPECT_TRUE(reader.hooks()[0].series.retained().empty());
  }
  blob.write("not json");
  HookSet hooks = HookSet::attach(config_);
  ASSERT_TRUE(hooks.object(hook_named("setsockopt"))->maps_reused());
  GenerationReader reader(hooks, config_, nullptr);
  HookSeries& series = reader.hooks()[0].series;
  series.restore({}, 1);                         // what the series held before: left as it was
  restore_state(blob, nullptr, reader.hooks());  // logged, and left
  EXPECT_EQ(series.expired(), 1u);
  EXPECT_TRUE(series.retained().empty());
}

}  // namespace
}  // namespace sle
