#include "loader/bpf_stats.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <fstream>

#include "common/error.h"

namespace sle {

StatsEnabler::StatsEnabler() : fd_(bpf_enable_stats(BPF_STATS_RUN_TIME)) {
  if (!fd_) throw SystemError("enabling BPF run-time stats (BPF_ENABLE_STATS)", errno);
}

bool bpf_stats_sysctl_enabled() {
  std::ifstream in("/proc/sys/kernel/bpf_stats_enabled");
  int v = 0;
  return (in >> v) && v != 0;
}

std::vector<prometheus::MetricFamily> bpf_stats_families(const HookSet& hooks, bool run_time) {
  using prometheus::MetricType;
  prometheus::MetricFamily seconds{
      "socket_lsm_exporter_bpf_run_seconds_total",
      "Time the kernel spent running the program (needs BPF stats on).",
      MetricType::Counter,
      {}};
  prometheus::MetricFamily runs{"socket_lsm_exporter_bpf_runs_total",
                                "Runs of the program (needs BPF stats on).",
                                MetricType::Counter,
                                {}};
  prometheus::MetricFamily misses{
      "socket_lsm_exporter_bpf_recursion_misses_total",
      "Hook calls the kernel did not run the program for, because a program was already running "
      "on that CPU (kernels 5.12+ count them); they are in no count, the calls total included.",
      MetricType::Counter,
      {}};
  prometheus::MetricFamily lost{
      "socket_lsm_exporter_lost_verdicts_total",
      "Calls counted with outcome unknown although the backend sees the verdict: the kprobe "
      "backend missed their return (more threads in the hook than the kretprobe's instances) or "
      "had no room to stash them.",
      MetricType::Counter,
      {}};
  for (const Hook hook : all_hooks()) {
    const HookObject* object = hooks.object(hook);
    if (!object) continue;
    prometheus::ClientMetric l;
    l.label = {{"backend", std::string(backend_name(object->backend()))},
               {"hook", std::string(hook.name())}};
    l.counter.value = static_cast<double>(object->lost_verdicts());
    lost.metric.push_back(std::move(l));
    for (const auto& program : object->programs()) {
      bpf_prog_info info{};
      __u32 len = sizeof info;
      if (bpf_obj_get_info_by_fd(program.fd, &info, &len) != 0) continue;
      const std::vector<prometheus::ClientMetric::Label> labels = {
          {"backend", std::string(backend_name(object->backend()))},
          {"hook", std::string(hook.name())},
          {"program", program.name}};
      prometheus::ClientMetric m;
      m.label = labels;
      m.counter.value = static_cast<double>(info.run_time_ns) / 1e9;
      seconds.metric.push_back(m);
      m.counter.value = static_cast<double>(info.run_cnt);
      runs.metric.push_back(m);
      m.counter.value = static_cast<double>(info.recursion_misses);
      misses.metric.push_back(m);
    }
  }
  if (!run_time) return {std::move(misses), std::move(lost)};
  return {std::move(seconds), std::move(runs), std::move(misses), std::move(lost)};
}

}  // namespace sle
