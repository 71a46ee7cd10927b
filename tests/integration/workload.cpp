#include "workload.h"

#include <arpa/inet.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <stdexcept>

#include "common/error.h"
#include "harness.h"

namespace sle::test {
namespace {

using Labels = std::map<std::string, std::string>;

// One hook call and the series it counts in.
struct Step {
  std::string hook;
  Labels labels;
  std::uint64_t times = 1;
};

Labels sock(const char* family, const char* type, const char* protocol) {
  return {{"family", family}, {"type", type}, {"protocol", protocol}};
}

Labels with(Labels l, const Labels& more) {
  for (const auto& [k, v] : more) l[k] = v;
  return l;
}

std::string port_class(std::uint16_t port) {
  if (port < 1024) return std::to_string(port);  // the default exact set
  return port < 49152 ? "registered" : "dynamic";
}

sockaddr_in in4(const char* addr, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, addr, &a.sin_addr);
  return a;
}

sockaddr_in6 in6(const char* addr, std::uint16_t port) {
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(port);
  inet_pton(AF_INET6, addr, &a.sin6_addr);
  return a;
}

// The steps, in the order run_workload() performs them.
std::vector<Step> steps(const Ports& p) {
  const Labels tcp4 = sock("inet", "stream", "tcp"), udp4 = sock("inet", "dgram", "udp");
  const Labels tcp6 = sock("inet6", "stream", "tcp"), udp6 = sock("inet6", "dgram", "udp");
  const Labels unix_stream = sock("unix", "stream", "0"), unix_dgram = sock("unix", "dgram", "0");
  const Labels nl_route = sock("netlink", "raw", "route");
  const std::string exact = std::to_string(p.exact);
  const std::string reg = port_class(p.registered), dyn = port_class(p.dynamic);
  return {
      // IPv4 TCP: listener on an exact port, a client, accept.
      {"create", tcp4},
      {"setsockopt", with(tcp4, {{"level", "SOL_SOCKET"}, {"optname", "SO_REUSEADDR"}})},
      {"bind", with(tcp4, {{"port", exact}})},
      {"listen", with(tcp4, {{"port", exact}})},
      {"create", tcp4},
      {"connect", with(tcp4, {{"port", exact}, {"peer", "loopback"}})},
      {"accept", with(tcp4, {{"port", exact}})},
      {"setsockopt", with(tcp4, {{"level", "IPPROTO_TCP"}, {"optname", "TCP_NODELAY"}})},
      {"setsockopt", with(tcp4, {{"level", "SOL_SOCKET"}, {"optname", "9999"}})},
      // IPv4 UDP: bound to a registered port, connected to an unspecified peer.
      {"create", udp4},
      {"bind", with(udp4, {{"port", reg}})},
      {"connect", with(udp4, {{"port", dyn}, {"peer", "unspecified"}})},
      {"setsockopt", with(udp4, {{"level", "IPPROTO_IP"}, {"optname", "IP_TOS"}})},
      // IPv6 TCP on a dynamic port.
      {"create", tcp6},
      {"setsockopt", with(tcp6, {{"level", "IPPROTO_IPV6"}, {"optname", "IPV6_V6ONLY"}})},
      {"bind", with(tcp6, {{"port", dyn}})},
      {"listen", with(tcp6, {{"port", dyn}})},
      {"create", tcp6},
      {"connect", with(tcp6, {{"port", dyn}, {"peer", "loopback"}})},
      {"accept", with(tcp6, {{"port", dyn}})},
      // A refused connect: nothing listens on TCP at the registered port.
      {"create", tcp4},
      {"connect", with(tcp4, {{"port", reg}, {"peer", "loopback"}})},
      // IPv4-mapped IPv6 peer is classified as IPv4.
      {"create", udp6},
      {"connect", with(udp6, {{"port", "53"}, {"peer", "loopback"}})},
      // Unix stream: bind, listen, connect, accept, an option; a unix datagram socket.
      {"create", unix_stream},
      {"bind", unix_stream},
      {"listen", unix_stream},
      {"create", unix_stream},
      {"connect", unix_stream},
      {"accept", unix_stream},
      {"setsockopt", with(unix_stream, {{"level", "SOL_SOCKET"}, {"optname", "SO_KEEPALIVE"}})},
      {"create", unix_dgram},
      // socketpair(2) creates two sockets.
      {"create", unix_stream, 2},
      // Netlink: route (protocol 0) and sock_diag.
      {"create", nl_route},
      {"bind", nl_route},
      {"setsockopt", with(nl_route, {{"level", "SOL_NETLINK"}, {"optname", "NETLINK_EXT_ACK"}})},
      {"create", sock("netlink", "dgram", "sock_diag")},
      // Flags are not part of the type; protocol given explicitly.
      {"create", udp4, 5},
      // Outcomes stay the kernel's: a port in use is EADDRINUSE; without CAP_NET_BIND_SERVICE a
      // privileged port is EACCES (or, where the exact port is not privileged, EADDRINUSE
      // again): either way a bind call with the same labels.
      {"create", tcp4},
      {"bind", with(tcp4, {{"port", exact}})},
      {"create", tcp4},
      {"bind", with(tcp4, {{"port", exact}})},
  };
}

// Runs a check; throws with the operation's name and errno when it fails.
void must(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what + ": " + sle::errno_text(errno));
}

