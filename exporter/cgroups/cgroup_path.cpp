#include "cgroups/cgroup_path.h"

#include <array>
#include <optional>
#include <utility>
#include <vector>

namespace sle {
namespace {

constexpr std::size_t kContainerIdLength = 64;

bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool is_lower_hex(std::string_view s) {
  for (char c : s)
    if (!is_lower_hex(c)) return false;
  return !s.empty();
}

bool strip_suffix(std::string_view& s, std::string_view suffix) {
  if (!s.ends_with(suffix)) return false;
  s.remove_suffix(suffix.size());
  return true;
}

bool strip_prefix(std::string_view& s, std::string_view prefix) {
  if (!s.starts_with(prefix)) return false;
  s.remove_prefix(prefix.size());
  return true;
}

// A pod uid as 8-4-4-4-12 hex groups joined by sep ('-' for cgroupfs, '_' for systemd, whose
// slice names reserve '-' for nesting). Returns it in the API's dashed form.
std::optional<std::string> parse_uid(std::string_view s, char sep) {
  constexpr std::array<std::size_t, 5> kGroups = {8, 4, 4, 4, 12};
  if (s.size() != 36) return std::nullopt;
  std::string uid(s);
  std::size_t pos = 0;
  for (std::size_t g = 0; g < kGroups.size(); ++g) {
    if (g > 0) {
      if (uid[pos] != sep) return std::nullopt;
      uid[pos++] = '-';
    }
    if (!is_lower_hex(s.substr(pos, kGroups[g]))) return std::nullopt;
    pos += kGroups[g];
  }
  return uid;
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  while (!path.empty()) {
    const std::size_t slash = path.find('/');
    const std::string_view seg = path.substr(0, slash);
    if (!seg.empty()) segments.push_back(seg);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

// Whether a '-'-separated slice name such as "kubelet-kubepods-burstable" contains component.
bool has_component(std::string_view name, std::string_view component) {
  while (true) {
    const std::size_t dash = name.find('-');
    if (name.substr(0, dash) == component) return true;
    if (dash == std::string_view::npos) return false;
    name.remove_prefix(dash + 1);
  }
}

// systemd driver: "kubepods-pod<uid>.slice", "kubepods-burstable-pod<uid>.slice", and under kind
// "kubelet-kubepods-besteffort-pod<uid>.slice"; '-' separates the slice's ancestors.
std::optional<std::string> systemd_pod_uid(std::string_view seg) {
  if (!strip_suffix(seg, ".slice")) return std::nullopt;
  const std::size_t dash = seg.rfind("-pod");
  if (dash == std::string_view::npos) return std::nullopt;
  if (!has_component(seg.substr(0, dash), "kubepods")) return std::nullopt;
  return parse_uid(seg.substr(dash + 4), '_');
}

// cgroupfs driver: ".../kubepods/pod<uid>" (guaranteed) or ".../kubepods/<qos>/pod<uid>".
std::optional<std::string> cgroupfs_pod_uid(const std::vector<std::string_view>& segs,
                                            std::size_t i) {
  std::string_view seg = segs[i];
  if (!strip_prefix(seg, "pod") || i == 0) return std::nullopt;
  const std::string_view parent = segs[i - 1];
  const bool under_kubepods =
      parent == "kubepods" ||
      ((parent == "burstable" || parent == "besteffort") && i >= 2 && segs[i - 2] == "kubepods");
  if (!under_kubepods) return std::nullopt;
  return parse_uid(seg, '-');
}

// "<runtime>-<id>.scope" (systemd driver), "crio-<id>" or a bare "<id>" (cgroupfs driver). The
// conmon scopes of CRI-O and Podman ("crio-conmon-<id>") hold the monitor, not the container,
// and deliberately match nothing here.
std::optional<std::string> container_id(std::string_view seg) {
  static constexpr std::array<std::string_view, 5> kRuntimePrefixes = {
      "cri-containerd-", "crio-", "docker-", "libpod-", "nerdctl-"};
  strip_suffix(seg, ".scope");
  for (std::string_view prefix : kRuntimePrefixes)
    if (strip_prefix(seg, prefix)) break;
  if (seg.size() != kContainerIdLength || !is_lower_hex(seg)) return std::nullopt;
  return std::string(seg);
}

}  // namespace

CgroupIdentity parse_cgroup_path(std::string_view path) {
  const auto segs = split_path(path);
  CgroupIdentity id;

  // The innermost pod wins: kind and k3s nest a node's kubepods under a prefix, sometimes inside
  // another container's cgroup.
  std::size_t first_container_candidate = 0;
  for (std::size_t i = segs.size(); i-- > 0;) {
    auto uid = systemd_pod_uid(segs[i]);
    if (!uid) uid = cgroupfs_pod_uid(segs, i);
    if (uid) {
      id.pod_uid = std::move(*uid);
      first_container_candidate = i + 1;
      break;
    }
  }

  // The container is below its pod, if there is one; the innermost container scope wins, so a
  // sub-cgroup such as ".../cri-containerd-<id>.scope/init" still names its container.
  for (std::size_t i = segs.size(); i-- > first_container_candidate;) {
    if (auto cid = container_id(segs[i])) {
      id.container_id = std::move(*cid);
      break;
    }
  }
  return id;
}

}  // namespace sle
