// Kubernetes pod and container identity from a cgroup v2 path, for the pod_uid and container_id
// labels. The layouts differ by cgroup driver (systemd or cgroupfs) and container runtime.
#pragma once

#include <string>
#include <string_view>

namespace sle {

struct CgroupIdentity {
  std::string pod_uid;       // 8-4-4-4-12 lower-case hex as the API shows it; empty if not a pod
  std::string container_id;  // the runtime's full 64-hex id; empty if not a container
};

// path: relative to the cgroup2 mount, e.g.
// "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid>.slice/cri-containerd-<id>.scope".
// Anything not recognised yields empty fields, never a partial or malformed value.
CgroupIdentity parse_cgroup_path(std::string_view path);

}  // namespace sle