class Fd {
 public:
  explicit Fd(int fd, const std::string& what) : fd_(fd) { must(fd >= 0, what); }
  ~Fd() { ::close(fd_); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

template <typename A>
void bind_to(const Fd& fd, const A& addr, const std::string& what) {
  must(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0, what);
}

template <typename A>
int connect_to(const Fd& fd, const A& addr) {
  return ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
}

void set_int(const Fd& fd, int level, int opt, const std::string& what) {
  const int one = 1;
  must(::setsockopt(fd.get(), level, opt, &one, sizeof one) == 0, what);
}

// Free for a bind without SO_REUSEADDR (so not even in TIME_WAIT from an earlier run).
// Drops CAP_NET_BIND_SERVICE from this process's effective set (the test runs as root).
void drop_net_bind_service() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
  must(::syscall(SYS_capget, &header, data) == 0, "capget");
  data[CAP_TO_INDEX(CAP_NET_BIND_SERVICE)].effective &= ~CAP_TO_MASK(CAP_NET_BIND_SERVICE);
  must(::syscall(SYS_capset, &header, data) == 0, "capset");
}

// The lowest port a bind needs no CAP_NET_BIND_SERVICE for (net.ipv4.ip_unprivileged_port_start
// of this network namespace: 1024 by default, 0 in some container setups).
int unprivileged_port_start() {
  std::ifstream in("/proc/sys/net/ipv4/ip_unprivileged_port_start");
  int start = 1024;
  if (!(in >> start)) return 1024;  // before Linux 4.11: fixed at 1024
  return start;
}

// Throws unless a call's result `rc` and the errno it left `err` are a failure with `expected`.
void must_fail_with(int rc, int err, int expected, const std::string& what) {
  if (rc == -1 && err == expected) return;
  throw std::runtime_error(what + ": got " +
                           (rc == -1 ? std::string(sle::errno_text(err)) : "success"));
}

bool port_free(int family, int type, std::uint16_t port) {
  const int fd = ::socket(family, type, 0);
  bool ok;
  if (family == AF_INET) {
    const sockaddr_in a = in4("0.0.0.0", port);
    ok = ::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
  } else {
    const sockaddr_in6 a = in6("::", port);
    ok = ::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
  }
  ::close(fd);
  return ok;
}

std::uint16_t free_port(std::uint16_t first, std::uint16_t last) {
  for (std::uint32_t port = first; port <= last; ++port) {
    const auto p = static_cast<std::uint16_t>(port);
    if (port_free(AF_INET, SOCK_STREAM, p) && port_free(AF_INET, SOCK_DGRAM, p) &&
        port_free(AF_INET6, SOCK_STREAM, p))
      return p;
  }
  throw std::runtime_error("no free port in " + std::to_string(first) + "-" + std::to_string(last));
}

}  // namespace

Ports find_free_ports() {
  // The dynamic port above the default ephemeral range (32768-60999), where an outgoing
  // connection could take it meanwhile.
  return {free_port(1000, 1023), free_port(20000, 30000), free_port(61000, 65535)};
}

std::string series_key(const std::string& name, const Labels& labels) {
  std::string out = name + "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    out += (first ? "" : ",") + k + "=\"" + v + "\"";
    first = false;
  }
  return out + "}";
}

std::string outcome_under(const std::string& backend) {
  return backend == "tracepoint" ? "unknown" : "allowed";
}

Expected expected_series(const Ports& ports, const std::string& outcome) {
  Expected out;
  for (const Step& s : steps(ports))
    out[series_key("socket_lsm_" + s.hook + "_total",
                   outcome.empty() ? s.labels : with(s.labels, {{"outcome", outcome}}))] += s.times;
  return out;
}

Expected expected_series(const Ports& ports) {
  const std::string backend = expected_backend();
  if (backend.empty())
    throw std::runtime_error("the outcome label depends on the backend: set $SLE_EXPECT_BACKEND");
  return expected_series(ports, outcome_under(backend));
}

