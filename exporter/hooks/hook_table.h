// The hooks and labels the exporter knows, in one place. Adding a hook is its kernel side,
// bpf/<hook>.bpf.c (found by CMake, embedded under the hook's name), and one entry in kHooks below;
// config validation, loading, the self-test, decoding and /metrics all read this table.
// Names and labels are the metrics contract (README, "Metrics").
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string_view>

extern "C" {
#include "socket_lsm.h"
}
#include "hooks/self_test_calls.h"

namespace sle {

// Indexed by enum sle_label (bpf/socket_lsm.h).
inline constexpr std::array<std::string_view, SLE_LABEL_COUNT> kLabelNames = {
    "family",  "type",         "protocol", "port",      "peer",      "level",   "optname", "cgroup",
    "pod_uid", "container_id", "pod",      "namespace", "container", "outcome", "errno"};

constexpr std::uint32_t label_bit(sle_label l) { return SLE_LABEL_BIT(l); }

inline constexpr std::uint32_t kCgroupLabels = SLE_CGROUP_LABELS;
inline constexpr std::uint32_t kSocketLabels =
    label_bit(SLE_LABEL_FAMILY) | label_bit(SLE_LABEL_TYPE) | label_bit(SLE_LABEL_PROTOCOL);
inline constexpr std::uint32_t kPortLabel = label_bit(SLE_LABEL_PORT);
// The LSMs' verdict on the call (enum sle_outcome): every hook has them.
inline constexpr std::uint32_t kOutcomeLabels = SLE_OUTCOME_LABELS;

struct HookSpec {
  std::string_view name;  // as in metric names, config keys, the hook label and bpf/<name>.bpf.c
  std::uint32_t labels;   // labels this hook can carry (and carries by default)
  std::string_view help;  // HELP text of socket_lsm_<name>_total
  // The self-test: one socket call of the exporter's own that must go through the hook, so that
  // seeing it proves the attached program runs (hooks/self_test_calls.h).
  void (*self_test_call)();
};

inline constexpr auto kHooks = std::to_array<HookSpec>({
    {"create", kSocketLabels | kCgroupLabels | kOutcomeLabels,
     "Calls of the security_socket_create hook (socket creation).",
     [] { self_test_calls::create_unix_socket(); }},
    {"bind", kSocketLabels | kPortLabel | kCgroupLabels | kOutcomeLabels,
     "Calls of the security_socket_bind hook, by local port.",
     [] { self_test_calls::bind_udp_any_port(); }},
    {"connect",
     kSocketLabels | kPortLabel | label_bit(SLE_LABEL_PEER) | kCgroupLabels | kOutcomeLabels,
     "Calls of the security_socket_connect hook, by remote port and peer address class.",
     [] { self_test_calls::connect_udp_discard(); }},
    {"listen", kSocketLabels | kPortLabel | kCgroupLabels | kOutcomeLabels,
     "Calls of the security_socket_listen hook, by local port.",
     [] { self_test_calls::listen_tcp(); }},
    {"accept", kSocketLabels | kPortLabel | kCgroupLabels | kOutcomeLabels,
     "Calls of the security_socket_accept hook, by local port.",
     [] { self_test_calls::accept_nothing_pending(); }},
    {"setsockopt",
     kSocketLabels | label_bit(SLE_LABEL_LEVEL) | label_bit(SLE_LABEL_OPTNAME) | kCgroupLabels |
         kOutcomeLabels,
     "Calls of the security_socket_setsockopt hook, by level and option name.",
     [] { self_test_calls::set_reuseaddr(); }},
});

inline constexpr std::size_t kHookCount = kHooks.size();

// A hook: its place in kHooks.
class Hook {
 public:
  constexpr explicit Hook(std::size_t index) : index_(index) {}
  constexpr std::size_t index() const { return index_; }
  constexpr const HookSpec& spec() const { return kHooks[index_]; }
  constexpr std::string_view name() const { return spec().name; }
  friend constexpr bool operator==(Hook, Hook) = default;

 private:
  std::size_t index_;
};

constexpr const HookSpec& spec(Hook h) { return h.spec(); }

// Every hook, in table order.
constexpr std::array<Hook, kHookCount> all_hooks() {
  return []<std::size_t... I>(std::index_sequence<I...>) {
    return std::array<Hook, kHookCount>{Hook(I)...};
  }
  (std::make_index_sequence<kHookCount>());
}

constexpr std::optional<Hook> hook_from_name(std::string_view name) {
  for (const Hook h : all_hooks())
    if (h.name() == name) return h;
  return std::nullopt;
}

// A hook the code names: a name not in the table does not compile.
consteval Hook hook_named(std::string_view name) {
  const auto h = hook_from_name(name);
  if (!h) throw std::logic_error("no such hook in kHooks");
  return *h;
}

constexpr std::optional<sle_label> label_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kLabelNames.size(); ++i)
    if (kLabelNames[i] == name) return static_cast<sle_label>(i);
  return std::nullopt;
}

}  // namespace sle
