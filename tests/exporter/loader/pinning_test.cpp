// Pinning on a bpf filesystem of the test's own (needs root): the layout directory, maps used
// again only all together and only when they match, other layouts reported, and the state blob.
#include "loader/pinning.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "hooks/hook_table.h"
#include "loader/hook_object.h"
#include "loader/map_reader.h"

namespace sle {
namespace {

class PinningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: mounting bpffs and making maps need root";
    char dir[] = "/tmp/sle-pinning-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    bpffs_ = dir;
    ASSERT_EQ(::mount("bpf", bpffs_.c_str(), "bpf", 0, nullptr), 0) << sle::errno_text(errno);
  }
  void TearDown() override {
    if (bpffs_.empty()) return;
    ::umount2(bpffs_.c_str(), MNT_DETACH);
    ::rmdir(bpffs_.c_str());
  }
  // Where layout v2 pinned the bind hook's maps.
  std::string v2_dir() const { return bpffs_ + "/sle/v2/bind"; }
  // The bind hook's maps pinned as layout v2 made them, `fill` writing a v2 exporter's counts into
  // them; returns the bind hook's settings of this layout, with v2's directory to convert.
  HookSettings bind_pinned_by_v2(const std::function<void(const HookObject& old)>& fill) const {
    const Hook bind = hook_named("bind");
    HookSettings settings;
    settings.max_entries = 64;
    settings.config.label_mask = spec(bind).labels;
    HookSettings v2 = settings;
    v2.pin_dir = v2_dir();
    fill(HookObject(bind, Backend::tracepoint, v2));
    settings.pin_dir = layout_dir(bpffs_ + "/sle") + "/bind";
    settings.v2_pin_dir = v2_dir();
    return settings;
  }
  std::string bpffs_;
};

TEST_F(PinningTest, APinPathMustBeOnABpfFilesystem) {
  // Itself, or its nearest parent that exists: the exporter makes the rest.
  EXPECT_NO_THROW(require_bpf_filesystem(bpffs_ + "/sle/not/yet", "bpf.pin_path"));
  // /proc is no bpf filesystem, whatever this machine has mounted.
  try {
    require_bpf_filesystem("/proc/sle-pins", "config.yaml:2:13: bpf.pin_path");
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(),
                 "config.yaml:2:13: bpf.pin_path: \"/proc/sle-pins\" is not on a bpf filesystem "
                 "(/proc is not; mount one with: mount -t bpf bpf /sys/fs/bpf)");
  }
}

TEST_F(PinningTest, LayoutDirectoryIsMade) {
  EXPECT_EQ(layout_dir(bpffs_ + "/sle"), bpffs_ + "/sle/v3");
  EXPECT_TRUE(std::filesystem::is_directory(bpffs_ + "/sle/v3"));
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
  for (const char* map : {"sle_counts_0", "sle_counts_1", "sle_totals", "sle_cache"})
    EXPECT_TRUE(std::filesystem::exists(settings.pin_dir + "/" + map)) << map;
  {
    const HookObject again(bind, Backend::tracepoint, settings);
    EXPECT_TRUE(again.maps_reused());
  }
  settings.max_entries = 128;  // the counts maps no longer match; the per-CPU one would
  const HookObject changed(bind, Backend::tracepoint, settings);
  EXPECT_FALSE(changed.maps_reused());
  EXPECT_EQ(changed.capacity(), 128u);
}