std::string run_workload(const Ports& p) try {
  // IPv4 TCP.
  const Fd l4(::socket(AF_INET, SOCK_STREAM, 0), "socket inet stream");
  set_int(l4, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR");
  bind_to(l4, in4("127.0.0.1", p.exact), "bind exact port");
  must(::listen(l4.get(), 16) == 0, "listen inet");
  const Fd c4(::socket(AF_INET, SOCK_STREAM, 0), "socket inet client");
  must(connect_to(c4, in4("127.0.0.1", p.exact)) == 0, "connect inet");
  const Fd a4(::accept(l4.get(), nullptr, nullptr), "accept inet");
  set_int(c4, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY");
  const int one = 1;
  must(::setsockopt(c4.get(), SOL_SOCKET, 9999, &one, sizeof one) == -1 && errno == ENOPROTOOPT,
       "unknown option must fail with ENOPROTOOPT");
  // IPv4 UDP.
  const Fd u4(::socket(AF_INET, SOCK_DGRAM, 0), "socket inet dgram");
  bind_to(u4, in4("0.0.0.0", p.registered), "bind udp registered port");
  must(connect_to(u4, in4("0.0.0.0", p.dynamic)) == 0, "connect udp unspecified");
  set_int(u4, IPPROTO_IP, IP_TOS, "IP_TOS");
  // IPv6 TCP.
  const Fd l6(::socket(AF_INET6, SOCK_STREAM, 0), "socket inet6 stream");
  set_int(l6, IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY");
  bind_to(l6, in6("::1", p.dynamic), "bind inet6 dynamic port");
  must(::listen(l6.get(), 16) == 0, "listen inet6");
  const Fd c6(::socket(AF_INET6, SOCK_STREAM, 0), "socket inet6 client");
  must(connect_to(c6, in6("::1", p.dynamic)) == 0, "connect inet6");
  const Fd a6(::accept4(l6.get(), nullptr, nullptr, SOCK_CLOEXEC), "accept4 inet6");
  // Refused connect.
  const Fd r4(::socket(AF_INET, SOCK_STREAM, 0), "socket inet refused");
  must(connect_to(r4, in4("127.0.0.1", p.registered)) == -1 && errno == ECONNREFUSED,
       "connect to a closed port must fail with ECONNREFUSED");
  // IPv4-mapped peer.
  const Fd m6(::socket(AF_INET6, SOCK_DGRAM, 0), "socket inet6 dgram");
  // With the RFC 2133 length (24, no scope id), which the kernel accepts too.
  const sockaddr_in6 mapped = in6("::ffff:127.0.0.1", 53);
  must(::connect(m6.get(), reinterpret_cast<const sockaddr*>(&mapped), 24) == 0,
       "connect v4-mapped, 24-byte address");
  // Unix.
  const Fd us(::socket(AF_UNIX, SOCK_STREAM, 0), "socket unix");
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  const std::string name = "sle-test-" + std::to_string(::getpid());
  std::memcpy(un.sun_path + 1, name.data(), name.size());  // abstract: nothing on disk
  const auto un_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  must(::bind(us.get(), reinterpret_cast<const sockaddr*>(&un), un_len) == 0, "bind unix");
  must(::listen(us.get(), 4) == 0, "listen unix");
  const Fd uc(::socket(AF_UNIX, SOCK_STREAM, 0), "socket unix client");
  must(::connect(uc.get(), reinterpret_cast<const sockaddr*>(&un), un_len) == 0, "connect unix");
  const Fd ua(::accept(us.get(), nullptr, nullptr), "accept unix");
  set_int(uc, SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE unix");
  const Fd ud(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), "socket unix dgram");
  int pair[2];
  must(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0, "socketpair");
  const Fd pair0(pair[0], "socketpair 0"), pair1(pair[1], "socketpair 1");
  // Netlink.
  const Fd nl(::socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE), "socket netlink route");
  sockaddr_nl snl{};
  snl.nl_family = AF_NETLINK;
  bind_to(nl, snl, "bind netlink");
  set_int(nl, SOL_NETLINK, NETLINK_EXT_ACK, "NETLINK_EXT_ACK");
  const Fd diag(::socket(AF_NETLINK, SOCK_DGRAM, NETLINK_SOCK_DIAG), "socket netlink sock_diag");
  for (int i = 0; i < 5; ++i)
    const Fd u(::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, IPPROTO_UDP), "socket udp flags");
  // Denials.
  const Fd busy(::socket(AF_INET, SOCK_STREAM, 0), "socket inet busy");
  const sockaddr_in exact_addr = in4("127.0.0.1", p.exact);
  must(
      ::bind(busy.get(), reinterpret_cast<const sockaddr*>(&exact_addr), sizeof exact_addr) == -1 &&
          errno == EADDRINUSE,
      "bind to a port in use must fail with EADDRINUSE");
  drop_net_bind_service();
  const Fd unpriv(::socket(AF_INET, SOCK_STREAM, 0), "socket inet unprivileged");
  const int start = unprivileged_port_start();
  const int rc =
      ::bind(unpriv.get(), reinterpret_cast<const sockaddr*>(&exact_addr), sizeof exact_addr);
  const int err = errno;
  const std::string port_and_sysctl =
      "port " + std::to_string(p.exact) +
      " (net.ipv4.ip_unprivileged_port_start=" + std::to_string(start) + ")";
  if (p.exact < start)
    must_fail_with(rc, err, EACCES,
                   "bind to privileged " + port_and_sysctl +
                       " without CAP_NET_BIND_SERVICE must fail with EACCES");
  else
    must_fail_with(rc, err, EADDRINUSE,
                   "bind to unprivileged " + port_and_sysctl +
                       " in use, without CAP_NET_BIND_SERVICE, must fail with EADDRINUSE");
  return "";
} catch (const std::exception& e) {
  return e.what();
}

}  // namespace sle::test
