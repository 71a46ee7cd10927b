// The kernel's run-time statistics of the exporter's programs (root): collected while a
// StatsEnabler is held, published per attached program.
#include "loader/bpf_stats.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>

#include "kernel_calls.h"

namespace sle {
namespace {

using prometheus::MetricFamily;
using prometheus::MetricType;

// The sysctl as the kernel reports it.
bool sysctl_on() {
  std::ifstream in("/proc/sys/kernel/bpf_stats_enabled");
  int v = 0;
  return (in >> v) && v != 0;
}

std::string labels_of(const prometheus::ClientMetric& m) {
  std::string out;
  for (const auto& l : m.label) out += (out.empty() ? "" : ",") + l.name + "=" + l.value;
  return out;
}

// Every hook disabled: nothing loads, no root needed.
HookSet no_hooks() {
  Config config = default_config();
  for (HookConfig& hc : config.hooks) hc.enabled = false;
  return HookSet::attach(config);
}

TEST(BpfStats, NoHooksNoSeries) {
  const auto families = bpf_stats_families(no_hooks(), true);
  ASSERT_EQ(families.size(), 4u);
  for (const MetricFamily& f : families) EXPECT_TRUE(f.metric.empty()) << f.name;
}

TEST(BpfStats, RecursionMissesAloneWithoutRunTimeStats) {
  const auto families = bpf_stats_families(no_hooks(), false);
  ASSERT_EQ(families.size(), 2u);
  EXPECT_EQ(families[0].name, "socket_lsm_exporter_bpf_recursion_misses_total");
  EXPECT_EQ(families[1].name, "socket_lsm_exporter_lost_verdicts_total");
}

class BpfStatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::is_root()) GTEST_SKIP() << "SKIPPED: BPF_ENABLE_STATS and loading need root";
  }
};

TEST_F(BpfStatsTest, TheSysctlFunctionReadsTheSysctlOnly) {
  // A held BPF_ENABLE_STATS fd turns collection on without changing the sysctl, which is why the
  // collector asks for both (metrics/collector.cpp).
  const StatsEnabler enabler;
  EXPECT_EQ(bpf_stats_sysctl_enabled(), sysctl_on());
}

TEST_F(BpfStatsTest, FamiliesListEveryAttachedProgramWithItsRuns) {
  const StatsEnabler enabler;  // before the self-tests and the calls below, so they are counted
  Config config = default_config();
  config.backend = Backend::tracepoint;
  config.hooks[hook_named("connect").index()].enabled = false;
  const HookSet set = HookSet::attach(config);
  constexpr int kCalls = 50;
  ASSERT_EQ(test::setsockopt_calls(1, test::unique_number(5), kCalls), kCalls);

  auto families = bpf_stats_families(set, true);
  ASSERT_EQ(families.size(), 4u);
  EXPECT_EQ(families[0].name, "socket_lsm_exporter_bpf_run_seconds_total");
  EXPECT_EQ(families[0].help, "Time the kernel spent running the program (needs BPF stats on).");
  EXPECT_EQ(families[1].name, "socket_lsm_exporter_bpf_runs_total");
  EXPECT_EQ(families[1].help, "Runs of the program (needs BPF stats on).");
  EXPECT_EQ(families[2].name, "socket_lsm_exporter_bpf_recursion_misses_total");
  EXPECT_EQ(families[2].help,
            "Hook calls the kernel did not run the program for, because a program was already "
            "running on that CPU (kernels 5.12+ count them); they are in no count, the calls "
            "total included.");
  for (const MetricFamily& f : families) EXPECT_EQ(f.type, MetricType::Counter) << f.name;

  // One series per attached hook: the tracepoint backend sees no verdict, so loses none.
  const MetricFamily lost = families[3];
  families.pop_back();
  EXPECT_EQ(lost.name, "socket_lsm_exporter_lost_verdicts_total");
  std::vector<std::string> lost_series;
  for (const auto& m : lost.metric) {
    lost_series.push_back(labels_of(m));
    EXPECT_EQ(m.counter.value, 0.0) << labels_of(m);
  }
  EXPECT_EQ(lost_series, (std::vector<std::string>{
                             "backend=tracepoint,hook=create", "backend=tracepoint,hook=bind",
                             "backend=tracepoint,hook=listen", "backend=tracepoint,hook=accept",
                             "backend=tracepoint,hook=setsockopt"}));

  // One series per program of every attached hook, in each family, labelled alike.
  std::vector<std::string> expected;
  for (const Hook hook : all_hooks()) {
    if (const HookObject* object = set.object(hook))
      for (const auto& program : object->programs())
        expected.push_back("backend=tracepoint,hook=" + std::string(hook.name()) +
                           ",program=" + program.name);
  }
  ASSERT_FALSE(expected.empty());
  for (const MetricFamily& f : families) {
    std::vector<std::string> got;
    for (const auto& m : f.metric) got.push_back(labels_of(m));
    EXPECT_EQ(got, expected) << f.name;
  }

  std::map<std::string, double> runs, seconds, runs_by_hook;
  for (const auto& m : families[1].metric) {
    runs[m.label[2].value] = m.counter.value;
    runs_by_hook[m.label[1].value] += m.counter.value;
  }
  for (const auto& m : families[0].metric) seconds[m.label[2].value] = m.counter.value;
  // Every call, and the self-test's before them.
  EXPECT_GE(runs["tp_sys_enter_setsockopt"], kCalls + 1);
  EXPECT_GT(seconds["tp_sys_enter_setsockopt"], 0.0);
  for (const auto& [hook, n] : runs_by_hook) EXPECT_GE(n, 1.0) << hook << ": its self-test";
  EXPECT_EQ(runs_by_hook.count("connect"), 0u);
}

}  // namespace
}  // namespace sle