// Pins as an exporter of layout v1 left them for one hook: per-CPU counts hashes and totals.
class V1Pins {
 public:
  explicit V1Pins(const std::string& dir) : dir_(dir) {
    std::filesystem::create_directories(dir);
    ncpu_ = static_cast<std::size_t>(libbpf_num_possible_cpus());
    for (const char* name : {"sle_counts_0", "sle_counts_1"})
      pin(UniqueFd(bpf_map_create(BPF_MAP_TYPE_PERCPU_HASH, name, sizeof(sle_key),
                                  sizeof(std::uint64_t), 64, nullptr)),
          name);
    pin(UniqueFd(bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "sle_totals", sizeof(__u32),
                                sizeof(std::uint64_t), 4, nullptr)),
        "sle_totals");
  }
  // A count spread over the CPUs (the first gets what does not divide); returns it.
  std::uint64_t count(std::uint32_t gen, const sle_key& key, std::uint64_t count) {
    std::vector<std::uint64_t> per_cpu(ncpu_, count / ncpu_);
    per_cpu[0] += count % ncpu_;
    const UniqueFd fd(bpf_obj_get((dir_ + "/sle_counts_" + std::to_string(gen)).c_str()));
    EXPECT_EQ(bpf_map_update_elem(fd.get(), &key, per_cpu.data(), BPF_ANY), 0);
    return count;
  }
  // v1's totals: calls, then overflow, per generation; on the last CPU.
  void totals(std::uint32_t gen, std::uint64_t calls, std::uint64_t overflow) {
    const UniqueFd fd(bpf_obj_get((dir_ + "/sle_totals").c_str()));
    std::vector<std::uint64_t> per_cpu(ncpu_, 0);
    for (const auto& [index, value] : {std::pair{gen * 2, calls}, {gen * 2 + 1, overflow}}) {
      per_cpu.back() = value;
      EXPECT_EQ(bpf_map_update_elem(fd.get(), &index, per_cpu.data(), BPF_ANY), 0);
    }
  }

 private:
  void pin(const UniqueFd& fd, const char* name) {
    ASSERT_TRUE(fd) << name;
    ASSERT_EQ(bpf_obj_pin(fd.get(), (dir_ + "/" + name).c_str()), 0) << name;
  }
  std::string dir_;
  std::size_t ncpu_ = 0;
};

sle_key port_key(std::uint16_t port) {
  sle_key k{};
  k.family = 2;
  k.port = port;
  k.port_class = SLE_PORT_EXACT;
  return k;
}

TEST_F(PinningTest, TheMapsOfLayoutV1AreConvertedAndRemoved) {
  const std::string v1_dir = bpffs_ + "/sle/v1/bind";
  V1Pins v1(v1_dir);
  const std::uint64_t a = v1.count(0, port_key(80), 1001);
  const std::uint64_t b = v1.count(0, port_key(22), 7);
  const std::uint64_t c = v1.count(1, port_key(443), 12);
  v1.totals(0, a + b + 5, 3);  // 5: counts an expiry had deleted
  v1.totals(1, c, 0);

  HookSettings settings;
  settings.max_entries = 64;
  settings.pin_dir = layout_dir(bpffs_ + "/sle") + "/bind";
  settings.v1_pin_dir = v1_dir;
  const HookObject object(hook_named("bind"), Backend::tracepoint, settings);
  EXPECT_TRUE(object.maps_reused());
  const auto counts = [&](std::uint32_t g) {
    std::map<std::uint16_t, std::uint64_t> out;
    for (const auto& [key, count] :
         read_generation(object.counts_fd(g), object.cache_fd(), g, object.capacity()))
      out[key.port] = count;
    return out;
  };
  EXPECT_EQ(counts(0), (std::map<std::uint16_t, std::uint64_t>{{22, b}, {80, a}}));
  EXPECT_EQ(counts(1), (std::map<std::uint16_t, std::uint64_t>{{443, c}}));
  EXPECT_EQ(read_totals(object.totals_fd(), 0).calls, a + b + 5);
  EXPECT_EQ(read_totals(object.totals_fd(), 0).overflow, 3u);
  EXPECT_EQ(read_totals(object.totals_fd(), 1).calls, c);
  EXPECT_FALSE(std::filesystem::exists(v1_dir));
  // Pinned in this layout now: a restart uses them as they are.
  const HookObject again(hook_named("bind"), Backend::tracepoint, settings);
  EXPECT_TRUE(again.maps_reused());
  EXPECT_EQ(read_totals(again.totals_fd(), 0).calls, a + b + 5);
}

