#include "common/unique_fd.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <utility>

namespace sle {
namespace {

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

int open_null() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

TEST(UniqueFd, ClosesOnDestruction) {
  int raw = -1;
  {
    const UniqueFd fd(open_null());
    raw = fd.get();
    ASSERT_GE(raw, 0);
    EXPECT_TRUE(fd);
    EXPECT_TRUE(is_open(raw));
  }
  EXPECT_FALSE(is_open(raw));
}

TEST(UniqueFd, EmptyAndFailedOpensHoldNothing) {
  EXPECT_EQ(UniqueFd().get(), -1);
  EXPECT_FALSE(UniqueFd());
  const UniqueFd failed(::open("/nonexistent/file", O_RDONLY));
  EXPECT_EQ(failed.get(), -1);
  EXPECT_FALSE(failed);
}

TEST(UniqueFd, MoveLeavesMinusOneAndKeepsTheFdOpen) {
  UniqueFd a(open_null());
  const int raw = a.get();
  UniqueFd b(std::move(a));
  EXPECT_EQ(a.get(), -1);  // NOLINT(bugprone-use-after-move): moved-from state is the contract
  EXPECT_EQ(b.get(), raw);
  EXPECT_TRUE(is_open(raw));

  UniqueFd c(open_null());
  const int replaced = c.get();
  c = std::move(b);        // closes what c held
  EXPECT_EQ(b.get(), -1);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(c.get(), raw);
  EXPECT_FALSE(is_open(replaced));
  EXPECT_TRUE(is_open(raw));
}

TEST(UniqueFd, ResetCloses) {
  UniqueFd fd(open_null());
  const int raw = fd.get();
  fd.reset();
  EXPECT_EQ(fd.get(), -1);
  EXPECT_FALSE(is_open(raw));
  fd.reset();  // twice is harmless
  EXPECT_EQ(fd.get(), -1);
}

}  // namespace
}  // namespace sle
