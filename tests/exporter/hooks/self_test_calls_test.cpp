// The self-test's socket calls: harmless (no descriptor left open, nothing blocks) and of the kind
// their hook sees. That each one reaches its hook is checked on the kernel in
// tests/exporter/loader/probing_test.cpp.
#include "hooks/self_test_calls.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "hooks/hook_table.h"

namespace sle {
namespace {

std::size_t open_fds() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
    ++n;
  return n;
}

TEST(SelfTestCalls, LeaveNoDescriptorOpen) {
  for (const HookSpec& hook : kHooks) {
    SCOPED_TRACE(hook.name);
    const std::size_t before = open_fds();
    hook.self_test_call();  // returns: accept finds nothing pending and does not wait
    EXPECT_EQ(open_fds(), before);
  }
}

TEST(SelfTestCalls, LoopbackAddress) {
  const sockaddr_in a = self_test_calls::loopback(9);
  EXPECT_EQ(a.sin_family, AF_INET);
  EXPECT_EQ(a.sin_port, htons(9));
  EXPECT_EQ(a.sin_addr.s_addr, htonl(0x7f000001));
}

TEST(SelfTestCalls, TcpListenerListensOnALoopbackPortWithoutBlocking) {
  const UniqueFd fd = self_test_calls::tcp_listener();
  ASSERT_TRUE(fd);
  int listening = 0;
  socklen_t len = sizeof listening;
  ASSERT_EQ(::getsockopt(fd.get(), SOL_SOCKET, SO_ACCEPTCONN, &listening, &len), 0);
  EXPECT_EQ(listening, 1);
  EXPECT_NE(::fcntl(fd.get(), F_GETFL) & O_NONBLOCK, 0);
  EXPECT_NE(::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC, 0);
  sockaddr_in a{};
  len = sizeof a;
  ASSERT_EQ(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len), 0);
  EXPECT_EQ(a.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
  EXPECT_NE(a.sin_port, 0);  // an ephemeral port
}

TEST(SelfTestCalls, UdpSocket) {
  const UniqueFd fd = self_test_calls::udp_socket();
  ASSERT_TRUE(fd);
  int type = 0;
  socklen_t len = sizeof type;
  ASSERT_EQ(::getsockopt(fd.get(), SOL_SOCKET, SO_TYPE, &type, &len), 0);
  EXPECT_EQ(type, SOCK_DGRAM);
  EXPECT_NE(::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC, 0);
}

}  // namespace
}  // namespace sle
