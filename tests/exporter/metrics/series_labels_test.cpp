#include "metrics/series_labels.h"

#include <gtest/gtest.h>

#include <string>

namespace sle {
namespace {

std::string render(const LabelSet& labels) {
  std::string out;
  for (const auto& l : labels) out += l.name + "=" + l.value + " ";
  return out;
}

sle_key tcp_connect() {
  sle_key k{};
  k.family = 10;  // inet6
  k.type = 1;
  k.protocol = 6;
  k.port = 443;
  k.port_class = SLE_PORT_EXACT;
  k.peer = SLE_PEER_PUBLIC;
  return k;
}

TEST(SeriesLabels, AllLabelsOfAHookInContractOrder) {
  const std::uint32_t mask = spec(hook_named("connect")).labels & ~kCgroupLabels;
  EXPECT_EQ(render(series_labels(tcp_connect(), mask, nullptr)),
            "family=inet6 type=stream protocol=tcp port=443 peer=public ");
}

TEST(SeriesLabels, OutcomeAndErrnoAfterTheSocketLabels) {
  const std::uint32_t mask = spec(hook_named("connect")).labels & ~kCgroupLabels;
  sle_key k = tcp_connect();
  k.outcome = SLE_OUTCOME_DENIED;
  k.err = 13;
  EXPECT_EQ(render(series_labels(k, mask, nullptr)),
            "family=inet6 type=stream protocol=tcp port=443 peer=public outcome=denied "
            "errno=EACCES ");
  k.err = 1;
  EXPECT_EQ(render(series_labels(k, label_bit(SLE_LABEL_ERRNO), nullptr)), "errno=EPERM ");
  k.outcome = SLE_OUTCOME_ALLOWED;
  k.err = 0;
  EXPECT_EQ(render(series_labels(k, mask, nullptr)),
            "family=inet6 type=stream protocol=tcp port=443 peer=public outcome=allowed ");
  k.outcome = SLE_OUTCOME_UNKNOWN;
  EXPECT_EQ(render(series_labels(k, label_bit(SLE_LABEL_OUTCOME), nullptr)), "outcome=unknown ");
}

TEST(SeriesLabels, OutcomeAndErrnoValues) {
  EXPECT_EQ(outcome_label(SLE_OUTCOME_NONE), "");
  EXPECT_EQ(outcome_label(SLE_OUTCOME_ALLOWED), "allowed");
  EXPECT_EQ(outcome_label(SLE_OUTCOME_DENIED), "denied");
  EXPECT_EQ(outcome_label(SLE_OUTCOME_UNKNOWN), "unknown");
  EXPECT_EQ(outcome_label(9), "9");
  EXPECT_EQ(errno_label(0), "");
  EXPECT_EQ(errno_label(1), "EPERM");
  EXPECT_EQ(errno_label(13), "EACCES");
  EXPECT_EQ(errno_label(97), "EAFNOSUPPORT");
  EXPECT_EQ(errno_label(4000), "4000");  // no such errno: the number
  EXPECT_EQ(errno_label(0xffff), "65535");
}

TEST(SeriesLabels, SwitchedOffLabelsAreLeftOut) {
  const std::uint32_t mask = label_bit(SLE_LABEL_PROTOCOL) | label_bit(SLE_LABEL_PEER);
  // The kernel keeps the family for the protocol's name; the family label itself is gone.
  EXPECT_EQ(render(series_labels(tcp_connect(), mask, nullptr)), "protocol=tcp peer=public ");
}

TEST(SeriesLabels, AbsentPortAndPeerAreLeftOut) {
  sle_key k{};
  k.family = 1;  // unix
  k.type = 2;
  EXPECT_EQ(render(series_labels(k, spec(hook_named("connect")).labels & ~kCgroupLabels, nullptr)),
            "family=unix type=dgram protocol=0 ");
}

TEST(SeriesLabels, SetsockoptDecodesPerLevel) {
  sle_key k{};
  k.family = 2;
  k.type = 1;
  k.protocol = 6;
  k.level = 6;
  k.optname = 1;
  EXPECT_EQ(
      render(series_labels(k, spec(hook_named("setsockopt")).labels & ~kCgroupLabels, nullptr)),
      "family=inet type=stream protocol=tcp level=IPPROTO_TCP optname=TCP_NODELAY ");
}

TEST(SeriesLabels, CgroupNeverNamedIsUnknown) {
  sle_key k{};
  k.cgroup_id = 42;
  EXPECT_EQ(render(series_labels(k, kCgroupLabels, nullptr)), "cgroup=unknown ");
  const CgroupTracker::Info unknown{"unknown", {}, {}, {}};
  EXPECT_EQ(render(series_labels(k, kCgroupLabels, &unknown)), "cgroup=unknown ");
}

TEST(SeriesLabels, CgroupPathGivesPodAndContainer) {
  sle_key k{};
  k.cgroup_id = 7;
  const std::string id(64, 'a');
  const std::string path =
      "/kubepods.slice/kubepods-besteffort.slice/"
      "kubepods-besteffort-pod0b1c2d3e_4f50_6172_8394_a5b6c7d8e9f0.slice/cri-containerd-" +
      id + ".scope";
  const CgroupTracker::Info info{path, parse_cgroup_path(path), {}, {}};
  EXPECT_EQ(
      render(series_labels(k, kCgroupLabels, &info)),
      "cgroup=" + path + " pod_uid=0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0 container_id=" + id + " ");
}

TEST(SeriesLabels, WorkloadNamesFollowTheCgroupLabels) {
  sle_key k{};
  k.cgroup_id = 9;
  const CgroupTracker::Info info{"/p/c", {}, {"web-0", "shop", "nginx"}, {}};
  EXPECT_EQ(render(series_labels(k, kCgroupLabels, &info)),
            "cgroup=/p/c pod=web-0 namespace=shop container=nginx ");
  const std::uint32_t names_only =
      label_bit(SLE_LABEL_POD) | label_bit(SLE_LABEL_NAMESPACE) | label_bit(SLE_LABEL_CONTAINER);
  EXPECT_EQ(render(series_labels(k, names_only, &info)),
            "pod=web-0 namespace=shop container=nginx ");
}

}  // namespace
}  // namespace sle
