// The four ways a hook's programs attach. Each hook object (bpf/<hook>.bpf.c) carries the programs
// of every backend; the prefix of a program's name says which backends load it.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace sle {

enum class Backend { lsm, fentry, kprobe, tracepoint };

// The one table of the backends, in the enum's order: the name the config, the flags, the logs
// and /metrics use, and which programs of a hook object it loads (bpf/socket_calls.bpf.h), by
// the prefix of their names: with the outcome labels off, and on (which needs the verdict, seen
// only at the hook's return).
struct BackendInfo {
  Backend backend;
  std::string_view name;
  std::string_view programs;               // outcome and errno labels off
  std::string_view programs_with_outcome;  // either on
};
// lsm counts at the return of security_socket_<hook> (fexit) always: a BPF LSM program runs after
// the other LSMs and never saw the calls they refused (docs/backends.md). Its name stays for the
// configs that name it.
inline constexpr std::array<BackendInfo, 4> kBackendInfo = {{
    {Backend::lsm, "lsm", "fexit_", "fexit_"},
    {Backend::fentry, "fentry", "fentry_", "fexit_"},
    {Backend::kprobe, "kprobe", "kprobe_", "kret_"},
    {Backend::tracepoint, "tracepoint", "tp_", "tp_"},
}};

// The order `auto` tries them in: the most faithful first. lsm is fentry's programs.
inline constexpr std::array<Backend, 3> kBackendOrder = {Backend::fentry, Backend::kprobe,
                                                         Backend::tracepoint};

std::string_view backend_name(Backend b);
// "auto, lsm, fentry, kprobe or tracepoint": what bpf.backend takes.
std::string backend_choices();
std::optional<Backend> backend_from_name(std::string_view name);
// Whether a backend loads the program of this name ("fexit_socket_bind", ...), with the outcome
// labels on or off.
bool backend_loads(Backend b, bool outcome, std::string_view program);

}  // namespace sle
