// The real exporter, the real kernel: start the binary, run a scripted workload in a cgroup of
// the test's own, scrape /metrics over HTTP and check every series of that cgroup exactly.
// Needs root (BPF, cgroups). $SLE_TEST_BACKEND picks the backend (default: tracepoint, the one
// that runs on the development machines' kernel).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "harness.h"
#include "scrape.h"
#include "workload.h"

namespace sle::test {
namespace {

std::string config_yaml(std::uint16_t port, const std::string& extra = "") {
  return "read_interval: 0s\nweb:\n  listen_address: \"127.0.0.1:" + std::to_string(port) + "\"\n" +
         extra;
}

// The fields of one logfmt line: key=value, or key="value" with \" and \\ escapes.
std::map<std::string, std::string> logfmt_fields(const std::string& line) {
  std::map<std::string, std::string> fields;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    const std::size_t eq = line.find('=', i);
    if (eq == std::string::npos) break;
    const std::string key = line.substr(i, eq - i);
    std::string value;
    i = eq + 1;
    if (i < line.size() && line[i] == '"') {
      for (++i; i < line.size() && line[i] != '"'; ++i) {
        if (line[i] == '\\' && i + 1 < line.size()) ++i;
        value += line[i];
      }
      ++i;  // past the closing quote
    } else {
      const std::size_t end = std::min(line.find(' ', i), line.size());
      value = line.substr(i, end - i);
      i = end;
    }
    fields[key] = value;
  }
  return fields;
}

constexpr std::array<const char*, 4> kBackends = {"lsm", "fentry", "kprobe", "tracepoint"};
constexpr std::array<const char*, 3> kAutoOrder = {"fentry", "kprobe", "tracepoint"};

// Each hook attached with exactly one backend: the forced one, or under auto the one
// $SLE_EXPECT_BACKEND names (when set). The exporter's log says so too; under auto it also says
// where auto ended: every backend before the attached one (in the order fentry, kprobe,
// tracepoint) logged why it was not usable, and none after it was tried.
void expect_attached(const Samples& samples, const std::string& log) {
  const char* expect_env = std::getenv("SLE_EXPECT_BACKEND");
  const std::string expected = test_backend() != "auto" ? test_backend()
                               : expect_env             ? expect_env
                                                        : "";
  // From the log: hook -> backends it attached with; hook -> backend -> why it was not usable.
  std::map<std::string, std::vector<std::string>> attached_in_log;
  std::map<std::string, std::map<std::string, std::string>> not_usable;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    auto f = logfmt_fields(line);
    if (f["msg"] == "Attached hook") attached_in_log[f["hook"]].push_back(f["backend"]);
    if (f["msg"] == "Backend not usable for hook")
      not_usable[f["hook"]][f["backend"]] = f["reason"];
  }
  for (const std::string& hook : hook_names()) {
    std::vector<std::string> attached;
    for (const char* b : kBackends) {
      if (value(samples, "socket_lsm_exporter_hook_attached", {{"hook", hook}, {"backend", b}}) ==
          1)
        attached.emplace_back(b);
    }
    ASSERT_EQ(attached.size(), 1u) << hook;
    if (!expected.empty()) {
      EXPECT_EQ(attached[0], expected) << hook;
    }
    EXPECT_EQ(attached_in_log[hook], attached)
        << "hook " << hook << ": want exactly one msg=\"Attached hook\" hook=" << hook
        << " backend=" << attached[0] << " in the log:\n"
        << log;
    std::string tried;
    if (test_backend() == "auto") {
      std::map<std::string, std::string> want_failed;  // the backends before the attached one
      for (const char* b : kAutoOrder) {
        if (attached[0] == b) break;
        want_failed[b] = "";
      }
      std::map<std::string, std::string>& failed = not_usable[hook];
      for (const auto& [b, reason] : want_failed)
        EXPECT_TRUE(failed.count(b))
            << "hook " << hook << " attached with " << attached[0]
            << " but the log has no msg=\"Backend not usable for hook\" hook=" << hook
            << " backend=" << b << ":\n"
            << log;
      for (const auto& [b, reason] : failed)
        EXPECT_TRUE(want_failed.count(b))
            << "hook " << hook << " attached with " << attached[0] << ", yet " << b
            << " (not before it) was tried: " << reason;
      for (const char* b : kAutoOrder)
        if (failed.count(b)) tried += std::string(" ") + b + ": " + failed[b] + ";";
    }
    std::cout << "hook " << hook << " attached with " << attached[0]
              << (tried.empty() ? "" : " (not usable:" + tried + ")") << "\n";
  }
}

