#include "common/mounts.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <sstream>

namespace sle {
namespace {

// A hybrid-layout host (cgroup v1 controllers plus cgroup2 at /sys/fs/cgroup/unified), with
// optional fields and an escaped mount point.
constexpr const char* kHybridMountinfo =
    "22 27 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
    "23 27 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "27 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro\n"
    "31 23 0:28 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 "
    "cgroup2 rw,nsdelegate\n"
    "33 31 0:30 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup "
    "cgroup rw,xattr,name=systemd\n"
    "34 31 0:31 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:15 - cgroup "
    "cgroup rw,cpu,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:16 - cgroup "
    "cgroup rw,memory\n"
    "40 27 0:40 / /mnt/my\\040disk rw,relatime shared:5 master:1 - ext4 /dev/my\\040dev rw\n"
    "41 27 0:41 / /mnt/tab\\011and\\134slash rw,relatime - tmpfs tmpfs rw\n"
    "42 23 0:12 / /sys/kernel/tracing rw,nosuid,nodev,noexec,relatime - tracefs tracefs rw\n";

std::vector<MountEntry> parse(const std::string& text) {
  std::istringstream in(text);
  return parse_mountinfo(in);
}

TEST(ParseMountinfo, ReadsMountPointTypeAndSource) {
  const auto mounts = parse(kHybridMountinfo);
  ASSERT_EQ(mounts.size(), 11u);
  EXPECT_EQ(mounts[0].mount_point, "/proc");
  EXPECT_EQ(mounts[0].fs_type, "proc");
  EXPECT_EQ(mounts[0].source, "proc");
  EXPECT_EQ(mounts[2].mount_point, "/");
  EXPECT_EQ(mounts[2].fs_type, "ext4");
  EXPECT_EQ(mounts[2].source, "/dev/vda1");
  EXPECT_EQ(mounts[4].mount_point, "/sys/fs/cgroup/unified");
  EXPECT_EQ(mounts[4].fs_type, "cgroup2");
  EXPECT_EQ(mounts[6].mount_point, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(mounts[6].fs_type, "cgroup");
}

TEST(ParseMountinfo, HandlesSeveralOptionalFields) {
  const auto mounts = parse(kHybridMountinfo);
  ASSERT_EQ(mounts.size(), 11u);
  EXPECT_EQ(mounts[8].fs_type, "ext4");
  EXPECT_EQ(mounts[8].source, "/dev/my dev");
}

TEST(ParseMountinfo, HandlesNoOptionalFields) {
  const auto mounts = parse("50 27 0:50 / /mnt/x rw - tmpfs none rw\n");
  ASSERT_EQ(mounts.size(), 1u);
  EXPECT_EQ(mounts[0].mount_point, "/mnt/x");
  EXPECT_EQ(mounts[0].fs_type, "tmpfs");
  EXPECT_EQ(mounts[0].source, "none");
}

TEST(ParseMountinfo, UnescapesOctal) {
  const auto mounts = parse(kHybridMountinfo);
  ASSERT_EQ(mounts.size(), 11u);
  EXPECT_EQ(mounts[8].mount_point, "/mnt/my disk");
  EXPECT_EQ(mounts[9].mount_point, "/mnt/tab\tand\\slash");
}

TEST(ParseMountinfo, KeepsIncompleteEscapesLiterally) {
  const auto mounts = parse(
      "50 27 0:50 / /mnt/a\\04 rw - tmpfs none rw\n"
      "51 27 0:51 / /mnt/b\\9 rw - tmpfs none rw\n");
  ASSERT_EQ(mounts.size(), 2u);
  EXPECT_EQ(mounts[0].mount_point, "/mnt/a\\04");
  EXPECT_EQ(mounts[1].mount_point, "/mnt/b\\9");
}

TEST(ParseMountinfo, SkipsMalformedLines) {
  const auto mounts = parse(
      "\n"
      "garbage\n"
      "50 27 0:50 / /mnt/x rw shared:1\n"
      "51 27 0:51 / /mnt/y rw - tmpfs\n"
      "52 27 0:52 / /mnt/z rw - tmpfs none rw\n");
  ASSERT_EQ(mounts.size(), 1u);
  EXPECT_EQ(mounts[0].mount_point, "/mnt/z");
}

TEST(ParseMountinfo, EmptyInput) { EXPECT_TRUE(parse("").empty()); }

TEST(FindMount, PicksCgroup2NotCgroupV1) {
  const auto mounts = parse(kHybridMountinfo);
  EXPECT_EQ(find_mount(mounts, "cgroup2"), "/sys/fs/cgroup/unified");
  EXPECT_EQ(find_mount(mounts, "cgroup"), "/sys/fs/cgroup/systemd");
  EXPECT_EQ(find_mount(mounts, "tracefs"), "/sys/kernel/tracing");
}

TEST(FindMount, MissingTypeIsNullopt) {
  const auto mounts = parse(kHybridMountinfo);
  EXPECT_EQ(find_mount(mounts, "bpf"), std::nullopt);
  EXPECT_EQ(find_mount(mounts, "securityfs"), std::nullopt);
  EXPECT_EQ(find_mount({}, "cgroup2"), std::nullopt);
}

TEST(FindMount, FirstOfSeveral) {
  const auto mounts = parse(
      "60 27 0:60 / /a rw - bpf bpf rw\n"
      "61 27 0:61 / /b rw - bpf bpf rw\n");
  EXPECT_EQ(find_mount(mounts, "bpf"), "/a");
}

TEST(ReadMountinfo, SeesTheRootFilesystem) {
  // In a chroot (or a container's root that is a plain directory) / is no mount point, and no
  // line of mountinfo names it.
  struct statx root {};
  if (::statx(AT_FDCWD, "/", 0, STATX_BASIC_STATS, &root) == 0 &&
      (root.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
      !(root.stx_attributes & STATX_ATTR_MOUNT_ROOT))
    GTEST_SKIP() << "SKIPPED: / is not a mount point here (a chroot?), so mountinfo has no line "
                    "for it";
  const auto mounts = read_mountinfo();
  bool has_root = false;
  for (const auto& m : mounts) has_root = has_root || m.mount_point == "/";
  EXPECT_TRUE(has_root);
}

TEST(EnsureMounted, ReturnsAnExistingMountWithoutMounting) {
  // proc is mounted wherever these tests run; the default path must not be touched.
  EXPECT_EQ(ensure_mounted("proc", "/nonexistent/should-not-be-created"), "/proc");
}

}  // namespace
}  // namespace sle
