// Workload names from real-format OCI config.json files, laid out the way containerd and CRI-O
// lay them out, under a temporary root.
#include "cgroups/workload_names.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "temp_dir.h"

namespace sle {
namespace {

using test::TempDir;

const std::string kContainerdId(64, 'a');
const std::string kCrioId(64, 'b');

// Trimmed from what containerd 1.7 writes for a pod's container (the spec's other parts
// omitted, the annotations as they are).
constexpr const char* kContainerdConfig = R"({
  "ociVersion": "1.1.0",
  "process": {"user": {"uid": 0, "gid": 0}, "args": ["nginx", "-g", "daemon off;"], "cwd": "/"},
  "root": {"path": "rootfs"},
  "annotations": {
    "io.kubernetes.cri.container-name": "web",
    "io.kubernetes.cri.container-type": "container",
    "io.kubernetes.cri.image-name": "docker.io/library/nginx:1.25",
    "io.kubernetes.cri.sandbox-id": "5f2c0e1d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f",
    "io.kubernetes.cri.sandbox-name": "web-7d4b9c8f6-x2x9k",
    "io.kubernetes.cri.sandbox-namespace": "shop",
    "io.kubernetes.cri.sandbox-uid": "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
  },
  "linux": {"cgroupsPath": "kubepods-besteffort-pod0b1c2d3e_4f50_6172_8394_a5b6c7d8e9f0.slice:cri-containerd:aaaa"}
})";

// Trimmed from what CRI-O 1.28 writes.
constexpr const char* kCrioConfig = R"({
  "ociVersion": "1.0.2-dev",
  "process": {"args": ["/usr/bin/redis-server"]},
  "annotations": {
    "io.container.manager": "cri-o",
    "io.kubernetes.container.name": "cache",
    "io.kubernetes.cri-o.ContainerType": "container",
    "io.kubernetes.pod.name": "cache-0",
    "io.kubernetes.pod.namespace": "data",
    "io.kubernetes.pod.uid": "1c2d3e4f-5061-7283-94a5-b6c7d8e9f0a1"
  }
})";

// A containerd sandbox (pause) container: the pod, and no container name.
constexpr const char* kSandboxConfig = R"({"annotations": {
  "io.kubernetes.cri.container-type": "sandbox",
  "io.kubernetes.cri.sandbox-name": "web-7d4b9c8f6-x2x9k",
  "io.kubernetes.cri.sandbox-namespace": "shop"}})";

class WorkloadNamesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    containerd_ = dir_.path() + "/run/containerd/io.containerd.runtime.v2.task/k8s.io";
    crio_ = dir_.path() + "/run/containers/storage/overlay-containers";
    std::filesystem::create_directories(containerd_ + "/" + kContainerdId);
    std::ofstream(containerd_ + "/" + kContainerdId + "/config.json") << kContainerdConfig;
    std::filesystem::create_directories(crio_ + "/" + kCrioId + "/userdata");
    std::ofstream(crio_ + "/" + kCrioId + "/userdata/config.json") << kCrioConfig;
    dirs_ = {containerd_, crio_};
  }

  TempDir dir_;
  std::string containerd_, crio_;
  std::vector<std::string> dirs_;
};

TEST_F(WorkloadNamesTest, ContainerdLayout) {
  EXPECT_EQ(read_workload_names(dirs_, kContainerdId),
            (WorkloadNames{"web-7d4b9c8f6-x2x9k", "shop", "web"}));
}

TEST_F(WorkloadNamesTest, CrioLayout) {
  EXPECT_EQ(read_workload_names(dirs_, kCrioId), (WorkloadNames{"cache-0", "data", "cache"}));
}

TEST_F(WorkloadNamesTest, NoSuchContainerOrNoDirectories) {
  EXPECT_EQ(read_workload_names(dirs_, std::string(64, 'c')), std::nullopt);
  EXPECT_EQ(read_workload_names({}, kContainerdId), std::nullopt);
  EXPECT_EQ(read_workload_names(dirs_, "../../etc"), std::nullopt);  // ids are never paths
}

TEST(WorkloadNamesConfig, SandboxNamesThePodOnly) {
  EXPECT_EQ(workload_names_from_config(kSandboxConfig),
            (WorkloadNames{"web-7d4b9c8f6-x2x9k", "shop", ""}));
}

TEST(WorkloadNamesConfig, AnythingElseNamesNothing) {
  EXPECT_EQ(workload_names_from_config(""), std::nullopt);
  EXPECT_EQ(workload_names_from_config("not json"), std::nullopt);
  EXPECT_EQ(workload_names_from_config("[]"), std::nullopt);
  EXPECT_EQ(workload_names_from_config(R"({"annotations": []})"), std::nullopt);
  EXPECT_EQ(workload_names_from_config(R"({"annotations": {"io.kubernetes.pod.name": 5}})"),
            std::nullopt);
  // A Docker container outside Kubernetes: annotations, but no pod.
  EXPECT_EQ(
      workload_names_from_config(R"({"annotations": {"org.opencontainers.image.os": "linux"}})"),
      std::nullopt);
}

}  // namespace
}  // namespace sle