// The kernel features the exporter found for its direct reads (bpf/socket_read.bpf.h), printed so
// the VM suite's logs show which paths each kernel took; with $SLE_EXPECT_FEATURES set (the VM
// suite sets it per kernel), they must be exactly those: a kernel that should take a fast path
// does, and one that cannot takes the fallback.
void expect_kernel_features(const std::string& log) {
  std::istringstream lines(log);
  std::string probed, used;
  for (std::string line; std::getline(lines, line);) {
    auto f = logfmt_fields(line);
    if (f["msg"] == "Kernel features for direct reads") probed = f["probed"], used = f["used"];
  }
  std::cout << "kernel features: probed=" << probed << " used=" << used << "\n";
  EXPECT_FALSE(probed.empty()) << "no msg=\"Kernel features for direct reads\" in the log:\n"
                               << log;
  if (const char* expected = std::getenv("SLE_EXPECT_FEATURES")) {
    EXPECT_EQ(probed, expected) << "kernel features";
  }
}

// The cgroup resolver re-walks the tree on a miss, at most once per read interval (0s in these
// tests): scrape until the cgroup's path shows.
Samples scrape_until_cgroup_seen(std::uint16_t port, const std::string& cgroup) {
  Samples samples;
  for (int i = 0; i < 50; ++i) {
    samples = scrape(port);
    if (!series_of(samples, cgroup).empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return samples;
}

class ExporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: needs root to load BPF programs";
  }
};

TEST_F(ExporterTest, CountsEveryHookExactlyPerSeries) {
  const std::uint16_t port = free_listen_port();
  const std::string config = write_temp_file(config_yaml(port), ".yaml");
  ExporterProcess exporter(port, {"--config.file=" + config, "--bpf.backend=" + test_backend()});
  const TestCgroup cgroup;
  const Ports ports = find_free_ports();

  ASSERT_EQ(cgroup.run([&] { return run_workload(ports); }), "");
  const Samples samples = scrape_until_cgroup_seen(port, cgroup.path());

  // Under auto without an expectation (this host's integration.auto), the backend auto chose.
  std::string backend = expected_backend();
  if (backend.empty()) backend = attached_backend(samples);
  const Expected expected = expected_series(ports, outcome_under(backend));
  const Expected actual = series_of(samples, cgroup.path());
  EXPECT_EQ(actual, expected);
  for (const auto& [key, count] : expected) {
    const auto it = actual.find(key);
    EXPECT_TRUE(it != actual.end() && it->second == count)
        << key << " expected " << count << " got " << (it == actual.end() ? 0 : it->second);
  }
  for (const auto& [key, count] : actual)
    EXPECT_TRUE(expected.count(key)) << "unexpected series " << key << " = " << count;
  EXPECT_EQ(invariant_broken(samples), "");
  expect_attached(samples, exporter.log());
  expect_kernel_features(exporter.log());
  EXPECT_EQ(exporter.stop(), 0) << exporter.log();
}

