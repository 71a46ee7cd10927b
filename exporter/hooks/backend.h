// The four ways a hook program attaches. Each hook object (bpf/<hook>.bpf.c) carries one program
// per flavour it supports; the section name's prefix says which flavour a program is.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace sle {

enum class Backend { lsm, fentry, kprobe, tracepoint };

// The order `auto` tries them in: the most faithful first.
inline constexpr std::array<Backend, 4> kBackendOrder = {Backend::lsm, Backend::fentry,
                                                         Backend::kprobe, Backend::tracepoint};

std::string_view backend_name(Backend b);
std::optional<Backend> backend_from_name(std::string_view name);
// Which flavour a program belongs to, from its ELF section name ("lsm/socket_bind", ...).
std::optional<Backend> backend_of_section(std::string_view section);

}  // namespace sle
