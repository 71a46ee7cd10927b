// Label values for the numbers the kernel hands the socket hooks: address family, socket type,
// protocol, setsockopt level and option name. The strings are part of the metrics contract (see
// docs/metrics.md, "Label values"), so they never depend on the build machine's headers: the tables
// hold the Linux x86_64 values. A number without a name is rendered as its decimal value.
//
// Names are the uapi header's own name for the number, the one strace prints (SO_RCVTIMEO_OLD for
// 20, IPV6_ADD_MEMBERSHIP for 20 at IPPROTO_IPV6); aliases such as AF_LOCAL or IPV6_JOIN_GROUP are
// not produced.
//
// lint.kernel_tables (tests/lint/kernel_tables.py) checks the tables against the headers that
// define the numbers: each value, and that every option name of a decoded level is there. A name
// newer than the headers it is checked with says on its line which kernel added it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sle {

// Lower-case name without AF_: 2 -> "inet", 10 -> "inet6"; unknown -> decimal ("77").
std::string family_name(std::uint32_t family);

// Inverse of family_name, for configuration: a family name ("inet6" -> 10), one of the aliases
// "local" (unix) and "route" (netlink), or a decimal number ("10" -> 10). nullopt otherwise.
std::optional<std::uint32_t> family_from_name(std::string_view name);

// Lower-case name without SOCK_, after removing the flags (SOCK_NONBLOCK, SOCK_CLOEXEC):
// SOCK_STREAM | SOCK_NONBLOCK -> "stream"; unknown -> decimal of the type without flags.
std::string type_name(std::uint32_t type);

// For inet and inet6 the lower-case IPPROTO_ name (6 -> "tcp", 0 -> "ip"); for netlink the
// lower-case NETLINK_ name (0 -> "route", 4 -> "sock_diag"); otherwise, or when unknown, decimal.
std::string protocol_name(std::uint32_t family, std::uint32_t protocol);

// The C constant of a setsockopt level: 1 -> "SOL_SOCKET", 6 -> "IPPROTO_TCP". Unknown levels are
// the decimal value of the C int (0xffffffff -> "-1").
std::string level_name(std::uint32_t level);

// The C constant of an option name, decoded per level: (SOL_SOCKET, 1) -> "SO_DEBUG",
// (IPPROTO_TCP, 1) -> "TCP_NODELAY". Unknown -> decimal value of the C int.
std::string optname_name(std::uint32_t level, std::uint32_t optname);

}  // namespace sle
