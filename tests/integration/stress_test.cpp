// The counting engine under stress (bpf/counting.bpf.h): every online CPU hammers one shared key
// and many keys of its own at once, with two threads per CPU so that programs that can be
// preempted are (the VM suite boots with preempt=full), while /metrics is scraped without pause;
// and a CPU taken offline and back while counting keeps what it counted. Every scrape adds up,
// and the end is exact. Needs root.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "scrape.h"

namespace sle::test {
namespace {

constexpr int kSolSocket = 1;
// Option numbers no other process uses (setsockopt fails with ENOPROTOOPT after the hook ran).
constexpr int kHotOptname = 7'770'000;
constexpr int kManyOptnames = 7'771'000;
constexpr int kManyKeys = 200;  // more than a CPU's slots: slots, claims and the hash all count

long calls_per_thread() {
  const char* env = std::getenv("SLE_STRESS_CALLS");
  return env ? std::atol(env) : 200000;
}

std::vector<int> online_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> out;
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return out;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) out.push_back(c);
  return out;
}

// Pins the calling thread; false when the CPU is offline.
bool pin_to(int cpu) {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  return ::sched_setaffinity(0, sizeof one, &one) == 0;
}

// n setsockopt calls with option names first, first + 1, ... first + keys - 1 in turn, on a
// socket of its own; returns how many went wrong (anything but success or ENOPROTOOPT).
long hammer(int first, int keys, long n) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return n;
  const int one = 1;
  long failed = 0;
  for (long i = 0; i < n; ++i)
    if (::setsockopt(fd, kSolSocket, first + static_cast<int>(i % keys), &one, sizeof one) != 0 &&
        errno != ENOPROTOOPT)
      ++failed;
  ::close(fd);
  return failed;
}

// The test cgroup's setsockopt series by option number.
std::map<int, double> by_optname(const Samples& samples, const std::string& cgroup) {
  std::map<int, double> out;
  for (const auto& [key, s] : samples)
    if (s.name == "socket_lsm_setsockopt_total" && s.labels.count("cgroup") &&
        s.labels.at("cgroup") == cgroup)
      out[std::atoi(s.labels.at("optname").c_str())] += s.value;
  return out;
}

double recursion_misses(const Samples& samples) {
  double sum = 0;
  for (const auto& [key, s] : samples)
    if (s.name == "socket_lsm_exporter_bpf_recursion_misses_total" &&
        s.labels.at("hook") == "setsockopt")
      sum += s.value;
  return sum;
}

// Both generations read: two scrapes (read_interval 0).
Samples scrape_both(std::uint16_t port) {
  scrape(port);
  return scrape(port);
}

class StressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: needs root to load BPF programs";
    port_ = free_listen_port();
    config_ = write_temp_file(
        "read_interval: 0s\nweb:\n  listen_address: \"127.0.0.1:" + std::to_string(port_) + "\"\n",
        ".yaml");
  }
  std::uint16_t port_ = 0;
  std::string config_;
};

TEST_F(StressTest, EveryCpuHammersOneKeyAndManyKeysWhileScraped) {
  ExporterProcess exporter(port_, {"--config.file=" + config_, "--bpf.backend=" + test_backend()});
  const TestCgroup cgroup;
  const std::vector<int> cpus = online_cpus();
  ASSERT_FALSE(cpus.empty());
  const long n = calls_per_thread();
  const Samples before = scrape(port_);
  const double misses_before = recursion_misses(before);
  const auto hook_total = [](const Samples& samples, const std::string& name) {
    return value(samples, name, {{"hook", "setsockopt"}});
  };

  InvariantWatch watch(port_, std::chrono::milliseconds(0));
  const std::string failed = cgroup.run([&] {
    std::atomic<long> errors{0};
    std::vector<std::thread> threads;
    for (const int cpu : cpus) {
      threads.emplace_back([&, cpu] { errors += pin_to(cpu) ? hammer(kHotOptname, 1, n) : n; });
      threads.emplace_back(
          [&, cpu] { errors += pin_to(cpu) ? hammer(kManyOptnames, kManyKeys, n) : n; });
    }
    for (auto& t : threads) t.join();
    return errors == 0 ? std::string() : std::to_string(errors.load()) + " calls went wrong";
  });
  const int seen = watch.scrapes();
  while (watch.scrapes() < seen + 3) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  watch.stop();
  ASSERT_EQ(failed, "");

  const Samples end = scrape_both(port_);
  const std::map<int, double> series = by_optname(end, cgroup.path());
  const double hot_calls = static_cast<double>(n) * static_cast<double>(cpus.size());
  const double per_key = hot_calls / kManyKeys;  // n is a multiple of kManyKeys by default
  double counted = 0;
  for (const auto& [optname, count] : series) counted += count;
  // Calls the kernel did not run the program for (a program of the hook already running on that
  // CPU: a trampoline program preempted midway, on kernels that count them) are in no count;
  // other processes' calls may be among them (the exporter sets options on its connections).
  const double missed = recursion_misses(end) - misses_before;
  // Calls whose key the kernel would not take into the hash at that moment are in the overflow
  // total (the invariant, checked at every scrape, holds with them). Under preempt=full the
  // 6.1 guest has refused 1 and 20 of 80,000 inserts into a hash far from full (kprobe and
  // tracepoint, 2026-12-06); which error it gives is not known yet. Other processes' overflow
  // may be among them.
  const double overflow = hook_total(end, "socket_lsm_exporter_map_overflow_total") -
                          hook_total(before, "socket_lsm_exporter_map_overflow_total");
  // What the hook saw meanwhile, whoever made the calls: for the message.
  const double calls = hook_total(end, "socket_lsm_hook_calls_total") -
                       hook_total(before, "socket_lsm_hook_calls_total");
  EXPECT_LE(counted, 2 * hot_calls);
  EXPECT_LT(overflow, 0.01 * 2 * hot_calls);  // rare refusals, not a full map
  EXPECT_GE(counted + missed + overflow, 2 * hot_calls)
      << "missed " << missed << ", counted " << counted << ", hook calls " << calls << ", overflow "
      << overflow;
  EXPECT_EQ(series.size(), static_cast<std::size_t>(1 + kManyKeys));
  EXPECT_LE(series.count(kHotOptname) ? series.at(kHotOptname) : 0, hot_calls);
  if (missed == 0 && overflow == 0) {
    EXPECT_EQ(series.at(kHotOptname), hot_calls);
    for (int k = 0; k < kManyKeys; ++k)
      EXPECT_EQ(series.count(kManyOptnames + k) ? series.at(kManyOptnames + k) : 0, per_key)
          << "optname " << kManyOptnames + k;
  }
  EXPECT_EQ(watch.broken(), "");
  EXPECT_EQ(invariant_broken(end), "");
  EXPECT_EQ(value(end, "socket_lsm_exporter_read_errors_total", {}), 0) << exporter.log();
  std::cout << "stress: " << cpus.size() << " CPUs x 2 threads x " << n << " calls, "
            << watch.scrapes() << " scrapes, " << missed << " recursion misses, " << calls
            << " hook calls, " << overflow << " in overflow\n";
  EXPECT_EQ(exporter.stop(), 0) << exporter.log();
}