// With the outcome and errno labels switched off, fentry and kprobe count at the hook's entry
// again (their programs fentry_ and kprobe_, no kretprobe); lsm still counts at the return. The
// counts are the same, without the label.
TEST_F(ExporterTest, CountsEveryHookAtTheEntryWithoutTheOutcomeLabels) {
  const std::uint16_t port = free_listen_port();
  std::string hooks = "hooks:\n";
  for (const Hook hook : all_hooks()) {
    hooks += "  " + std::string(hook.name()) + ":\n    labels: [";
    std::string sep;
    for (std::size_t l = 0; l < kLabelNames.size(); ++l) {
      const auto label = static_cast<sle_label>(l);
      if ((hook.spec().labels & label_bit(label)) && !(kOutcomeLabels & label_bit(label))) {
        hooks += sep + std::string(kLabelNames[l]);
        sep = ", ";
      }
    }
    hooks += "]\n";
  }
  const std::string config = write_temp_file(config_yaml(port, hooks), ".yaml");
  ExporterProcess exporter(port, {"--config.file=" + config, "--bpf.backend=" + test_backend()});
  const TestCgroup cgroup;
  const Ports ports = find_free_ports();
  ASSERT_EQ(cgroup.run([&] { return run_workload(ports); }), "");
  const Samples samples = scrape_until_cgroup_seen(port, cgroup.path());
  EXPECT_EQ(series_of(samples, cgroup.path()), expected_series(ports, ""));
  EXPECT_EQ(invariant_broken(samples), "");

  const std::string backend = attached_backend(samples);
  std::set<std::string> programs;
  for (const auto& [key, s] : samples) {
    if (s.name == "socket_lsm_exporter_bpf_recursion_misses_total")
      programs.insert(s.labels.at("program").substr(0, s.labels.at("program").find("_s")));
  }
  const std::map<std::string, std::set<std::string>> want = {
      {"lsm", {"fexit"}}, {"fentry", {"fentry"}}, {"kprobe", {"kprobe"}}, {"tracepoint", {"tp"}}};
  ASSERT_TRUE(want.count(backend)) << backend;
  EXPECT_EQ(programs, want.at(backend)) << backend;
  EXPECT_EQ(exporter.stop(), 0) << exporter.log();
}

TEST_F(ExporterTest, CountsOverflowWhenMapsAreFullAndKeepsTheInvariant) {
  const std::uint16_t port = free_listen_port();
  std::string hooks = "hooks:\n";
  for (const std::string& hook : hook_names())
    hooks += std::string("  ") + hook + ":\n    max_entries: 2\n";
  const std::string config = write_temp_file(config_yaml(port, hooks), ".yaml");
  ExporterProcess exporter(port, {"--config.file=" + config, "--bpf.backend=" + test_backend()});
  const TestCgroup cgroup;
  ASSERT_EQ(cgroup.run([&] { return run_workload(find_free_ports()); }), "");

  const Samples samples = scrape(port);
  for (const std::string& hook : hook_names()) {
    // The workload alone makes at least three distinct keys per hook.
    EXPECT_GT(value(samples, "socket_lsm_exporter_map_overflow_total", {{"hook", hook}}), 0)
        << hook;
    EXPECT_EQ(value(samples, "socket_lsm_exporter_map_capacity", {{"hook", hook}}), 2) << hook;
    EXPECT_EQ(value(samples, "socket_lsm_exporter_map_entries", {{"hook", hook}}), 2) << hook;
  }
  EXPECT_EQ(invariant_broken(samples), "");
  EXPECT_EQ(exporter.stop(), 0) << exporter.log();
}

