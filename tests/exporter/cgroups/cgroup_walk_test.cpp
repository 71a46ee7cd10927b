#include "cgroups/cgroup_walk.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "common/error.h"

namespace sle {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A scratch directory standing in for the cgroup2 mount, removed afterwards.
class CgroupWalkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "cgroup_resolver_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
  }

  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::uint64_t mkdir(const std::string& rel) {
    fs::create_directories(root_ / rel.substr(1));
    return ino(rel);
  }

  std::uint64_t ino(const std::string& rel) const {
    struct stat st {};
    const fs::path p = rel == "/" ? root_ : root_ / rel.substr(1);
    EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
    return st.st_ino;
  }

  // Every id the walk finds, with its path.
  std::map<std::uint64_t, std::string> walk() const {
    std::map<std::uint64_t, std::string> found;
    walk_cgroups(root_.string(), [&](std::uint64_t id, const std::string& path) {
      EXPECT_TRUE(found.emplace(id, path).second) << "twice: " << path;
    });
    return found;
  }

  fs::path root_;
};

TEST_F(CgroupWalkTest, FindsEveryDirectoryWithItsRelativePath) {
  const auto system_slice = mkdir("/system.slice");
  const auto nginx = mkdir("/system.slice/nginx.service");
  const auto pod = mkdir("/kubepods/burstable/pod1234");
  const auto spaced = mkdir("/odd name/with space");
  const std::map<std::uint64_t, std::string> expected = {
      {ino("/"), "/"},
      {system_slice, "/system.slice"},
      {nginx, "/system.slice/nginx.service"},
      {ino("/kubepods"), "/kubepods"},
      {ino("/kubepods/burstable"), "/kubepods/burstable"},
      {pod, "/kubepods/burstable/pod1234"},
      {ino("/odd name"), "/odd name"},
      {spaced, "/odd name/with space"}};
  EXPECT_EQ(walk(), expected);
}

TEST_F(CgroupWalkTest, IgnoresFilesAndSymlinks) {
  mkdir("/a");
  { std::ofstream(root_ / "a" / "cgroup.procs") << "1\n"; }
  fs::create_directory_symlink(root_ / "a", root_ / "link");
  const std::map<std::uint64_t, std::string> expected = {{ino("/"), "/"}, {ino("/a"), "/a"}};
  EXPECT_EQ(walk(), expected);
}

TEST_F(CgroupWalkTest, SkipsUnreadableDirectories) {
  mkdir("/a");
  mkdir("/locked/inner");
  fs::permissions(root_ / "locked", fs::perms::none);
  const auto found = walk();  // as root the directory stays readable; either way no failure
  EXPECT_TRUE(found.contains(ino("/a")));
  fs::permissions(root_ / "locked", fs::perms::owner_all);
}

TEST_F(CgroupWalkTest, IdAtAPath) {
  const auto a = mkdir("/a/b");
  EXPECT_EQ(cgroup_id_at(root_.string(), "/a/b"), a);
  EXPECT_EQ(cgroup_id_at(root_.string(), "/"), ino("/"));
  EXPECT_EQ(cgroup_id_at(root_.string(), "/missing"), 0u);
  { std::ofstream(root_ / "file") << "x"; }
  EXPECT_EQ(cgroup_id_at(root_.string(), "/file"), 0u);  // not a directory
}

TEST(CgroupWalk, MissingRootIsASystemError) {
  try {
    walk_cgroups("/nonexistent/cgroup/root", [](std::uint64_t, const std::string&) {});
    FAIL() << "no error";
  } catch (const SystemError& e) {
    EXPECT_STREQ(e.what(),
                 "opening the cgroup2 mount /nonexistent/cgroup/root: No such file or directory");
  }
}

}  // namespace
}  // namespace sle
