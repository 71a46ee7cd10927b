// Waiting until no BPF program that was running still runs: an RCU grace period, as the kernel
// gives one to user space. An update of an ARRAY_OF_MAPS map returns only once every
// non-sleepable BPF program that could see the old value has returned (maybe_wait_bpf_programs
// in kernel/bpf/syscall.c, 4.20+; the kernel's own tests wait for programs this way), and every
// program of ours is non-sleepable. membarrier(MEMBARRIER_CMD_GLOBAL), used before, skips the
// grace period when one CPU is online, where a preempted trampoline program can still be
// running, and is refused on nohz_full kernels.
#pragma once

#include "common/unique_fd.h"

namespace sle {

class ProgramBarrier {
 public:
  // Makes the two small maps it needs (CAP_BPF). Throws SystemError.
  ProgramBarrier();
  // Returns once every BPF program that was running when it was called has returned. Throws
  // SystemError. On kernels before 5.19 the calling thread needs CAP_BPF effective
  // (capabilities::enable_bpf_for_this_thread()).
  void wait() const;

 private:
  UniqueFd inner_;
  UniqueFd outer_;
};

}  // namespace sle
