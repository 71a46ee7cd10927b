// Walking the cgroup v2 tree: every cgroup's id and path, read from the filesystem. A cgroup id is
// its kernfs node id, which on 64-bit kernels is the inode number of its directory under the
// cgroup2 mount. The walk names the cgroups that exist when the exporter starts, and is the
// fallback when the kernel cannot tell the exporter about new cgroups as they are made.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace sle {

// Calls found(id, path) for the root ("/") and every cgroup below it ("/a/b"), parents before
// their children. Cgroups made or removed during the walk may or may not be seen. Throws
// SystemError when root cannot be opened.
void walk_cgroups(const std::string& root,
                  const std::function<void(std::uint64_t id, const std::string& path)>& found);

// The id of the cgroup at path (relative to root), or 0 when there is none.
std::uint64_t cgroup_id_at(const std::string& root, const std::string& path);

}  // namespace sle
