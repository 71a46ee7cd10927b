#include "hooks/backend.h"

#include <gtest/gtest.h>

namespace sle {
namespace {

TEST(Backend, NamesRoundTripInAutoOrder) {
  const char* names[] = {"lsm", "fentry", "kprobe", "tracepoint"};
  for (std::size_t i = 0; i < kBackendOrder.size(); ++i) {
    EXPECT_EQ(backend_name(kBackendOrder[i]), names[i]);
    EXPECT_EQ(backend_from_name(names[i]), kBackendOrder[i]);
  }
  EXPECT_EQ(backend_from_name("auto"), std::nullopt);
  EXPECT_EQ(backend_from_name("ebpf"), std::nullopt);
}

TEST(Backend, ProgramSectionsMapToTheirFlavour) {
  EXPECT_EQ(backend_of_section("lsm/socket_bind"), Backend::lsm);
  EXPECT_EQ(backend_of_section("fentry/security_socket_bind"), Backend::fentry);
  EXPECT_EQ(backend_of_section("kprobe/security_socket_bind"), Backend::kprobe);
  EXPECT_EQ(backend_of_section("tracepoint/syscalls/sys_enter_bind"), Backend::tracepoint);
  EXPECT_EQ(backend_of_section(".maps"), std::nullopt);
  EXPECT_EQ(backend_of_section("license"), std::nullopt);
}

}  // namespace
}  // namespace sle
