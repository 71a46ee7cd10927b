// Pinning on a bpf filesystem of the test's own (needs root): the layout directory, maps used
// again only all together and only when they match, other layouts reported, and the state blob.
#include "loader/pinning.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>

#include "common/error.h"
#include "hooks/hook_table.h"
#include "loader/hook_object.h"

namespace sle {
namespace {

class PinningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: mounting bpffs and making maps need root";
    char dir[] = "/tmp/sle-pinning-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    bpffs_ = dir;
    ASSERT_EQ(::mount("bpf", bpffs_.c_str(), "bpf", 0, nullptr), 0) << std::strerror(errno);
  }
  void TearDown() override {
    if (bpffs_.empty()) return;
    ::umount2(bpffs_.c_str(), MNT_DETACH);
    ::rmdir(bpffs_.c_str());
  }
  std::string bpffs_;
};

TEST_F(PinningTest, LayoutDirectoryIsMade) {
  EXPECT_EQ(layout_dir(bpffs_ + "/sle"), bpffs_ + "/sle/v1");
  EXPECT_TRUE(std::filesystem::is_directory(bpffs_ + "/sle/v1"));
}

TEST_F(PinningTest, HookMapsAreUsedAgainOnlyWhenEveryOneMatches) {
  const Hook bind = hook_named("bind");
  HookSettings settings;
  settings.max_entries = 64;
  settings.pin_dir = layout_dir(bpffs_ + "/sle") + "/bind";
  {
    const HookObject first(bind, Backend::tracepoint, settings);
    EXPECT_FALSE(first.maps_reused());
  }
  for (const char* map : {"sle_counts_0", "sle_counts_1", "sle_totals"})
    EXPECT_TRUE(std::filesystem::exists(settings.pin_dir + "/" + map)) << map;
  {
    const HookObject again(bind, Backend::tracepoint, settings);
    EXPECT_TRUE(again.maps_reused());
  }
  settings.max_entries = 128;  // the counts maps no longer match; the totals would
  const HookObject changed(bind, Backend::tracepoint, settings);
  EXPECT_FALSE(changed.maps_reused());
  EXPECT_EQ(changed.capacity(), 128u);
}

TEST_F(PinningTest, BlobKeepsWhatWasWrittenLast) {
  const std::string path = layout_dir(bpffs_ + "/sle") + "/state";
  {
    PinnedBlob blob(path);
    EXPECT_EQ(blob.read(), std::nullopt);
    blob.write(std::string(100000, 'x'));  // four chunks
    blob.write("short");                   // the longer one's chunks go
  }
  const PinnedBlob again(path);
  EXPECT_EQ(again.read(), "short");
}

}  // namespace
}  // namespace sle
