#include "metrics/process_metrics.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <map>

namespace sle {
namespace {

std::map<std::string, double> by_name() {
  std::map<std::string, double> out;
  for (const auto& f : process_metrics()) {
    EXPECT_EQ(f.metric.size(), 1u) << f.name;
    const auto& m = f.metric.at(0);
    out[f.name] = f.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
  }
  return out;
}

TEST(ProcessMetrics, ReadsThisProcess) {
  const auto m = by_name();
  ASSERT_EQ(m.size(), 6u);
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  // Started at most an hour ago (the test binary), not in the future.
  EXPECT_LE(m.at("process_start_time_seconds"), now + 1);
  EXPECT_GT(m.at("process_start_time_seconds"), now - 3600);
  EXPECT_GT(m.at("process_resident_memory_bytes"), 1 << 20);
  EXPECT_GE(m.at("process_virtual_memory_bytes"), m.at("process_resident_memory_bytes"));
  EXPECT_GE(m.at("process_cpu_seconds_total"), 0);
  EXPECT_GE(m.at("process_open_fds"), 3);  // stdin, stdout, stderr
  EXPECT_GE(m.at("process_max_fds"), m.at("process_open_fds"));
}

TEST(ProcessMetrics, OpenFdsFollowsTheProcess) {
  const double before = by_name().at("process_open_fds");
  const int fd = ::dup(0);
  EXPECT_EQ(by_name().at("process_open_fds"), before + 1);
  ::close(fd);
}

}  // namespace
}  // namespace sle
