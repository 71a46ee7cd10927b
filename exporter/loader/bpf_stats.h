// The kernel's statistics of each attached program (bpf_prog_info): recursion_misses, the runs
// the kernel skipped because a program was already running on that CPU (fentry and fexit 5.12+,
// kprobe and tracepoint programs; such a call is in no count, the calls total included), kept
// always (5.12+); run_time_ns and run_cnt, kept only while kernel.bpf_stats_enabled is 1 or
// someone holds a BPF_ENABLE_STATS fd: StatsEnabler is that fd.
#pragma once

#include <prometheus/metric_family.h>

#include <vector>

#include "common/unique_fd.h"
#include "loader/hook_set.h"

namespace sle {

class StatsEnabler {
 public:
  // Throws SystemError when the kernel refuses (before 5.8 there is no BPF_ENABLE_STATS).
  StatsEnabler();

 private:
  UniqueFd fd_;
};

// Whether kernel.bpf_stats_enabled is set. A held BPF_ENABLE_STATS fd (ours or anyone's) turns
// collection on without changing the sysctl, so this says nothing about enablers.
bool bpf_stats_sysctl_enabled();

// socket_lsm_exporter_bpf_recursion_misses_total{hook,backend,program} and
// socket_lsm_exporter_lost_verdicts_total{hook,backend}, and with run_time,
// socket_lsm_exporter_bpf_{run_seconds,runs}_total.
std::vector<prometheus::MetricFamily> bpf_stats_families(const HookSet& hooks, bool run_time);

}  // namespace sle
