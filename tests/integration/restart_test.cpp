// Counters that survive restarts (bpf.pin_path; docs/lifecycle.md), with the real binary and a
// bpf filesystem of the test's own: count, stop with SIGTERM, start again, count more, and every
// series is the sum of both phases; a cgroup removed before the stop keeps its path through the
// kept state; maps that no longer match, and pins of another layout, are set aside with a
// warning. Needs root.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

extern "C" {
#include "socket_lsm.h"
}

#include "common/error.h"
#include "harness.h"
#include "loader/pinning.h"
#include "metrics/saved_state.h"
#include "scrape.h"
#include "workload.h"

namespace sle::test {
namespace {

// The series of two workloads together.
Expected sum(const Expected& a, const Expected& b) {
  Expected out = a;
  for (const auto& [key, count] : b) out[key] += count;
  return out;
}

double total(const Samples& s, const std::string& name, const std::string& hook) {
  const auto it = s.find(series_key(name, {{"hook", hook}}));
  return it == s.end() ? -1 : it->second.value;
}

class RestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0)
      GTEST_SKIP() << "SKIPPED: needs root to load BPF programs and mount bpffs";
    char dir[] = "/tmp/sle-bpffs-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    bpffs_ = dir;
    ASSERT_EQ(::mount("bpf", bpffs_.c_str(), "bpf", 0, nullptr), 0) << sle::errno_text(errno);
    pin_path_ = bpffs_ + "/sle";
  }
  void TearDown() override {
    if (bpffs_.empty()) return;
    ::umount2(bpffs_.c_str(), MNT_DETACH);
    ::rmdir(bpffs_.c_str());
  }
  std::string config(std::uint16_t port, const std::string& extra = "") const {
    return write_temp_file(
        "read_interval: 0s\nweb:\n  listen_address: \"127.0.0.1:" + std::to_string(port) +
            "\"\nbpf:\n  pin_path: " + pin_path_ + "\n" + extra,
        ".yaml");
  }
  ExporterProcess start(std::uint16_t port, const std::string& config_file) const {
    return ExporterProcess(port,
                           {"--config.file=" + config_file, "--bpf.backend=" + test_backend()});
  }

  std::string bpffs_;
  std::string pin_path_;
};

TEST_F(RestartTest, CountsGoOnAcrossARestart) {
  const std::uint16_t port = free_listen_port();
  const std::string cfg = config(port);
  const TestCgroup cgroup;
  // Each run on ports of its own: the first run's connections linger in TIME_WAIT.
  const Ports ports = find_free_ports();
  const Expected once = expected_series(ports);
  Samples first;
  std::string gone_path;
  Expected gone_series;
  {
    ExporterProcess exporter = start(port, cfg);
    ASSERT_EQ(cgroup.run([&] { return run_workload(ports); }), "");
    // A second cgroup, removed before the stop: only the kept state can name it afterwards.
    auto gone = std::make_unique<TestCgroup>("gone");
    gone_path = gone->path();
    const Ports gone_ports = find_free_ports();
    ASSERT_EQ(gone->run([&] { return run_workload(gone_ports); }), "");
    gone.reset();
    first = scrape(port);
    EXPECT_EQ(series_of(first, cgroup.path()), once);
    gone_series = series_of(first, gone_path);
    EXPECT_EQ(gone_series, expected_series(gone_ports));
    EXPECT_EQ(exporter.stop(), 0) << exporter.log();
  }
  ExporterProcess exporter = start(port, cfg);
  EXPECT_NE(exporter.log().find("msg=\"Took back the state kept at the last stop\""),
            std::string::npos)
      << exporter.log();
  const Ports again = find_free_ports();
  ASSERT_EQ(cgroup.run([&] { return run_workload(again); }), "");
  const Samples second = scrape(port);
  EXPECT_EQ(series_of(second, cgroup.path()), sum(once, expected_series(again)));
  EXPECT_EQ(series_of(second, gone_path), gone_series) << "the removed cgroup lost its name";
  for (const std::string& hook : hook_names()) {
    std::uint64_t workload_calls = 0;
    for (const auto& [key, count] : once)
      if (key.starts_with(std::string("socket_lsm_") + hook + "_total{")) workload_calls += count;
    // The totals go on too: the first phase's, plus at least the second workload's calls.
    EXPECT_GE(
        total(second, "socket_lsm_hook_calls_total", hook),
        total(first, "socket_lsm_hook_calls_total", hook) + static_cast<double>(workload_calls))
        << hook;
  }
  EXPECT_EQ(exporter.stop(), 0) << exporter.log();
}

