#include "hooks/backend.h"

#include <gtest/gtest.h>

namespace sle {
namespace {

TEST(Backend, NamesRoundTripInTableOrder) {
  const char* names[] = {"lsm", "fentry", "kprobe", "tracepoint"};
  ASSERT_EQ(kBackendInfo.size(), std::size(names));
  for (std::size_t i = 0; i < kBackendInfo.size(); ++i) {
    EXPECT_EQ(backend_name(kBackendInfo[i].backend), names[i]);
    EXPECT_EQ(backend_from_name(names[i]), kBackendInfo[i].backend);
  }
  EXPECT_EQ(backend_from_name("auto"), std::nullopt);
  EXPECT_EQ(backend_from_name("ebpf"), std::nullopt);
  EXPECT_EQ(backend_choices(), "auto, lsm, fentry, kprobe or tracepoint");
}

TEST(Backend, AutoTriesFentryKprobeTracepointAndNeverLsm) {
  EXPECT_EQ(kBackendOrder,
            (std::array<Backend, 3>{Backend::fentry, Backend::kprobe, Backend::tracepoint}));
}

TEST(Backend, ProgramsByNameWithAndWithoutTheOutcome) {
  // lsm counts at the return whatever the labels: a BPF LSM program never sees what an earlier
  // LSM refused.
  for (const bool outcome : {false, true}) {
    EXPECT_TRUE(backend_loads(Backend::lsm, outcome, "fexit_socket_bind"));
    EXPECT_FALSE(backend_loads(Backend::lsm, outcome, "fentry_socket_bind"));
    EXPECT_TRUE(backend_loads(Backend::tracepoint, outcome, "tp_sys_enter_bind"));
    EXPECT_FALSE(backend_loads(Backend::tracepoint, outcome, "kprobe_socket_bind"));
  }
  EXPECT_TRUE(backend_loads(Backend::fentry, false, "fentry_socket_bind"));
  EXPECT_FALSE(backend_loads(Backend::fentry, false, "fexit_socket_bind"));
  EXPECT_TRUE(backend_loads(Backend::fentry, true, "fexit_socket_bind"));
  EXPECT_FALSE(backend_loads(Backend::fentry, true, "fentry_socket_bind"));
  EXPECT_TRUE(backend_loads(Backend::kprobe, false, "kprobe_socket_bind"));
  EXPECT_FALSE(backend_loads(Backend::kprobe, false, "kret_entry_socket_bind"));
  EXPECT_TRUE(backend_loads(Backend::kprobe, true, "kret_entry_socket_bind"));
  EXPECT_TRUE(backend_loads(Backend::kprobe, true, "kret_exit_socket_bind"));
  EXPECT_FALSE(backend_loads(Backend::kprobe, true, "kprobe_socket_bind"));
  EXPECT_FALSE(backend_loads(Backend::fentry, true, "license"));
}

}  // namespace
}  // namespace sle
