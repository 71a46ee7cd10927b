// Kubernetes pod and container identity from a cgroup v2 path, for the pod_uid and container_id
// labels. The layouts differ by cgroup driver (systemd or cgroupfs) and container runtime.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sle {

// cgroup id -> its path label. An id's label is fixed the first time the reader sees it (its path,
// or "unknown" if the cgroup was already gone), so a series never moves between labels.
using CgroupPaths = std::unordered_map<std::uint64_t, std::string>;

struct CgroupIdentity {
  std::string pod_uid;       // 8-4-4-4-12 lower-case hex as the API shows it; empty if not a pod
  std::string container_id;  // the runtime's full 64-hex id; empty if not a container
};

// path: relative to the cgroup2 mount, e.g.
// "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid>.slice/cri-containerd-<id>.scope".
// Anything not recognised yields empty fields, never a partial or malformed value.
CgroupIdentity parse_cgroup_path(std::string_view path);

}  // namespace sle