// Taking a CPU offline on the development machines would take half of them: the VM suite sets
// SLE_TEST_HOTPLUG=1 in a guest of its own.
TEST_F(StressTest, ACpuTakenOfflineAndBackWhileCountingKeepsItsCounts) {
  if (!std::getenv("SLE_TEST_HOTPLUG"))
    GTEST_SKIP() << "SKIPPED: takes a CPU offline; runs where SLE_TEST_HOTPLUG=1 (the VM suite)";
  const std::vector<int> cpus = online_cpus();
  if (cpus.size() < 2) GTEST_SKIP() << "SKIPPED: needs two online CPUs";
  const int last = cpus.back();
  const std::string online = "/sys/devices/system/cpu/cpu" + std::to_string(last) + "/online";
  const auto set_online = [&](bool on) {
    std::ofstream out(online);
    out << (on ? "1" : "0");
    out.flush();
    return static_cast<bool>(out);
  };
  ExporterProcess exporter(port_, {"--config.file=" + config_, "--bpf.backend=" + test_backend()});
  const TestCgroup cgroup;
  constexpr long kOnLast = 5000, kOnFirst = 3000, kMeanwhile = 20000;

  const double misses_before = recursion_misses(scrape(port_));
  InvariantWatch watch(port_, std::chrono::milliseconds(20));
  const std::string failed = cgroup.run([&] {
    // Counted on the last CPU, in its slots and hash, and not read before it goes offline.
    bool on_last_ok = false, again_ok = false;
    std::thread on_last([&] { on_last_ok = pin_to(last) && hammer(kHotOptname, 1, kOnLast) == 0; });
    on_last.join();
    // Calls go on on the first CPU while the last one goes offline and comes back.
    std::atomic<bool> done{false};
    std::atomic<long> errors{0}, made{0};
    std::thread meanwhile([&] {
      if (!pin_to(cpus.front())) errors += 1;
      while (!done) {
        errors += hammer(kManyOptnames, 10, 100);
        made += 100;
      }
    });
    std::string problem;
    if (!set_online(false)) problem = "cannot take CPU " + std::to_string(last) + " offline";
    if (hammer(kHotOptname, 1, kOnFirst) != 0) problem = "calls with the last CPU offline";
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    if (!set_online(true)) problem = "cannot bring CPU " + std::to_string(last) + " back";
    std::thread again([&] { again_ok = pin_to(last) && hammer(kHotOptname, 1, kOnLast) == 0; });
    again.join();
    while (made < kMeanwhile) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    done = true;
    meanwhile.join();
    if (!on_last_ok || !again_ok) problem = "calls on the last CPU went wrong";
    if (errors != 0) problem = std::to_string(errors.load()) + " calls went wrong";
    // How many the thread made, for the parent (a child's memory is its own).
    std::ofstream(config_ + ".made") << made.load();
    return problem;
  });
  set_online(true);  // whatever happened above
  watch.stop();
  ASSERT_EQ(failed, "");
  long made = 0;
  std::ifstream(config_ + ".made") >> made;

  const Samples end = scrape_both(port_);
  const std::map<int, double> series = by_optname(end, cgroup.path());
  const double hot = 2 * kOnLast + kOnFirst;
  double meanwhile = 0;
  for (const auto& [optname, count] : series)
    if (optname != kHotOptname) meanwhile += count;
  const double missed = recursion_misses(end) - misses_before;  // as in the test above
  EXPECT_LE(series.at(kHotOptname) + meanwhile, hot + static_cast<double>(made));
  EXPECT_GE(series.at(kHotOptname) + meanwhile + missed, hot + static_cast<double>(made));
  if (missed == 0) {
    EXPECT_EQ(series.at(kHotOptname), hot);
    EXPECT_EQ(meanwhile, static_cast<double>(made));
  }
  EXPECT_EQ(invariant_broken(end), "");
  EXPECT_EQ(watch.broken(), "");
  EXPECT_GT(watch.scrapes(), 3);
  EXPECT_EQ(exporter.stop(), 0) << exporter.log();
}

}  // namespace
}  // namespace sle::test
