// Where the exporter hears of cgroups being made and removed, as it happens: the kernel's
// cgroup_mkdir/cgroup_rmdir tracepoints (loader/cgroup_tracepoint.h) or fanotify on the cgroup2
// mount (cgroups/fanotify_events.h). CgroupTracker takes either, or walks the tree without one.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace sle {

struct CgroupEvent {
  enum class Kind { born, died };
  Kind kind = Kind::born;
  std::uint64_t id = 0;         // 0: not known yet (the tracker finds it from the path)
  std::string path;             // relative to the cgroup2 hierarchy's root: "/a/b"; or empty, and:
  std::uint64_t parent_id = 0;  // the parent cgroup, whose path the tracker knows,
  std::string name;             // and the name under it
};

class CgroupEventSource {
 public:
  virtual ~CgroupEventSource() = default;
  // "tracepoint" or "fanotify", for the log and /metrics.
  virtual std::string_view method() const = 0;
  // A descriptor that becomes readable when events wait, for poll(2).
  virtual int wait_fd() const = 0;
  // Delivers every event that waits, in order. Throws SystemError.
  virtual void drain(const std::function<void(const CgroupEvent&)>& on_event) = 0;
  // Whether events were lost since the last call (a full buffer): the tracker then walks the tree.
  virtual bool lost_events() = 0;
};

}  // namespace sle
