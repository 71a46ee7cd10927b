// What a hook costs the process that makes the socket call: the same loop of system calls timed
// with the exporter's programs detached (A) and attached (B), alternating A/B/A/B, medians, and
// the ratio B/A. Then, with BPF stats on, the kernel's own figure: run time per program run.
//
//   sudo ./build/hook_overhead_bench [--backend=auto] [--rounds=7] [--ops=200000]
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "common/logging.h"
#include "common/unique_fd.h"
#include "config/config.h"
#include "loader/bpf_stats.h"
#include "loader/hook_set.h"

namespace {

struct Op {
  const char* hook;
  const char* what;
  std::function<void(int n)> run;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double ns_per_op(const Op& op, int n) {
  const auto start = std::chrono::steady_clock::now();
  op.run(n);
  const std::chrono::duration<double, std::nano> d = std::chrono::steady_clock::now() - start;
  return d.count() / n;
}

std::string arg(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]).rfind("--" + name + "=", 0) == 0)
      return std::string(argv[i]).substr(name.size() + 3);
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  sle::Config config = sle::default_config();
  config.backend = sle::backend_from_name(arg(argc, argv, "backend", "auto"));  // auto: nullopt
  const int rounds = std::stoi(arg(argc, argv, "rounds", "7"));
  const int ops = std::stoi(arg(argc, argv, "ops", "200000"));
  sle::log::setup(sle::log::Level::warn, sle::log::Format::logfmt);

  const sle::UniqueFd udp(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in discard{};
  discard.sin_family = AF_INET;
  discard.sin_port = htons(9);
  discard.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::vector<Op> op_list = {
      {"setsockopt", "setsockopt(SO_REUSEADDR)",
       [&](int n) {
         const int one = 1;
         for (int i = 0; i < n; ++i)
           ::setsockopt(udp.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
       }},
      {"create", "socket(AF_INET, SOCK_DGRAM)+close",
       [](int n) {
         for (int i = 0; i < n; ++i) ::close(::socket(AF_INET, SOCK_DGRAM, 0));
       }},
      {"connect", "connect(udp, 127.0.0.1:9)",
       [&](int n) {
         for (int i = 0; i < n; ++i)
           ::connect(udp.get(), reinterpret_cast<const sockaddr*>(&discard), sizeof discard);
       }},
  };

  std::printf(
      "hook overhead: %d rounds A/B/C of %d calls, medians (A detached, B attached, C attached "
      "with BPF stats on)\n",
      rounds, ops);
  // A: detached; B: attached; C: attached with BPF stats on (what bpf.stats costs).
  std::vector<std::vector<double>> a(op_list.size()), b(op_list.size()), c(op_list.size());
  std::string backend;
  for (int r = 0; r < rounds; ++r) {
    for (std::size_t i = 0; i < op_list.size(); ++i) a[i].push_back(ns_per_op(op_list[i], ops));
    const sle::HookSet hooks = sle::HookSet::attach(config);
    backend = sle::backend_name(hooks.object(sle::hook_named("create"))->backend());
    for (std::size_t i = 0; i < op_list.size(); ++i) b[i].push_back(ns_per_op(op_list[i], ops));
    const sle::StatsEnabler stats;
    for (std::size_t i = 0; i < op_list.size(); ++i) c[i].push_back(ns_per_op(op_list[i], ops));
  }
  std::printf("backend: %s\n", backend.c_str());
  std::printf("%-36s %10s %10s %10s %7s %10s %10s\n", "call", "A ns/call", "B ns/call", "B-A ns",
              "B/A", "C ns/call", "C-B ns");
  for (std::size_t i = 0; i < op_list.size(); ++i) {
    const double ma = median(a[i]), mb = median(b[i]), mc = median(c[i]);
    std::printf("%-36s %10.1f %10.1f %10.1f %7.3f %10.1f %10.1f\n", op_list[i].what, ma, mb,
                mb - ma, mb / ma, mc, mc - mb);
  }

  // The kernel's own figure: run time per program run, with stats on for one more round.
  const sle::HookSet hooks = sle::HookSet::attach(config);
  const sle::StatsEnabler stats;
  for (const Op& op : op_list) op.run(ops);
  std::printf("\nBPF stats (kernel run time per program run):\n");
  for (const auto& family : sle::bpf_stats_families(hooks)) {
    if (family.name != "socket_lsm_exporter_bpf_run_seconds_total") continue;
    const auto& runs = sle::bpf_stats_families(hooks)[1];
    for (std::size_t i = 0; i < family.metric.size(); ++i) {
      const double n = runs.metric[i].counter.value;
      if (n == 0) continue;
      std::printf("  %-28s %10.0f runs %8.1f ns/run\n", family.metric[i].label[2].value.c_str(), n,
                  family.metric[i].counter.value * 1e9 / n);
    }
  }
  return 0;
}
