// The four ways a hook program attaches. Each hook object (bpf/<hook>.bpf.c) carries one program
// per flavour it supports; the section name's prefix says which flavour a program is.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace sle {

enum class Backend { lsm, fentry, kprobe, tracepoint };

// The one table of the backends, in the enum's order: the name the config, the flags, the logs
// and /metrics use, and the ELF section prefix of its programs.
struct BackendInfo {
  Backend backend;
  std::string_view name;
  std::string_view section_prefix;
};
inline constexpr std::array<BackendInfo, 4> kBackendInfo = {{
    {Backend::lsm, "lsm", "lsm/"},
    {Backend::fentry, "fentry", "fentry/"},
    {Backend::kprobe, "kprobe", "kprobe/"},
    {Backend::tracepoint, "tracepoint", "tracepoint/"},
}};

// The order `auto` tries them in: the most faithful first.
inline constexpr std::array<Backend, 4> kBackendOrder = {Backend::lsm, Backend::fentry,
                                                         Backend::kprobe, Backend::tracepoint};

std::string_view backend_name(Backend b);
// "auto, lsm, fentry, kprobe or tracepoint": what bpf.backend takes.
std::string backend_choices();
std::optional<Backend> backend_from_name(std::string_view name);
// Which flavour a program belongs to, from its ELF section name ("lsm/socket_bind", ...).
std::optional<Backend> backend_of_section(std::string_view section);

}  // namespace sle
