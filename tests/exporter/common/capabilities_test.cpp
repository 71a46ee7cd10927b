// Dropping capabilities, in a child process (needs root): afterwards the effective and permitted
// sets are empty (but for CAP_BPF permitted when kept), no_new_privs is set, and a kept CAP_BPF
// becomes effective only in the thread that asks.
#include "common/capabilities.h"

#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

namespace sle {
namespace {

// A field of /proc/thread-self/status ("CapEff" -> "0000000000000000").
std::string status_field(const std::string& name) {
  std::ifstream in("/proc/thread-self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(name + ":", 0) == 0)
      return line.substr(line.find_first_not_of(" \t", name.size() + 1));
  return "";
}

// Runs fn in a child process; its exit status (what fn returned, 255 on an exception).
int in_child(int (*fn)()) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    int rc = 255;
    try {
      rc = fn();
    } catch (...) {
    }
    ::_exit(rc);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 254;
}

constexpr const char* kNone = "0000000000000000";
constexpr const char* kOnlyBpf = "0000008000000000";  // bit 39, CAP_BPF

TEST(Capabilities, DropAllLeavesNothing) {
  if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: dropping capabilities means having them";
  EXPECT_EQ(in_child([] {
              capabilities::drop_all(false);
              if (status_field("CapEff") != kNone) return 1;
              if (status_field("CapPrm") != kNone) return 2;
              if (status_field("CapInh") != kNone) return 3;
              if (status_field("CapAmb") != kNone) return 4;
              if (status_field("CapBnd") != kNone) return 5;
              if (::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) return 6;
              capabilities::enable_bpf_for_this_thread();  // nothing kept: nothing raised
              return status_field("CapEff") == kNone ? 0 : 7;
            }),
            0);
}

TEST(Capabilities, AKeptCapBpfIsRaisedOnlyInTheThreadThatAsks) {
  if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: dropping capabilities means having them";
  EXPECT_EQ(in_child([] {
              capabilities::drop_all(true);
              if (status_field("CapEff") != kNone) return 1;
              if (status_field("CapPrm") != kOnlyBpf) return 2;
              std::string other;
              std::thread([&other] {
                capabilities::enable_bpf_for_this_thread();
                other = status_field("CapEff");
              }).join();
              if (other != kOnlyBpf) return 3;
              return status_field("CapEff") == kNone ? 0 : 4;  // this thread: still none
            }),
            0);
}

TEST(Capabilities, MapReadsNeedCapBpfBefore519) {
  // This machine's kernel is 6.18.
  utsname u{};
  ASSERT_EQ(::uname(&u), 0);
  int major = 0, minor = 0;
  ASSERT_EQ(std::sscanf(u.release, "%d.%d", &major, &minor), 2);
  EXPECT_EQ(capabilities::map_reads_need_cap_bpf(), major < 5 || (major == 5 && minor < 19));
}

}  // namespace
}  // namespace sle
