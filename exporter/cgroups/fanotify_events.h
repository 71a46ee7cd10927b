// Cgroups made and removed, heard through fanotify on the cgroup2 mount (FAN_MARK_FILESYSTEM,
// directory events with the parent's id and the name, and the removed cgroup's own id). The
// fallback where the cgroup tracepoints cannot be used; needs a kernel whose cgroupfs supports
// fanotify's file ids (seen working on 6.18; not on 6.1) and CAP_SYS_ADMIN to set it up.
#pragma once

#include <string>

#include "cgroups/cgroup_events.h"
#include "common/unique_fd.h"

namespace sle {

class FanotifyEvents final : public CgroupEventSource {
 public:
  // mount_point: where cgroup2 is mounted. Throws SystemError when fanotify cannot watch it.
  explicit FanotifyEvents(const std::string& mount_point);

  std::string_view method() const override { return "fanotify"; }
  int wait_fd() const override { return fd_.get(); }
  void drain(const std::function<void(const CgroupEvent&)>& on_event) override;
  bool lost_events() override;

 private:
  UniqueFd fd_;
  bool overflowed_ = false;
};

}  // namespace sle
