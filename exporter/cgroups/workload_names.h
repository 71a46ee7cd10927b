// Kubernetes workload names (pod, namespace, container) without the API server: read from the
// container runtime's OCI config.json of a container, whose annotations carry them, once, when the
// container's cgroup is born. The names kube-state-metrics and cAdvisor use, so series join.
//   containerd: <dir>/<container id>/config.json, io.kubernetes.cri.sandbox-name,
//               io.kubernetes.cri.sandbox-namespace, io.kubernetes.cri.container-name
//   CRI-O:      <dir>/<container id>/userdata/config.json, io.kubernetes.pod.name,
//               io.kubernetes.pod.namespace, io.kubernetes.container.name
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sle {

struct WorkloadNames {
  std::string pod;
  std::string namespace_;
  std::string container;  // empty for a pod's sandbox (pause) container

  friend bool operator==(const WorkloadNames&, const WorkloadNames&) = default;
};

// The runtimes' state directories looked in by default (cgroups.runtime_dirs).
inline const std::vector<std::string> kDefaultRuntimeDirs = {
    "/run/containerd/io.containerd.runtime.v2.task/k8s.io",
    "/run/containers/storage/overlay-containers",
};

// The names in the config.json of the container with this id (64 hex) under any of dirs; nullopt
// when none is there or it names no pod.
std::optional<WorkloadNames> read_workload_names(std::span<const std::string> dirs,
                                                 std::string_view container_id);

// The names in an OCI config.json's annotations (containerd's or CRI-O's); nullopt when they name
// no pod or the text is not such a file.
std::optional<WorkloadNames> workload_names_from_config(std::string_view text);

}  // namespace sle
