// The hooks and labels the exporter knows, in one place: adding a hook or a label is one entry
// here (and its body under bpf/). Config validation, decoding and the collector all read this.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

extern "C" {
#include "socket_lsm.h"
}

namespace sle {

enum class Hook : std::uint8_t { create, bind, connect, listen, accept, setsockopt };
inline constexpr std::size_t kHookCount = 6;

inline constexpr std::array<std::string_view, SLE_LABEL_COUNT> kLabelNames = {
    "family", "type",    "protocol", "port",    "peer",
    "level",  "optname", "cgroup",   "pod_uid", "container_id"};

constexpr std::uint32_t label_bit(sle_label l) { return SLE_LABEL_BIT(l); }

inline constexpr std::uint32_t kCgroupLabels = SLE_CGROUP_LABELS;
inline constexpr std::uint32_t kSocketLabels =
    label_bit(SLE_LABEL_FAMILY) | label_bit(SLE_LABEL_TYPE) | label_bit(SLE_LABEL_PROTOCOL);

struct HookSpec {
  Hook hook;
  std::string_view name;  // as in metric names, config keys and the hook label
  std::uint32_t labels;   // labels this hook can carry (and carries by default)
  std::string_view help;  // HELP text of socket_lsm_<name>_total
};

inline constexpr std::array<HookSpec, kHookCount> kHooks = {{
    {Hook::create, "create", kSocketLabels | kCgroupLabels,
     "Calls of the security_socket_create hook (socket creation)."},
    {Hook::bind, "bind", kSocketLabels | label_bit(SLE_LABEL_PORT) | kCgroupLabels,
     "Calls of the security_socket_bind hook, by local port."},
    {Hook::connect, "connect",
     kSocketLabels | label_bit(SLE_LABEL_PORT) | label_bit(SLE_LABEL_PEER) | kCgroupLabels,
     "Calls of the security_socket_connect hook, by remote port and peer address class."},
    {Hook::listen, "listen", kSocketLabels | label_bit(SLE_LABEL_PORT) | kCgroupLabels,
     "Calls of the security_socket_listen hook, by local port."},
    {Hook::accept, "accept", kSocketLabels | label_bit(SLE_LABEL_PORT) | kCgroupLabels,
     "Calls of the security_socket_accept hook, by local port."},
    {Hook::setsockopt, "setsockopt",
     kSocketLabels | label_bit(SLE_LABEL_LEVEL) | label_bit(SLE_LABEL_OPTNAME) | kCgroupLabels,
     "Calls of the security_socket_setsockopt hook, by level and option name."},
}};

constexpr const HookSpec& spec(Hook h) { return kHooks[static_cast<std::size_t>(h)]; }

inline std::optional<Hook> hook_from_name(std::string_view name) {
  for (const auto& s : kHooks)
    if (s.name == name) return s.hook;
  return std::nullopt;
}

inline std::optional<sle_label> label_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kLabelNames.size(); ++i)
    if (kLabelNames[i] == name) return static_cast<sle_label>(i);
  return std::nullopt;
}

}  // namespace sle
