// The cgroup tracepoints on the real kernel (needs root): a cgroup made and removed arrives with
// its id and its path, the removal with the same id.
#include "loader/cgroup_tracepoint.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "common/mounts.h"

namespace sle {
namespace {

TEST(CgroupTracepoint, SendsIdAndPathOfACgroupMadeAndRemoved) {
  if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: loading BPF programs needs root";
  const auto mount = find_mount_entry(read_mountinfo(), "cgroup2");
  ASSERT_TRUE(mount);
  CgroupTracepoint events;
  EXPECT_EQ(events.method(), "tracepoint");
  const std::string path = "/sle-tracepoint-" + std::to_string(::getpid());
  const std::string dir = mount->mount_point + path;
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  struct stat st {};
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  ASSERT_EQ(::rmdir(dir.c_str()), 0);

  pollfd pfd{events.wait_fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&pfd, 1, 5000), 1) << "no event within 5 s";
  std::vector<CgroupEvent> seen;
  events.drain([&](const CgroupEvent& e) {
    if (e.id == st.st_ino) seen.push_back(e);
  });
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].kind, CgroupEvent::Kind::born);
  EXPECT_EQ(seen[0].path, path);  // the mount shows the whole hierarchy here
  EXPECT_EQ(seen[1].kind, CgroupEvent::Kind::died);
  EXPECT_EQ(seen[1].path, path);
  EXPECT_FALSE(events.lost_events());
}

}  // namespace
}  // namespace sle
