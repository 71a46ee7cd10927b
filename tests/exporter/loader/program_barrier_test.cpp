// The program barrier (root): made once, waited on as often as a reader reads, from any thread.
// That a wait outlasts every running program is the kernel's promise for map-of-maps updates;
// the stress tests (tests/integration/stress_test.cpp, preempt=full in the VM suite) would lose
// counts without it.
#include "loader/program_barrier.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

namespace sle {
namespace {

TEST(ProgramBarrier, WaitsAgainAndAgainFromAnyThread) {
  if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: creating BPF maps needs root";
  const ProgramBarrier barrier;
  for (int i = 0; i < 20; ++i) EXPECT_NO_THROW(barrier.wait());
  std::thread other([&] { EXPECT_NO_THROW(barrier.wait()); });
  other.join();
}

}  // namespace
}  // namespace sle