// Two threads make 1,000,000 setsockopt calls each ($SLE_LOAD_CALLS to change) while /metrics is
// scraped without pause (read_interval 0: every scrape reads the maps): every scrape adds up
// exactly, and the cgroup's setsockopt series hold every call at the end.
TEST_F(ExporterTest, ExactUnderLoadWhileScrapedWithoutPause) {
  const char* env = std::getenv("SLE_LOAD_CALLS");
  const long per_thread = env ? std::atol(env) : 1000000;
  const std::uint16_t port = free_listen_port();
  const std::string config = write_temp_file(config_yaml(port), ".yaml");
  ExporterProcess exporter(port, {"--config.file=" + config, "--bpf.backend=" + test_backend()});
  const TestCgroup cgroup;

  InvariantWatch watch(port, std::chrono::milliseconds(0));
  const std::string failed = cgroup.run([per_thread] {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::string("socket failed");
    std::atomic<long> errors{0};
    const auto calls = [&] {
      const int one = 1;
      for (long i = 0; i < per_thread; ++i)
        if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) ++errors;
    };
    std::thread a(calls), b(calls);
    a.join();
    b.join();
    ::close(fd);
    return errors == 0 ? std::string() : std::to_string(errors.load()) + " setsockopt calls failed";
  });
  // A few scrapes after the last call, so that the final counts are read under scraping too.
  const int seen = watch.scrapes();
  while (watch.scrapes() < seen + 3) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  watch.stop();
  ASSERT_EQ(failed, "");

  const Samples samples = scrape_until_cgroup_seen(port, cgroup.path());
  double total = 0;
  for (const auto& [key, count] : series_of(samples, cgroup.path()))
    if (key.starts_with("socket_lsm_setsockopt_total{")) total += static_cast<double>(count);
  EXPECT_EQ(total, 2.0 * static_cast<double>(per_thread));
  EXPECT_EQ(watch.broken(), "");
  EXPECT_GT(watch.scrapes(), 3);
  std::cout << "under load: " << watch.scrapes() << " scrapes during " << 2 * per_thread
            << " setsockopt calls\n";
  EXPECT_EQ(invariant_broken(samples), "");
  EXPECT_EQ(exporter.stop(), 0) << exporter.log();
}

