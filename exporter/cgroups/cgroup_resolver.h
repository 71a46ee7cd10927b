// Maps the cgroup ids the BPF programs record (bpf_get_current_cgroup_id) to cgroup v2 paths for
// the cgroup label.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace sle {

// A cgroup id is its kernfs node id, which on 64-bit kernels is the inode number of its directory
// under the cgroup2 mount; the resolver walks the tree and remembers st_ino -> path.
//
// Paths stay cached after their cgroup is removed, so a counter's labels do not change when its
// pod goes away. Thread-safe (one mutex), though today only the map reader's thread calls it.
class CgroupResolver {
 public:
  // root: the cgroup2 mount point. A lookup miss re-walks the tree, at most once per
  // min_rewalk_interval, so ids that never resolve (a cgroup already gone) cannot cause a walk
  // per lookup. Throws SystemError when root is not a directory.
  CgroupResolver(std::string root, std::chrono::steady_clock::duration min_rewalk_interval);
  virtual ~CgroupResolver() = default;

  // The path relative to root: "/" for the root cgroup, else "/a/b". nullopt when unknown.
  std::optional<std::string> path(std::uint64_t cgroup_id);

  CgroupResolver(const CgroupResolver&) = delete;
  CgroupResolver& operator=(const CgroupResolver&) = delete;

 protected:
  // Walks the tree, recording every directory (virtual so tests can count the walks). Called
  // with mu_ held.
  virtual void walk();

 private:
  const std::string root_;
  const std::chrono::steady_clock::duration min_rewalk_interval_;

  mutable std::mutex mu_;
  std::unordered_map<std::uint64_t, std::string> paths_;
  std::optional<std::chrono::steady_clock::time_point> last_walk_;
};

}  // namespace sle
