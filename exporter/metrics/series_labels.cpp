#include "metrics/series_labels.h"

#include <array>
#include <cstring>

#include "hooks/label_names.h"

namespace sle {
namespace {

// Indexed by enum sle_peer_class.
constexpr std::array<std::string_view, 8> kPeerNames = {
    "", "loopback", "private", "link_local", "multicast", "broadcast", "unspecified", "public"};

// Indexed by enum sle_port_class; SLE_PORT_EXACT is the number itself.
constexpr std::array<std::string_view, 5> kPortClassNames = {"", "", "system", "registered",
                                                             "dynamic"};

// Indexed by enum sle_outcome.
constexpr std::array<std::string_view, 4> kOutcomeNames = {"", "allowed", "denied", "unknown"};

bool on(std::uint32_t mask, sle_label label) { return (mask & label_bit(label)) != 0; }

}  // namespace

std::string port_label(std::uint8_t port_class, std::uint16_t port) {
  if (port_class == SLE_PORT_EXACT) return std::to_string(port);
  if (port_class < kPortClassNames.size()) return std::string(kPortClassNames[port_class]);
  return std::to_string(port_class);
}

std::string peer_label(std::uint8_t peer) {
  if (peer < kPeerNames.size()) return std::string(kPeerNames[peer]);
  return std::to_string(peer);
}

std::string outcome_label(std::uint8_t outcome) {
  if (outcome < kOutcomeNames.size()) return std::string(kOutcomeNames[outcome]);
  return std::to_string(outcome);
}

std::string errno_label(std::uint16_t err) {
  if (err == 0) return "";
  // glibc's table of the C names: the same on every Linux architecture but a few (EDEADLOCK).
  if (const char* name = ::strerrorname_np(err)) return name;
  return std::to_string(err);
}

std::string label_text(const LabelSet& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (const auto& label : labels) {
    if (out.size() > 1) out += ',';
    out += label.name;
    out += "=\"";
    for (const char c : label.value) {
      if (c == '\\' || c == '"') {
        out += '\\';
        out += c;
      } else if (c == '\n') {
        out += "\\n";
      } else {
        out += c;
      }
    }
    out += '"';
  }
  return out + "}";
}

LabelSet series_labels(const sle_key& key, std::uint32_t mask, const CgroupTracker::Info* cgroup) {
  LabelSet labels;
  const auto add = [&](sle_label label, std::string value) {
    if (on(mask, label) && !value.empty())
      labels.push_back({std::string(kLabelNames[label]), std::move(value)});
  };
  add(SLE_LABEL_FAMILY, family_name(key.family));
  add(SLE_LABEL_TYPE, type_name(key.type));
  add(SLE_LABEL_PROTOCOL, protocol_name(key.family, key.protocol));
  add(SLE_LABEL_PORT, port_label(key.port_class, key.port));
  add(SLE_LABEL_PEER, peer_label(key.peer));
  add(SLE_LABEL_LEVEL, level_name(key.level));
  add(SLE_LABEL_OPTNAME, optname_name(key.level, key.optname));
  if (mask & kCgroupLabels) {
    if (cgroup) {
      add(SLE_LABEL_CGROUP, cgroup->path);
      add(SLE_LABEL_POD_UID, cgroup->identity.pod_uid);
      add(SLE_LABEL_CONTAINER_ID, cgroup->identity.container_id);
      add(SLE_LABEL_POD, cgroup->names.pod);
      add(SLE_LABEL_NAMESPACE, cgroup->names.namespace_);
      add(SLE_LABEL_CONTAINER, cgroup->names.container);
    } else {
      add(SLE_LABEL_CGROUP, std::string(CgroupTracker::kUnknownPath));
    }
  }
  add(SLE_LABEL_OUTCOME, outcome_label(key.outcome));
  add(SLE_LABEL_ERRNO, errno_label(key.err));
  return labels;
}

}  // namespace sle