TEST_F(RestartTest, CountsExpiredBeforeARestartStayExpiredAndTheReadsExact) {
  // Expiry deletes keys from the pinned maps while their calls stay in the totals: the restarted
  // exporter finds its maps short of their totals by those counts, and must read them exactly,
  // without a failed read, with the expired total it kept.
  const std::uint16_t port = free_listen_port();
  const std::string cfg = config(port, "cgroups:\n  expire_after: 1s\n");
  double expired_before = 0;
  {
    ExporterProcess exporter = start(port, cfg);
    auto gone = std::make_unique<TestCgroup>("expiring");
    const std::string path = gone->path();
    const Ports ports = find_free_ports();
    ASSERT_EQ(gone->run([&] { return run_workload(ports); }), "");
    ASSERT_FALSE(series_of(scrape(port), path).empty());
    gone.reset();
    Samples s;
    for (int i = 0; i < 100; ++i) {  // read_interval 0: each scrape reads
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      s = scrape(port);
      if (series_of(s, path).empty()) break;
    }
    ASSERT_TRUE(series_of(s, path).empty()) << "the removed cgroup's series did not expire";
    expired_before = total(s, "socket_lsm_exporter_expired_total", "connect");
    EXPECT_GE(expired_before, 1);
    EXPECT_EQ(invariant_broken(s), "");
    EXPECT_EQ(value(s, "socket_lsm_exporter_read_errors_total", {}), 0);
    EXPECT_EQ(exporter.stop(), 0) << exporter.log();
  }
  ExporterProcess exporter = start(port, cfg);
  const TestCgroup cgroup;
  const Ports ports = find_free_ports();
  ASSERT_EQ(cgroup.run([&] { return run_workload(ports); }), "");
  scrape(port);  // reads one generation, the next scrape the other
  const Samples after = scrape(port);
  EXPECT_EQ(series_of(after, cgroup.path()), expected_series(ports));
  EXPECT_EQ(total(after, "socket_lsm_exporter_expired_total", "connect"), expired_before);
  EXPECT_EQ(invariant_broken(after), "");
  EXPECT_EQ(value(after, "socket_lsm_exporter_read_errors_total", {}), 0) << exporter.log();
  EXPECT_EQ(exporter.stop(), 0) << exporter.log();
}

