// Series from keys: labels worked out once per key, keys folding into series, the two
// generations adding up, expiry keeping counts (retained, then expired), and a restart's restore.
#include "metrics/hook_series.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "peers.h"

namespace sle {
namespace {

sle_key key(std::uint64_t cgroup, std::uint16_t port) {
  sle_key k{};
  k.cgroup_id = cgroup;
  k.port = port;
  k.port_class = SLE_PORT_EXACT;
  return k;
}

// Labels from the port alone, and the cgroup only when `with_cgroup`: keys of two cgroups then
// fold into one series, as with the cgroup label switched off.
struct Labeller {
  bool with_cgroup = true;
  int calls = 0;
  // Label text as the series keep it (series_labels.h writes it the same way).
  std::string operator()(const sle_key& k) {
    ++calls;
    std::string text = "port=" + std::to_string(k.port) + " ";
    if (with_cgroup) text += "cgroup=/c" + std::to_string(k.cgroup_id) + " ";
    return text;
  }
};

// Each series' labels and value, from the lines append_exposition() writes (no metric name).
std::map<std::string, std::uint64_t> values(const HookSeries& s) {
  std::string text;
  s.append_exposition(text, "");
  std::map<std::string, std::uint64_t> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const auto space = line.rfind(' ');
    out[line.substr(0, space)] = std::stoull(line.substr(space + 1));
  }
  return out;
}

TEST(HookSeries, GenerationsAddUpAndLabelsAreWorkedOutOnce) {
  HookSeries s;
  Labeller labeller;
  const auto labels = [&](const sle_key& k) { return labeller(k); };
  s.update(0, std::vector<CountEntry>{{key(1, 80), 3}, {key(2, 80), 1}}, labels);
  s.update(1, std::vector<CountEntry>{{key(1, 80), 2}}, labels);
  s.update(0, std::vector<CountEntry>{{key(1, 80), 5}, {key(2, 80), 1}}, labels);
  EXPECT_EQ(labeller.calls, 2);
  EXPECT_EQ(values(s), (std::map<std::string, std::uint64_t>{{"port=80 cgroup=/c1 ", 7},
                                                             {"port=80 cgroup=/c2 ", 1}}));
  EXPECT_EQ(test::HookSeriesPeer::key_count(s), 2u);
}

TEST(HookSeries, ExpiredKeysStayInTheirSeriesUntilItsLastKeyGoes) {
  HookSeries s;
  Labeller labeller{.with_cgroup = false};
  const auto labels = [&](const sle_key& k) { return labeller(k); };
  s.update(0, std::vector<CountEntry>{{key(1, 80), 3}, {key(2, 80), 4}, {key(3, 22), 1}}, labels);
  s.update(1, std::vector<CountEntry>{{key(1, 80), 10}}, labels);

  HookSeries::Expired gone = s.expire({1});
  ASSERT_EQ(gone.keys.size(), 1u);
  EXPECT_EQ(gone.in_generation[0], 1u);
  EXPECT_EQ(gone.in_generation[1], 1u);
  EXPECT_EQ(gone.counts_in_generation[0], 3u);
  EXPECT_EQ(gone.counts_in_generation[1], 10u);
  // cgroup 2 still holds port 80: the series keeps cgroup 1's 13, and never goes down.
  EXPECT_EQ(values(s), (std::map<std::string, std::uint64_t>{{"port=22 ", 1}, {"port=80 ", 17}}));
  EXPECT_EQ(s.expired(), 0u);
  EXPECT_EQ(s.retained().size(), 1u);
  s.update(0, std::vector<CountEntry>{{key(2, 80), 6}, {key(3, 22), 1}}, labels);
  EXPECT_EQ(values(s), (std::map<std::string, std::uint64_t>{{"port=22 ", 1}, {"port=80 ", 19}}));

  gone = s.expire({2, 3});
  EXPECT_EQ(gone.keys.size(), 2u);
  EXPECT_EQ(gone.in_generation[1], 0u);
  EXPECT_EQ(gone.counts_in_generation[0], 7u);  // cgroup 2's 6, cgroup 3's 1
  EXPECT_EQ(gone.counts_in_generation[1], 0u);
  EXPECT_TRUE(values(s).empty());
  EXPECT_EQ(s.expired(), 20u);  // 13 + 6 + 1: every call, now in expired
  EXPECT_EQ(test::HookSeriesPeer::key_count(s), 0u);
}

TEST(HookSeries, RestoreGivesBackRetainedCountsAndTheExpiredTotal) {
  HookSeries before;
  Labeller labeller{.with_cgroup = false};
  const auto labels = [&](const sle_key& k) { return labeller(k); };
  before.update(0, std::vector<CountEntry>{{key(1, 80), 3}, {key(2, 80), 4}}, labels);
  before.expire({1});
  const auto retained = before.retained();

  HookSeries after;
  after.restore(retained, 9);
  after.update(0, std::vector<CountEntry>{{key(2, 80), 5}}, labels);
  EXPECT_EQ(values(after), (std::map<std::string, std::uint64_t>{{"port=80 ", 8}}));
  EXPECT_EQ(after.expired(), 9u);

  // Kept counts whose series has no key any more: nothing adds to them, they are expired.
  HookSeries orphan;
  orphan.restore(retained, 0);
  orphan.update(0, std::vector<CountEntry>{{key(5, 443), 1}}, labels);
  EXPECT_EQ(orphan.expired(), 0u);  // not before drop_orphans(): the other generation may hold it
  orphan.drop_orphans();
  EXPECT_EQ(orphan.expired(), 3u);
  EXPECT_EQ(values(orphan), (std::map<std::string, std::uint64_t>{{"port=443 ", 1}}));
}

}  // namespace
}  // namespace sle
