// Serving /metrics to slow, hostile and many clients, with the real binary (docs/metrics.md,
// "Serving /metrics" and "Security"): slow clients from one address cannot keep another address's
// scrape waiting, thousands of them leave the exporter up with its descriptors bounded, oversized
// and malformed requests get a 4xx, idle connections are closed, 64 concurrent scrapers get every
// answer, and every thread runs with no capability while the counts stay exact. Needs root.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "common/unique_fd.h"
#include "harness.h"
#include "scrape.h"
#include "workload.h"

namespace sle::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string config_yaml(std::uint16_t port) {
  return "read_interval: 1s\nweb:\n  listen_address: \"127.0.0.1:" + std::to_string(port) + "\"\n";
}

// A TCP connection from `from` (a loopback address) to the exporter; invalid when refused.
UniqueFd connect_from(const char* from, std::uint16_t port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in local{};
  local.sin_family = AF_INET;
  ::inet_pton(AF_INET, from, &local.sin_addr);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) return {};
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(port);
  remote.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&remote), sizeof remote) != 0)
    return {};
  return fd;
}

bool send_all(int fd, const std::string& data) {
  return ::send(fd, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
}

// What the server sends back within `timeout` (until it closes, or the timeout).
std::string receive(int fd, std::chrono::milliseconds timeout) {
  std::string out;
  const auto deadline = Clock::now() + timeout;
  char buf[65536];
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (::poll(&p, 1, static_cast<int>(std::max<long>(left, 1))) <= 0) break;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

// The status of a raw request's answer; 0 when none came (closed, or nothing in time).
int status_of(std::uint16_t port, const std::string& raw) {
  const UniqueFd fd = connect_from("127.0.0.1", port);
  if (!fd || !send_all(fd.get(), raw)) return 0;
  const std::string answer = receive(fd.get(), 5s);
  if (!answer.starts_with("HTTP/1.")) return 0;
  return std::atoi(answer.substr(9, 3).c_str());
}

// How long a scrape from 127.0.0.1 takes; a failed one counts as forever.
std::chrono::milliseconds timed_scrape(std::uint16_t port) {
  const auto start = Clock::now();
  const auto r = http_get(port, "/metrics");
  if (!r || r->status != 200) return std::chrono::hours(1);
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

int open_fds(pid_t pid) {
  int n = 0;
  for ([[maybe_unused]] const auto& e :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd"))
    ++n;
  return n;
}

class ServingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: needs root to load BPF programs";
    // Thousands of client sockets in this process.
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
  void start() {
    port_ = free_listen_port();
    config_ = write_temp_file(config_yaml(port_), ".yaml");
    exporter_ = std::make_unique<ExporterProcess>(
        port_,
        std::vector<std::string>{"--config.file=" + config_, "--bpf.backend=" + test_backend()});
  }
  void TearDown() override {
    if (exporter_) {
      EXPECT_EQ(exporter_->stop(), 0) << exporter_->log();
    }
  }

  // Slow clients from 127.0.0.2: each sends part of a request line, then a byte a second.
  std::vector<UniqueFd> slow_clients(int n) {
    std::vector<UniqueFd> out;
    for (int i = 0; i < n; ++i) {
      UniqueFd fd = connect_from("127.0.0.2", port_);
      if (fd && send_all(fd.get(), "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")) {
        out.push_back(std::move(fd));
      }
    }
    return out;
  }
  static void drip(std::vector<UniqueFd>& clients) {
    for (auto& fd : clients)
      if (fd && !send_all(fd.get(), "a")) fd.reset();  // closed by the server: fine
  }

  std::uint16_t port_ = 0;
  std::string config_;
  std::unique_ptr<ExporterProcess> exporter_;
};

TEST_F(ServingTest, TwoHundredSlowClientsDoNotHoldUpAScrapeFromElsewhere) {
  start();
  std::vector<UniqueFd> slow = slow_clients(200);
  std::cout << "serving: " << slow.size() << " slow connections opened from 127.0.0.2\n";
  std::vector<long> times;
  for (int second = 0; second < 5; ++second) {
    drip(slow);
    times.push_back(timed_scrape(port_).count());
    std::this_thread::sleep_for(1s);
  }
  for (const long ms : times) EXPECT_LT(ms, 1000) << "a scrape took " << ms << " ms";
  std::cout << "serving: scrapes from 127.0.0.1 took";
  for (const long ms : times) std::cout << " " << ms << " ms";
  std::cout << "\n";
}

TEST_F(ServingTest, TwoThousandSlowClientsLeaveItUpWithItsDescriptorsBounded) {
  start();
  const int before = open_fds(exporter_->pid());
  std::vector<UniqueFd> slow = slow_clients(2000);
  drip(slow);
  std::this_thread::sleep_for(500ms);
  const int during = open_fds(exporter_->pid());
  std::cout << "serving: 2000 slow connections tried, exporter fds " << before << " -> " << during
            << "\n";
  EXPECT_LE(during, before + 130) << "one address holds at most 128 connections";
  EXPECT_LT(timed_scrape(port_).count(), 1000);
  ASSERT_TRUE(::kill(exporter_->pid(), 0) == 0);
}

TEST_F(ServingTest, OversizedAndMalformedRequestsGetA4xxAndHarmNothing) {
  start();
  const std::string big(20000, 'a');
  EXPECT_EQ(status_of(port_, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\n\r\n"),
            431);
  const int long_line = status_of(port_, "GET /" + big + " HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(long_line == 414 || long_line == 431 || long_line == 400) << long_line;
  const std::vector<std::string> malformed = {
      "GARBAGE\r\n\r\n",
      "GET /metrics\r\n\r\n",
      "GET /metrics HTTP/1.1\r\n\r\n",  // no Host
      "GET /metrics HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
      std::string("GET /met") + '\0' + "rics HTTP/1.1\r\nHost: x\r\n\r\n",
      "\r\n\r\n\r\n",
      std::string(1000, '\xff') + "\r\n\r\n",
  };
  for (const auto& raw : malformed) {
    const int status = status_of(port_, raw);
    EXPECT_TRUE(status == 0 || (status >= 400 && status < 500))
        << "answered " << status << " to " << raw.substr(0, 40);
  }
  // Well formed but of a version it does not speak: 505, as RFC 9110 has it.
  EXPECT_EQ(status_of(port_, "GET /metrics HTTP/9.9\r\nHost: x\r\n\r\n"), 505);
  EXPECT_LT(timed_scrape(port_).count(), 1000);
}

TEST_F(ServingTest, IdleKeepAliveConnectionsAreClosed) {
  start();
  const UniqueFd fd = connect_from("127.0.0.1", port_);
  ASSERT_TRUE(fd);
  ASSERT_TRUE(send_all(fd.get(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  // The whole answer, and not more: the connection stays open for the next request.
  std::string first;
  while (first.find("ok\n") == std::string::npos) {
    const std::string more = receive(fd.get(), 100ms);
    if (more.empty()) break;
    first += more;
  }
  EXPECT_TRUE(first.starts_with("HTTP/1.1 200")) << first;
  EXPECT_EQ(first.find("Connection: close"), std::string::npos) << first;
  // Kept alive, then idle: the server closes it (recv returns 0) after its idle timeout.
  const auto start_wait = Clock::now();
  char c = 0;
  pollfd p{fd.get(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 20000), 1) << "still open after 20 s";
  EXPECT_EQ(::recv(fd.get(), &c, 1, 0), 0);
  const auto waited = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - start_wait);
  EXPECT_GE(waited.count(), 9);
  std::cout << "serving: an idle connection was closed after " << waited.count() << " s\n";
}

TEST_F(ServingTest, SixtyFourConcurrentScrapersGetEveryAnswer) {
  start();
  constexpr int kScrapers = 64, kRequests = 10000;
  std::atomic<int> next{0}, errors{0};
  std::vector<std::thread> scrapers;
  const auto started = Clock::now();
  for (int t = 0; t < kScrapers; ++t)
    scrapers.emplace_back([&] {
      while (next++ < kRequests) {
        const auto r = http_get(port_, "/metrics");
        if (!r || r->status != 200 ||
            r->body.find("socket_lsm_hook_calls_total") == std::string::npos)
          ++errors;
      }
    });
  for (auto& s : scrapers) s.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::cout << "serving: " << kRequests << " requests from " << kScrapers << " scrapers in "
            << seconds << " s, " << errors << " errors\n";
  EXPECT_EQ(errors, 0);
}

TEST_F(ServingTest, EveryThreadRunsWithoutCapabilitiesAndTheCountsAreExact) {
  start();
  std::vector<std::string> threads;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(exporter_->pid()) + "/task")) {
    std::ifstream status(task.path() / "status");
    std::string name, cap_eff;
    for (std::string line; std::getline(status, line);) {
      if (line.starts_with("Name:")) name = line.substr(6);
      if (line.starts_with("CapEff:")) cap_eff = line.substr(8);
    }
    threads.push_back(name);
    EXPECT_EQ(cap_eff, "0000000000000000") << "thread " << task.path().filename() << " " << name;
  }
  std::cout << "serving: " << threads.size() << " threads, each with CapEff 0\n";
  EXPECT_GE(threads.size(), 3u);  // main, the cgroup events, the reader, the HTTP threads

  // And the counts are still exact (read_interval 1s: wait for a read).
  const TestCgroup cgroup;
  const Ports ports = find_free_ports();
  ASSERT_EQ(cgroup.run([&] { return run_workload(ports); }), "");
  const Expected want = expected_series(ports);
  Expected got;
  for (int i = 0; i < 30 && got != want; ++i) {
    std::this_thread::sleep_for(200ms);
    got.clear();
    const auto r = http_get(port_, "/metrics");
    ASSERT_TRUE(r && r->status == 200);
    for (const auto& [key, s] : parse_exposition(r->body)) {
      const auto it = s.labels.find("cgroup");
      if (it == s.labels.end() || it->second != cgroup.path()) continue;
      auto labels = s.labels;
      labels.erase("cgroup");
      got[series_key(s.name, labels)] = static_cast<std::uint64_t>(s.value);
    }
  }
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace sle::test
