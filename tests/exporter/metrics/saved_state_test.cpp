// The state kept across restarts: what goes in comes out, deaths as ages, and damage is refused.
#include "metrics/saved_state.h"

#include <gtest/gtest.h>

#include "common/error.h"

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

}  // namespace
}  // namespace sle