TEST_F(PinningTest, V1CountsBeyondTheCapacityBecomeOverflow) {
  const std::string v1_dir = bpffs_ + "/sle/v1/bind";
  V1Pins v1(v1_dir);
  const std::uint64_t a = v1.count(0, port_key(80), 10);
  const std::uint64_t b = v1.count(0, port_key(22), 20);
  v1.totals(0, a + b, 0);
  HookSettings settings;
  settings.max_entries = 1;
  settings.pin_dir = layout_dir(bpffs_ + "/sle") + "/bind";
  settings.v1_pin_dir = v1_dir;
  const HookObject object(hook_named("bind"), Backend::tracepoint, settings);
  const auto kept = read_generation(object.counts_fd(0), object.cache_fd(), 0, 1);
  ASSERT_EQ(kept.size(), 1u);
  const Totals totals = read_totals(object.totals_fd(), 0);
  EXPECT_EQ(totals.calls, a + b);
  EXPECT_EQ(kept[0].second + totals.overflow, a + b);  // nothing lost: the invariant holds
}

TEST_F(PinningTest, TheStateKeptByLayoutV1IsConverted) {
  std::filesystem::create_directories(bpffs_ + "/sle/v1");
  PinnedBlob(bpffs_ + "/sle/v1/state").write("{\"kept\": 1}");
  convert_old_state(bpffs_ + "/sle");
  EXPECT_EQ(PinnedBlob(layout_dir(bpffs_ + "/sle") + "/state").read(), "{\"kept\": 1}");
  EXPECT_FALSE(std::filesystem::exists(bpffs_ + "/sle/v1/state"));
  remove_old_dirs_if_empty(bpffs_ + "/sle");
  EXPECT_FALSE(std::filesystem::exists(bpffs_ + "/sle/v1"));
}

TEST_F(PinningTest, TheStateKeptByLayoutV2IsConvertedBeforeV1s) {
  std::filesystem::create_directories(bpffs_ + "/sle/v1");
  std::filesystem::create_directories(bpffs_ + "/sle/v2");
  PinnedBlob(bpffs_ + "/sle/v1/state").write("{\"kept\": 1}");
  PinnedBlob(bpffs_ + "/sle/v2/state").write("{\"kept\": 2}");
  convert_old_state(bpffs_ + "/sle");
  EXPECT_EQ(PinnedBlob(layout_dir(bpffs_ + "/sle") + "/state").read(), "{\"kept\": 2}");
  EXPECT_FALSE(std::filesystem::exists(bpffs_ + "/sle/v2/state"));
}

// Layout v2 made the maps this layout makes; its keys had no outcome. Counts in the hash and in a
// slot of the cache (not yet emptied when that exporter stopped) both go on, under keys whose
// outcome is unknown, since the hook keeps the outcome label.
TEST_F(PinningTest, TheMapsOfLayoutV2AreConvertedWithTheOutcomeUnknown) {
  const Hook bind = hook_named("bind");
  const auto ncpu = static_cast<std::size_t>(libbpf_num_possible_cpus());
  const HookSettings settings = bind_pinned_by_v2([&](const HookObject& old) {
    const std::uint64_t in_hash = 5, slot_80 = 3, hash_80 = 2;
    for (const auto& [port, count] : {std::pair{22, in_hash}, {80, hash_80}}) {
      const sle_key key = port_key(static_cast<std::uint16_t>(port));
      ASSERT_EQ(bpf_map_update_elem(old.counts_fd(0), &key, &count, BPF_ANY), 0);
    }
    std::vector<sle_cache> caches(ncpu);
    caches.back().slots[7].key = port_key(80);
    caches.back().slots[7].count = slot_80;
    const std::uint32_t gen = 0;
    ASSERT_EQ(bpf_map_update_elem(old.cache_fd(), &gen, caches.data(), BPF_ANY), 0);
    std::vector<sle_totals> totals(ncpu);
    totals[0].calls = in_hash + slot_80 + hash_80 + 1 + 3;  // 1 in overflow, 3 deleted by an expiry
    totals[0].overflow = 1;
    ASSERT_EQ(bpf_map_update_elem(old.totals_fd(), &gen, totals.data(), BPF_ANY), 0);
  });
  const HookObject object(bind, Backend::tracepoint, settings);
  EXPECT_TRUE(object.maps_reused());
  std::map<std::uint16_t, std::uint64_t> counts;
  for (const auto& [key, count] :
       read_generation(object.counts_fd(0), object.cache_fd(), 0, object.capacity())) {
    EXPECT_EQ(key.outcome, SLE_OUTCOME_UNKNOWN) << key.port;
    counts[key.port] = count;
  }
  EXPECT_EQ(counts, (std::map<std::uint16_t, std::uint64_t>{{22, 5}, {80, 5}}));
  EXPECT_EQ(read_totals(object.totals_fd(), 0).calls, 14u);
  EXPECT_EQ(read_totals(object.totals_fd(), 0).overflow, 1u);
  EXPECT_FALSE(std::filesystem::exists(v2_dir()));

  // A hook without the outcome label keeps the keys as they were.
  EXPECT_EQ(upgraded_key(port_key(80), label_bit(SLE_LABEL_PORT)).outcome, SLE_OUTCOME_NONE);
  EXPECT_EQ(upgraded_key(port_key(80), label_bit(SLE_LABEL_OUTCOME)).outcome, SLE_OUTCOME_UNKNOWN);
}

