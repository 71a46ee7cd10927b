#include "cgroups/cgroup_path.h"

#include <gtest/gtest.h>

#include <string>

namespace sle {
namespace {

constexpr const char* kId = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
constexpr const char* kOtherId = "aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999";
constexpr const char* kUid = "1234abcd-5678-90ef-abcd-0123456789ab";
constexpr const char* kUidUnderscores = "1234abcd_5678_90ef_abcd_0123456789ab";

std::string id() { return kId; }
std::string underscored_uid() { return kUidUnderscores; }

void expect(const std::string& path, const std::string& pod_uid, const std::string& container_id) {
  const CgroupIdentity got = parse_cgroup_path(path);
  EXPECT_EQ(got.pod_uid, pod_uid) << path;
  EXPECT_EQ(got.container_id, container_id) << path;
}

// --- systemd cgroup driver ---------------------------------------------------------------------

TEST(ParseCgroupPath, SystemdBurstableContainerd) {
  expect("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + underscored_uid() +
             ".slice/cri-containerd-" + id() + ".scope",
         kUid, kId);
}

TEST(ParseCgroupPath, SystemdBesteffortCrio) {
  expect("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + underscored_uid() +
             ".slice/crio-" + id() + ".scope",
         kUid, kId);
}

TEST(ParseCgroupPath, SystemdGuaranteedDirectlyUnderKubepods) {
  expect("/kubepods.slice/kubepods-pod" + underscored_uid() + ".slice/cri-containerd-" + id() +
             ".scope",
         kUid, kId);
}

TEST(ParseCgroupPath, SystemdCrioConmonIsNotTheContainer) {
  expect("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + underscored_uid() +
             ".slice/crio-conmon-" + id() + ".scope",
         kUid, "");
}

TEST(ParseCgroupPath, SystemdDockerUnderKubepods) {
  expect("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + underscored_uid() +
             ".slice/docker-" + id() + ".scope",
         kUid, kId);
}

TEST(ParseCgroupPath, SystemdPodSliceWithoutContainer) {
  expect("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + underscored_uid() +
             ".slice",
         kUid, "");
}

TEST(ParseCgroupPath, SystemdQosAndKubepodsSlicesAreNotPods) {
  expect("/kubepods.slice", "", "");
  expect("/kubepods.slice/kubepods-burstable.slice", "", "");
  expect("/kubepods.slice/kubepods-besteffort.slice", "", "");
}

TEST(ParseCgroupPath, SubCgroupUnderContainerScope) {
  expect("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + underscored_uid() +
             ".slice/cri-containerd-" + id() + ".scope/init",
         kUid, kId);
  expect("/kubepods.slice/kubepods-pod" + underscored_uid() + ".slice/crio-" + id() +
             ".scope/container/sub",
         kUid, kId);
}

TEST(ParseCgroupPath, KindSystemdNestedUnderKubeletSlice) {
  expect(
      "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
      "kubelet-kubepods-besteffort-pod" +
          underscored_uid() + ".slice/cri-containerd-" + id() + ".scope",
      kUid, kId);
  expect("/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-pod" + underscored_uid() +
             ".slice/cri-containerd-" + id() + ".scope",
         kUid, kId);
}

TEST(ParseCgroupPath, KindNodeContainerPrefixUsesInnerContainer) {
  // kind's node is itself a container; the pod's container is the innermost one.
  expect(std::string("/system.slice/docker-") + kOtherId +
             ".scope/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-burstable.slice/"
             "kubelet-kubepods-burstable-pod" +
             underscored_uid() + ".slice/cri-containerd-" + id() + ".scope",
         kUid, kId);
}

// --- cgroupfs cgroup driver --------------------------------------------------------------------

TEST(ParseCgroupPath, CgroupfsBurstableContainerd) {
  expect("/kubepods/burstable/pod" + std::string(kUid) + "/" + id(), kUid, kId);
}

TEST(ParseCgroupPath, CgroupfsBesteffort) {
  expect("/kubepods/besteffort/pod" + std::string(kUid) + "/" + id(), kUid, kId);
}

TEST(ParseCgroupPath, CgroupfsGuaranteed) {
  expect("/kubepods/pod" + std::string(kUid) + "/" + id(), kUid, kId);
}

TEST(ParseCgroupPath, CgroupfsCrio) {
  expect("/kubepods/burstable/pod" + std::string(kUid) + "/crio-" + id(), kUid, kId);
  expect("/kubepods/burstable/pod" + std::string(kUid) + "/crio-conmon-" + id(), kUid, "");
}

TEST(ParseCgroupPath, CgroupfsPodWithoutContainer) {
  expect("/kubepods/burstable/pod" + std::string(kUid), kUid, "");
  expect("/kubepods/burstable", "", "");
  expect("/kubepods", "", "");
}

TEST(ParseCgroupPath, CgroupfsNestedUnderPrefix) {
  // kind/k3s with the cgroupfs driver: the node's kubepods sit under a prefix or inside the
  // node container's own cgroup.
  expect("/kubelet/kubepods/burstable/pod" + std::string(kUid) + "/" + id(), kUid, kId);
  expect(std::string("/docker/") + kOtherId + "/kubepods/besteffort/pod" + kUid + "/" + id(), kUid,
         kId);
  expect(std::string("/docker/") + kOtherId + "/kubepods/besteffort/pod" + kUid, kUid, "");
}

TEST(ParseCgroupPath, CgroupfsPodSegmentNeedsKubepodsAncestor) {
  expect("/something/pod" + std::string(kUid) + "/" + id(), "", kId);
  expect("/burstable/pod" + std::string(kUid), "", "");
}

// --- plain containers ----------------------------------------------------------------------------

TEST(ParseCgroupPath, DockerSystemdDriver) {
  expect("/system.slice/docker-" + id() + ".scope", "", kId);
}

TEST(ParseCgroupPath, DockerCgroupfsDriver) { expect("/docker/" + id(), "", kId); }

TEST(ParseCgroupPath, Podman) {
  expect("/machine.slice/libpod-" + id() + ".scope", "", kId);
  expect("/machine.slice/libpod-" + id() + ".scope/container", "", kId);
  expect("/machine.slice/libpod-conmon-" + id() + ".scope", "", "");
}

// --- not containers ------------------------------------------------------------------------------

TEST(ParseCgroupPath, PlainSystemPathsAreEmpty) {
  expect("/", "", "");
  expect("", "", "");
  expect("/system.slice/nginx.service", "", "");
  expect("/user.slice/user-1000.slice/session-2.scope", "", "");
  expect("/user.slice/user-1000.slice/user@1000.service/app.slice/app-podman.scope", "", "");
  expect("/init.scope", "", "");
  expect("/system.slice/docker.service", "", "");
  expect("/system.slice/containerd.service", "", "");
}

// --- malformed ids -------------------------------------------------------------------------------

TEST(ParseCgroupPath, MalformedContainerIdsAreEmpty) {
  const std::string short_id = id().substr(0, 63);
  const std::string long_id = id() + "0";
  std::string upper_id = id();
  upper_id[0] = 'F';
  std::string non_hex_id = id();
  non_hex_id[10] = 'g';
  for (const auto& bad : {short_id, long_id, upper_id, non_hex_id}) {
    expect("/system.slice/docker-" + bad + ".scope", "", "");
    expect("/docker/" + bad, "", "");
    expect("/kubepods/pod" + std::string(kUid) + "/" + bad, kUid, "");
  }
  expect("/system.slice/unknown-" + id() + ".scope", "", "");
  expect("/system.slice/docker-.scope", "", "");
}

TEST(ParseCgroupPath, MalformedPodUidsAreEmpty) {
  const std::string prefix = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod";
  const std::string suffix = ".slice/cri-containerd-" + id() + ".scope";
  // Too short, wrong grouping, dashes where systemd writes underscores, non-hex, upper case.
  for (const std::string bad :
       {"1234abcd_5678_90ef_abcd_0123456789a", "1234abcd5_678_90ef_abcd_0123456789ab",
        "1234abcd-5678-90ef-abcd-0123456789ab", "1234abcd_5678_90ef_abcd_0123456789ax",
        "1234ABCD_5678_90ef_abcd_0123456789ab", "", "static"}) {
    const CgroupIdentity got = parse_cgroup_path(prefix + bad + suffix);
    EXPECT_EQ(got.pod_uid, "") << bad;
    // The container scope is still recognised on its own.
    EXPECT_EQ(got.container_id, kId) << bad;
  }
  // cgroupfs: underscores are not the cgroupfs form.
  expect("/kubepods/burstable/pod" + underscored_uid() + "/" + id(), "", kId);
  // A slice that mentions a pod but is not under kubepods.
  expect("/system.slice/foo-pod" + underscored_uid() + ".slice", "", "");
}

TEST(ParseCgroupPath, ToleratesRedundantSlashes) {
  expect("//kubepods/burstable/pod" + std::string(kUid) + "//" + id() + "/", kUid, kId);
}

}  // namespace
}  // namespace sle
