#include "cgroups/cgroup_resolver.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/error.h"

namespace sle {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Counts the walks, to tell a lookup answered from the cache from one that walked the tree.
class CountingResolver : public CgroupResolver {
 public:
  using CgroupResolver::CgroupResolver;
  std::size_t walks() const { return walks_; }

 protected:
  void walk() override {
    ++walks_;
    CgroupResolver::walk();
  }

 private:
  std::size_t walks_ = 0;
};

// A scratch directory standing in for the cgroup2 mount, removed afterwards.
class CgroupResolverTest : public ::testing::Test {
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

  fs::path root_;
};

TEST_F(CgroupResolverTest, ResolvesDirectoriesToRelativePaths) {
  const auto system_slice = mkdir("/system.slice");
  const auto nginx = mkdir("/system.slice/nginx.service");
  const auto pod = mkdir("/kubepods/burstable/pod1234");
  const auto spaced = mkdir("/odd name/with space");

  CountingResolver resolver(root_.string(), 0s);
  EXPECT_EQ(resolver.path(ino("/")), "/");
  EXPECT_EQ(resolver.path(system_slice), "/system.slice");
  EXPECT_EQ(resolver.path(nginx), "/system.slice/nginx.service");
  EXPECT_EQ(resolver.path(pod), "/kubepods/burstable/pod1234");
  EXPECT_EQ(resolver.path(ino("/kubepods/burstable")), "/kubepods/burstable");
  EXPECT_EQ(resolver.path(spaced), "/odd name/with space");
  EXPECT_EQ(resolver.walks(), 1u);  // everything came from the first walk
}

TEST_F(CgroupResolverTest, IgnoresFilesAndSymlinks) {
  mkdir("/a");
  const fs::path file = root_ / "a" / "cgroup.procs";
  { std::ofstream(file) << "1\n"; }
  fs::create_directory_symlink(root_ / "a", root_ / "link");
  const auto file_ino = ino("/a/cgroup.procs");

  CountingResolver resolver(root_.string(), 0s);
  EXPECT_EQ(resolver.path(ino("/a")), "/a");
  EXPECT_EQ(resolver.path(file_ino), std::nullopt);
  EXPECT_EQ(resolver.path(ino("/link")), std::nullopt);
}

TEST_F(CgroupResolverTest, UnknownIdIsNullopt) {
  mkdir("/a");
  CountingResolver resolver(root_.string(), 0s);
  EXPECT_EQ(resolver.path(0), std::nullopt);
  EXPECT_EQ(resolver.path(~std::uint64_t{0}), std::nullopt);
}

TEST_F(CgroupResolverTest, FindsDirectoryCreatedAfterFirstWalk) {
  const auto a = mkdir("/a");
  CountingResolver resolver(root_.string(), 0s);
  EXPECT_EQ(resolver.path(a), "/a");
  EXPECT_EQ(resolver.walks(), 1u);

  const auto b = mkdir("/a/b");
  EXPECT_EQ(resolver.path(b), "/a/b");
  EXPECT_EQ(resolver.walks(), 2u);
  EXPECT_EQ(resolver.path(a), "/a");  // a hit does not walk
  EXPECT_EQ(resolver.walks(), 2u);
}

TEST_F(CgroupResolverTest, MissesWithinIntervalDoNotRewalk) {
  mkdir("/a");
  CountingResolver resolver(root_.string(), 1h);
  EXPECT_EQ(resolver.path(12345678), std::nullopt);
  EXPECT_EQ(resolver.walks(), 1u);
  EXPECT_EQ(resolver.path(12345678), std::nullopt);
  EXPECT_EQ(resolver.walks(), 1u);

  // A new cgroup stays unknown until the interval has passed.
  const auto b = mkdir("/b");
  EXPECT_EQ(resolver.path(b), std::nullopt);
  EXPECT_EQ(resolver.walks(), 1u);
}

TEST_F(CgroupResolverTest, RemovedDirectoryKeepsItsPath) {
  const auto gone = mkdir("/kubepods/pod1/ctr");
  CountingResolver resolver(root_.string(), 0s);
  EXPECT_EQ(resolver.path(gone), "/kubepods/pod1/ctr");

  // Created before the removal: unlike kernfs ids, a scratch filesystem reuses inode numbers.
  const auto fresh = mkdir("/fresh");
  fs::remove_all(root_ / "kubepods");
  EXPECT_EQ(resolver.path(fresh), "/fresh");  // re-walks a tree without the old directory
  EXPECT_EQ(resolver.walks(), 2u);
  EXPECT_EQ(resolver.path(gone), "/kubepods/pod1/ctr");
}

TEST_F(CgroupResolverTest, SkipsUnreadableDirectories) {
  const auto a = mkdir("/a");
  const auto locked = mkdir("/locked");
  mkdir("/locked/inner");
  fs::permissions(root_ / "locked", fs::perms::none);
  CountingResolver resolver(root_.string(), 0s);
  EXPECT_EQ(resolver.path(a), "/a");
  // As root the directory stays readable; either way the walk must not fail.
  if (::geteuid() != 0) {
    EXPECT_EQ(resolver.path(locked), std::nullopt);
  }
  fs::permissions(root_ / "locked", fs::perms::owner_all);
}

TEST(CgroupResolver, RejectsMissingRoot) {
  EXPECT_THROW(CgroupResolver("/nonexistent/cgroup/root", 0s), SystemError);
}

}  // namespace
}  // namespace sle