// A conversion that fails midway (here: v2's totals hold only generation 0) must leave no
// half-converted maps pinned, which the next start would take as this layout's; the v2 pins stay,
// and the next start converts them.
TEST_F(PinningTest, AFailedConversionLeavesTheOldPinsForTheNextStart) {
  const Hook bind = hook_named("bind");
  const auto ncpu = static_cast<std::size_t>(libbpf_num_possible_cpus());
  const HookSettings settings = bind_pinned_by_v2([&](const HookObject& old) {
    const sle_key key = port_key(22);
    const std::uint64_t count = 4;
    ASSERT_EQ(bpf_map_update_elem(old.counts_fd(0), &key, &count, BPF_ANY), 0);
    std::vector<sle_totals> totals(ncpu);
    totals[0].calls = 4;
    const std::uint32_t gen = 0;
    ASSERT_EQ(bpf_map_update_elem(old.totals_fd(), &gen, totals.data(), BPF_ANY), 0);
  });
  const std::string totals_pin = v2_dir() + "/sle_totals";
  const std::string kept_aside = bpffs_ + "/sle_totals_kept";
  ASSERT_EQ(::rename(totals_pin.c_str(), kept_aside.c_str()), 0) << errno_text(errno);
  const UniqueFd short_totals(
      bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, nullptr, 4, sizeof(sle_totals), 1, nullptr));
  ASSERT_TRUE(short_totals);
  ASSERT_EQ(bpf_obj_pin(short_totals.get(), totals_pin.c_str()), 0) << errno_text(errno);

  try {
    const HookObject object(bind, Backend::tracepoint, settings);
    ADD_FAILURE() << "the conversion did not fail";
  } catch (const SystemError& e) {
    EXPECT_THAT(e.what(), ::testing::StartsWith("reading the totals pinned by layout v2 for bind"));
  }
  for (const char* name : {"sle_counts_0", "sle_counts_1", "sle_totals", "sle_cache"}) {
    EXPECT_FALSE(std::filesystem::exists(settings.pin_dir + "/" + name)) << name;
    EXPECT_TRUE(std::filesystem::exists(v2_dir() + "/" + name)) << name;
  }

  // The next start, with v2's totals whole again, converts them.
  ASSERT_EQ(::rename(kept_aside.c_str(), totals_pin.c_str()), 0) << errno_text(errno);
  const HookObject object(bind, Backend::tracepoint, settings);
  EXPECT_TRUE(object.maps_reused());
  EXPECT_EQ(read_totals(object.totals_fd(), 0).calls, 4u);
  EXPECT_FALSE(std::filesystem::exists(v2_dir()));
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
