#include "common/capabilities.h"

#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/utsname.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "common/error.h"
#include "common/logging.h"

namespace sle::capabilities {
namespace {

std::atomic<bool> g_bpf_kept{false};

// What the bpf() syscall checks for: CAP_BPF, or CAP_SYS_ADMIN on kernels before 5.8.
cap_value_t bpf_capability() { return CAP_IS_SUPPORTED(CAP_BPF) ? CAP_BPF : CAP_SYS_ADMIN; }

struct CapFree {
  void operator()(cap_t caps) const { cap_free(caps); }
};
using Caps = std::unique_ptr<std::remove_pointer_t<cap_t>, CapFree>;

}  // namespace

bool map_reads_need_cap_bpf() {
  utsname u{};
  if (::uname(&u) != 0) return true;
  int major = 0, minor = 0;
  if (std::sscanf(u.release, "%d.%d", &major, &minor) != 2) return true;
  return major < 5 || (major == 5 && minor < 19);
}

void drop_all(bool keep_bpf) {
  // The bounding set first, while CAP_SETPCAP is still there (a container that was not given it
  // has a bounding set of only what it was given anyway).
  for (cap_value_t cap = 0; cap <= CAP_LAST_CAP; ++cap) {
    if (CAP_IS_SUPPORTED(cap) && cap_drop_bound(cap) != 0 && errno != EINVAL) {
      log::debug("Bounding set left as it is", {{"err", errno_text(errno)}});
      break;
    }
  }
  if (cap_reset_ambient() != 0 && errno != EINVAL)
    throw SystemError("clearing the ambient capabilities", errno);
  const Caps caps(cap_init());  // every set empty
  if (!caps) throw SystemError("cap_init", errno);
  if (keep_bpf) {
    const cap_value_t bpf[] = {bpf_capability()};
    cap_set_flag(caps.get(), CAP_PERMITTED, 1, bpf, CAP_SET);
  }
  if (cap_set_proc(caps.get()) != 0) throw SystemError("dropping the capabilities", errno);
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    throw SystemError("setting no_new_privs", errno);
  g_bpf_kept = keep_bpf;
}

void enable_bpf_for_this_thread() {
  if (!g_bpf_kept) return;
  const Caps caps(cap_get_proc());
  if (!caps) return;
  const cap_value_t bpf[] = {bpf_capability()};
  cap_set_flag(caps.get(), CAP_EFFECTIVE, 1, bpf, CAP_SET);
  if (cap_set_proc(caps.get()) != 0)
    log::warn("Raising CAP_BPF to read the maps failed", {{"err", errno_text(errno)}});
}

}  // namespace sle::capabilities