TEST_F(RestartTest, AnUpgradeFromLayoutV1KeepsTheCounters) {
  // What an exporter of layout v1 (until 24a6d39) left pinned for setsockopt: per-CPU counts
  // hashes and a per-CPU totals array. A key of the test's cgroup in each generation, and calls
  // an expiry had already deleted from the maps (the totals exceed the counts by them).
  const TestCgroup cgroup;
  const std::string v1 = pin_path_ + "/v1/setsockopt";
  std::filesystem::create_directories(v1);
  const auto ncpu = static_cast<std::size_t>(libbpf_num_possible_cpus());
  const auto make = [&](bpf_map_type type, std::uint32_t key_size, std::uint32_t max,
                        const char* name) {
    const int fd = bpf_map_create(type, name, key_size, 8, max, nullptr);
    EXPECT_GE(fd, 0) << name;
    EXPECT_EQ(bpf_obj_pin(fd, (v1 + "/" + name).c_str()), 0) << name;
    return fd;
  };
  const int counts[2] = {make(BPF_MAP_TYPE_PERCPU_HASH, sizeof(sle_key), 10240, "sle_counts_0"),
                         make(BPF_MAP_TYPE_PERCPU_HASH, sizeof(sle_key), 10240, "sle_counts_1")};
  const int totals = make(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 4, "sle_totals");
  sle_key key{};
  key.cgroup_id = cgroup.id();
  key.family = 2;  // inet, dgram, udp, SOL_SOCKET, an option number no one else uses
  key.type = 2;
  key.protocol = 17;
  key.level = 1;
  key.optname = 9'999'123;
  const std::vector<std::uint64_t> on_each_cpu(ncpu, 3);  // 3 x CPUs in each generation
  for (const int fd : counts) ASSERT_EQ(bpf_map_update_elem(fd, &key, on_each_cpu.data(), 0), 0);
  std::vector<std::uint64_t> calls(ncpu, 0);
  calls[0] = 3 * ncpu + 4;  // 4: deleted by an expiry
  for (const std::uint32_t at : {0u, 2u})
    ASSERT_EQ(bpf_map_update_elem(totals, &at, calls.data(), 0), 0);
  for (const int fd : {counts[0], counts[1], totals}) ::close(fd);
  // The state v1 kept beside them, with those 8 in the expired total.
  SavedState state;
  state.hooks["setsockopt"].expired = 8;
  PinnedBlob(pin_path_ + "/v1/state").write(to_json(state));

  const std::uint16_t port = free_listen_port();
  ExporterProcess exporter = start(port, config(port));
  const std::string log = exporter.log();
  // The backend it attached with: the test's, or under auto the one auto chose.
  std::smatch attached;
  ASSERT_TRUE(std::regex_search(
      log, attached, std::regex("msg=\"Attached hook\" hook=setsockopt backend=([a-z]+)")))
      << log;
  EXPECT_NE(log.find("msg=\"Converted the maps pinned by layout v1; the counters go on\" "
                     "hook=\"setsockopt (" +
                     attached[1].str() + ")\" keys=2"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("msg=\"Converted the state kept by layout v1\""), std::string::npos) << log;
  EXPECT_FALSE(std::filesystem::exists(pin_path_ + "/v1")) << log;
  EXPECT_EQ(log.find("Maps of another layout"), std::string::npos) << log;
  const Ports ports = find_free_ports();
  ASSERT_EQ(cgroup.run([&] { return run_workload(ports); }), "");
  scrape(port);  // reads one generation, the next scrape the other
  const Samples after = scrape(port);
  Expected want = expected_series(ports);
  want[series_key("socket_lsm_setsockopt_total", {{"family", "inet"},
                                                  {"type", "dgram"},
                                                  {"protocol", "udp"},
                                                  {"level", "SOL_SOCKET"},
                                                  {"optname", "9999123"},
                                                  {"outcome", "unknown"}})] = 6 * ncpu;
  EXPECT_EQ(series_of(after, cgroup.path()), want);
  EXPECT_GE(total(after, "socket_lsm_hook_calls_total", "setsockopt"),
            static_cast<double>(2 * (3 * ncpu + 4)));
  EXPECT_EQ(total(after, "socket_lsm_exporter_expired_total", "setsockopt"), 8);
  EXPECT_EQ(invariant_broken(after), "");
  EXPECT_EQ(value(after, "socket_lsm_exporter_read_errors_total", {}), 0) << exporter.log();
  EXPECT_EQ(exporter.stop(), 0) << exporter.log();
}

TEST_F(RestartTest, MapsThatNoLongerMatchAreReplacedWithAWarning) {
  const std::uint16_t port = free_listen_port();
  const TestCgroup cgroup;
  const Ports ports = find_free_ports();
  const Expected once = expected_series(ports);
  {
    ExporterProcess exporter = start(port, config(port));
    ASSERT_EQ(cgroup.run([&] { return run_workload(ports); }), "");
    EXPECT_EQ(exporter.stop(), 0) << exporter.log();
  }
  // Pins of another layout version, as an older exporter would have left.
  std::filesystem::create_directories(pin_path_ + "/v0/create");
  // Another capacity: libbpf could not use the old maps, so they are replaced.
  ExporterProcess exporter =
      start(port, config(port, "hooks:\n  setsockopt:\n    max_entries: 4096\n"));
  const std::string log = exporter.log();
  EXPECT_NE(log.find("msg=\"Pinned map does not match this exporter's; using a fresh one\" map=" +
                     pin_path_ + "/v3/setsockopt/sle_counts_0 hook=\"setsockopt ("),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("msg=\"Maps of another layout are pinned here and not used; remove them "
                     "with rm -r\" path=" +
                     pin_path_ + "/v0 layout=v0 this_layout=v3"),
            std::string::npos)
      << log;
  const Ports again = find_free_ports();
  ASSERT_EQ(cgroup.run([&] { return run_workload(again); }), "");
  // setsockopt starts again from its fresh maps; the other hooks go on.
  Expected want;
  for (const auto& [key, count] : sum(once, expected_series(again)))
    if (!key.starts_with("socket_lsm_setsockopt_total")) want[key] = count;
  for (const auto& [key, count] : expected_series(again))
    if (key.starts_with("socket_lsm_setsockopt_total")) want[key] = count;
  EXPECT_EQ(series_of(scrape(port), cgroup.path()), want);
  EXPECT_EQ(exporter.stop(), 0) << exporter.log();
}

}  // namespace
}  // namespace sle::test