TEST_F(ExporterTest, PromtoolFindsNoProblemInAScrape) {
  const std::uint16_t port = free_listen_port();
  const std::string config = write_temp_file(config_yaml(port), ".yaml");
  ExporterProcess exporter(port, {"--config.file=" + config, "--bpf.backend=" + test_backend()});
  const TestCgroup cgroup;
  ASSERT_EQ(cgroup.run([&] { return run_workload(find_free_ports()); }), "");
  const auto r = http_get(port, "/metrics");
  ASSERT_TRUE(r && r->status == 200);
  EXPECT_EQ(r->content_type, "text/plain; version=0.0.4; charset=utf-8");
  const std::string file = write_temp_file(r->body, ".prom");
  const std::string out = file + ".out";
  const int rc = std::system(("promtool check metrics < " + file + " > " + out + " 2>&1").c_str());
  std::ifstream in(out);
  const std::string report((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(rc, 0) << report;
  EXPECT_EQ(report, "");
  EXPECT_EQ(exporter.stop(), 0) << exporter.log();
}

TEST_F(ExporterTest, ExportsBpfRunStatsWhenAskedTo) {
  const std::uint16_t port = free_listen_port();
  const std::string config = write_temp_file(config_yaml(port, "bpf:\n  stats: true\n"), ".yaml");
  ExporterProcess exporter(port, {"--config.file=" + config, "--bpf.backend=" + test_backend()});
  const TestCgroup cgroup;
  const Ports ports = find_free_ports();
  ASSERT_EQ(cgroup.run([&] { return run_workload(ports); }), "");
  const Samples samples = scrape(port);
  // Every program of every hook is listed; the hooks' runs are at least the workload's calls.
  std::map<std::string, double> runs, seconds;
  for (const auto& [key, s] : samples) {
    if (s.name == "socket_lsm_exporter_bpf_runs_total") runs[s.labels.at("hook")] += s.value;
    if (s.name == "socket_lsm_exporter_bpf_run_seconds_total")
      seconds[s.labels.at("hook")] += s.value;
  }
  std::map<std::string, std::uint64_t> workload_calls;
  for (const auto& [key, count] : expected_series(ports))
    workload_calls[key.substr(11, key.find("_total") - 11)] += count;  // socket_lsm_<hook>_total
  for (const std::string& hook : hook_names()) {
    EXPECT_GE(runs[hook], static_cast<double>(workload_calls[hook])) << hook;
    EXPECT_GT(seconds[hook], 0) << hook;
  }
  EXPECT_EQ(exporter.stop(), 0) << exporter.log();
}

// A backend that auto found unusable, forced: the exporter stops with exit 1 and the same reason.
TEST_F(ExporterTest, ForcedBackendThatCannotAttachExitsOneWithTheReason) {
  const std::uint16_t port = free_listen_port();
  const std::string config = write_temp_file(config_yaml(port), ".yaml");
  std::string failed_backend, reason;
  {
    ExporterProcess exporter(port, {"--config.file=" + config, "--bpf.backend=auto"});
    EXPECT_EQ(exporter.stop(), 0) << exporter.log();
    std::istringstream lines(exporter.log());
    for (std::string line; failed_backend.empty() && std::getline(lines, line);) {
      auto f = logfmt_fields(line);
      if (f["msg"] == "Backend not usable for hook" && f["hook"] == "create") {
        failed_backend = f["backend"];
        reason = f["reason"];
      }
    }
  }
  if (failed_backend.empty())
    GTEST_SKIP() << "SKIPPED: every backend works on this kernel, none can be forced to fail";
  // timeout: an exporter that starts after all must fail the test, not hang it.
  const CommandOutput out =
      run_command("timeout 120 " + exporter_path() + " --config.file=" + config +
                  " --bpf.backend=" + failed_backend);
  EXPECT_EQ(out.code, 1) << out.text;
  EXPECT_NE(out.text.find("level=error msg=\"Cannot start\" err=\"cannot attach hook create (" +
                          failed_backend + ": "),
            std::string::npos)
      << out.text;
  EXPECT_NE(out.text.find(reason), std::string::npos) << "reason \"" << reason << "\" in:\n"
                                                      << out.text;
  EXPECT_FALSE(http_get(port, "/metrics")) << "nothing may be left serving";
}

TEST_F(ExporterTest, ServesALandingPageAnd404) {
  const std::uint16_t port = free_listen_port();
  const std::string config = write_temp_file(config_yaml(port), ".yaml");
  ExporterProcess exporter(port, {"--config.file=" + config, "--bpf.backend=" + test_backend()});
  const auto root = http_get(port, "/");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->status, 200);
  EXPECT_NE(root->body.find("<a href=\"/metrics\">Metrics</a>"), std::string::npos) << root->body;
  const auto missing = http_get(port, "/nothing-here");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(exporter.stop(), 0) << exporter.log();
}

class StopSignalTest : public ExporterTest, public ::testing::WithParamInterface<int> {};

TEST_P(StopSignalTest, DetachesEveryProgramAndExitsZero) {
  std::set<std::uint32_t> before;
  for (const LoadedProgram& p : loaded_programs()) before.insert(p.id);
  const std::uint16_t port = free_listen_port();
  const std::string config = write_temp_file(config_yaml(port), ".yaml");
  ExporterProcess exporter(port, {"--config.file=" + config, "--bpf.backend=" + test_backend()});
  // The exporter's programs: loaded since `before` and held by its process (through a program or
  // link fd), so whatever else loads or unloads programs meanwhile does not count.
  const std::set<std::uint32_t> held = program_ids_held_by(exporter.pid());
  std::map<std::uint32_t, std::string> ours;  // id -> name
  for (const LoadedProgram& p : loaded_programs())
    if (!before.count(p.id) && held.count(p.id)) ours[p.id] = p.name;
  EXPECT_GE(ours.size(), hook_names().size()) << "at least one program per hook";
  EXPECT_EQ(exporter.stop(GetParam()), 0) << exporter.log();
  // Program release is asynchronous (RCU): give the kernel up to 5 s.
  const auto left = [&ours] {
    std::string names;
    for (const LoadedProgram& p : loaded_programs())
      // Appended piece by piece: `" " + std::to_string(...)` makes GCC 12 at -O3 warn about an
      // overlapping memcpy in the string's insert (-Wrestrict, a false positive: GCC PR 105651).
      if (ours.count(p.id))
        names.append(" ").append(std::to_string(p.id)).append(":").append(p.name);
    return names;
  };
  std::string still_loaded = left();
  for (int i = 0; i < 50 && !still_loaded.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    still_loaded = left();
  }
  EXPECT_EQ(still_loaded, "") << "the exporter's programs still loaded after it stopped";
}

INSTANTIATE_TEST_SUITE_P(SigtermAndSigint, StopSignalTest, ::testing::Values(SIGTERM, SIGINT));

}  // namespace
}  // namespace sle::test
