// The cgroups the exporter knows, from birth to expiry (docs/lifecycle.md). A cgroup is named
// when it is made, from the kernel's events (a CgroupEventSource), so that one living a
// millisecond still gets its path, pod_uid and container_id; cgroups that exist at start are
// walked once. Without an event source, each refresh walks the tree instead. A cgroup's death
// (rmdir, or missing from a walk) is recorded with its time: after the grace period the reader
// removes its series (expired()) and then forgets it, so what is kept is bounded by the live
// cgroups and those in grace, never by all the cgroups ever seen.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cgroups/cgroup_events.h"
#include "cgroups/cgroup_path.h"
#include "cgroups/workload_names.h"
#include "common/unique_fd.h"

namespace sle {

class CgroupTracker {
 public:
  using Clock = std::chrono::steady_clock;

  struct Info {
    std::string path;  // relative to the cgroup2 hierarchy's root; kUnknownPath if never named
    CgroupIdentity identity;                      // from the path
    WorkloadNames names;                          // from the runtime's config.json, if any
    std::optional<Clock::time_point> dead_since;  // when it was seen gone
  };
  static constexpr std::string_view kUnknownPath = "unknown";

  // mount_point: where cgroup2 is mounted here; hierarchy_root: what of the hierarchy it shows
  // (mountinfo's root field, "/" unless the mount is of a subtree), prepended to walked paths so
  // they read like the kernel's. Walks the tree once, after the source is set up, so no cgroup
  // made meanwhile is missed. start() then starts a thread of its own that applies the source's
  // events as they come, so that a burst cannot overflow the kernel's buffer between two reads
  // (without it, refresh() takes them all at each read). runtime_dirs:
  // where the container runtimes keep their containers' config.json (cgroups/workload_names.h).
  // Throws SystemError.
  CgroupTracker(std::string mount_point, std::string hierarchy_root,
                std::unique_ptr<CgroupEventSource> source,
                std::vector<std::string> runtime_dirs = {});
  ~CgroupTracker();
  CgroupTracker(const CgroupTracker&) = delete;
  CgroupTracker& operator=(const CgroupTracker&) = delete;

  // Starts applying events as they come (with a source). Throws SystemError.
  void start();

  // "tracepoint", "fanotify", or "walk" without a source.
  std::string_view method() const;

  // Makes known what happened until now: the waiting events, or, without a source (or after the
  // source lost events), a walk of the tree, which also finds the cgroups gone since the last.
  void refresh(Clock::time_point now);

  // What is known of a cgroup id. One never heard of is looked for by a walk (at most one per
  // refresh) and, when not found, recorded with the path "unknown" as dead from now: it was made
  // before the exporter watched, and removed before it walked.
  Info info(std::uint64_t id, Clock::time_point now);

  // The ids dead for at least `grace`.
  std::vector<std::uint64_t> expired(Clock::time_point now, Clock::duration grace) const;
  // Drops the ids: after their series expired, nothing is kept of them.
  void forget(std::span<const std::uint64_t> ids);

  struct Counts {
    std::size_t live = 0;
    std::size_t dead = 0;
  };
  Counts counts() const;

  // Every known cgroup (to keep them across a restart), and putting such a list back: entries
  // not known here are added as they were, dead ones keeping their state.
  std::vector<std::pair<std::uint64_t, Info>> known() const;
  void restore(std::span<const std::pair<std::uint64_t, Info>> cgroups, Clock::time_point now);

 private:
  void apply(const CgroupEvent& event, Clock::time_point now);  // requires mu_
  void born(std::uint64_t id, const std::string& path);         // requires mu_
  void walk(Clock::time_point now);                             // requires mu_
  // A walk in two parts: reading the tree (no lock needed), then what it found applied; with
  // missing_are_gone, the known cgroups it did not find are marked dead.
  std::vector<std::pair<std::uint64_t, std::string>> walk_tree() const;
  void apply_walk(std::span<const std::pair<std::uint64_t, std::string>> found,
                  Clock::time_point now, bool missing_are_gone);  // requires mu_
  void drain(Clock::time_point now);                              // requires mu_
  void run();                                                     // the events thread
  std::string mount_relative(const std::string& path) const;

  const std::string mount_point_;
  const std::string hierarchy_root_;
  const std::unique_ptr<CgroupEventSource> source_;
  const std::vector<std::string> runtime_dirs_;
  mutable std::mutex mu_;
  std::unordered_map<std::uint64_t, Info> cgroups_;
  bool walked_this_refresh_ = false;
  UniqueFd stop_fd_;  // an eventfd that ends the events thread
  std::thread thread_;
};

}  // namespace sle
