// fanotify on the real cgroup2 mount (needs root): a cgroup made and removed is heard as a birth
// by parent and name, and a death with its own id.
#include "cgroups/fanotify_events.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "common/mounts.h"

namespace sle {
namespace {

TEST(FanotifyEvents, HearsACgroupMadeAndRemoved) {
  if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: fanotify on a filesystem needs root";
  const auto mount = find_mount(read_mountinfo(), "cgroup2");
  ASSERT_TRUE(mount);
  std::unique_ptr<FanotifyEvents> events;
  try {
    events = std::make_unique<FanotifyEvents>(*mount);
  } catch (const SystemError& e) {
    GTEST_SKIP() << "SKIPPED: this kernel's cgroupfs has no fanotify file ids: " << e.what();
  }
  struct stat root {};
  ASSERT_EQ(::stat(mount->c_str(), &root), 0);
  const std::string name = "sle-fanotify-" + std::to_string(::getpid());
  const std::string dir = *mount + "/" + name;
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  struct stat st {};
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  ASSERT_EQ(::rmdir(dir.c_str()), 0);

  pollfd pfd{events->wait_fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&pfd, 1, 5000), 1) << "no event within 5 s";
  std::vector<CgroupEvent> seen;
  events->drain([&](const CgroupEvent& e) {
    if (e.name == name) seen.push_back(e);
  });
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].kind, CgroupEvent::Kind::born);
  EXPECT_EQ(seen[0].parent_id, root.st_ino);
  EXPECT_EQ(seen[1].kind, CgroupEvent::Kind::died);
  EXPECT_EQ(seen[1].id, st.st_ino);
  EXPECT_EQ(seen[1].parent_id, root.st_ino);
  EXPECT_FALSE(events->lost_events());
}

}  // namespace
}  // namespace sle
