// The socket calls the self-test makes (hooks/hook_table.h names one per hook): small, harmless
// operations on loopback whose results are ignored, since the hook runs before the kernel decides.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>

#include "common/unique_fd.h"

namespace sle::self_test_calls {

inline sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

inline UniqueFd udp_socket() { return UniqueFd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)); }

inline void bind_to(const UniqueFd& fd, std::uint16_t port) {
  const sockaddr_in a = loopback(port);
  static_cast<void>(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a));
}

// A listening TCP socket on an ephemeral loopback port, non-blocking.
inline UniqueFd tcp_listener() {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  bind_to(fd, 0);
  ::listen(fd.get(), 1);
  return fd;
}

inline void create_unix_socket() { UniqueFd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)); }

inline void bind_udp_any_port() { bind_to(udp_socket(), 0); }

// UDP connect sends nothing; port 9 (discard) need not be open.
inline void connect_udp_discard() {
  const UniqueFd fd = udp_socket();
  const sockaddr_in a = loopback(9);
  static_cast<void>(::connect(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a));
}

inline void listen_tcp() { tcp_listener(); }

// Nothing is pending: accept4 fails with EAGAIN after the hook has run.
inline void accept_nothing_pending() {
  const UniqueFd fd = tcp_listener();
  UniqueFd(::accept4(fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
}

inline void set_reuseaddr() {
  const UniqueFd fd = udp_socket();
  const int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
}

}  // namespace sle::self_test_calls
