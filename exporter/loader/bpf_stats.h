// Self-overhead: the kernel's run-time statistics of each attached program (bpf_prog_info's
// run_time_ns, run_cnt, recursion_misses). The kernel collects them only while
// kernel.bpf_stats_enabled is 1 or someone holds a BPF_ENABLE_STATS fd: StatsEnabler is that fd.
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

// socket_lsm_exporter_bpf_{run_seconds,runs,recursion_misses}_total{hook,backend,program}.
std::vector<prometheus::MetricFamily> bpf_stats_families(const HookSet& hooks);

}  // namespace sle
