// The tracker's rules on a scratch directory standing in for the cgroup2 mount: naming at birth,
// death, expiry, unknown ids, walks, and what a restart puts back. The events come from a queue
// the test fills (the real sources, tracepoint and fanotify, are tested on the real cgroup2 mount
// in loader/cgroup_tracepoint_test.cpp and fanotify_events_test.cpp).
#include "cgroups/cgroup_tracker.h"

#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>

namespace sle {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = CgroupTracker::Clock;

// Events the test queues, delivered when the tracker drains.
class QueuedEvents final : public CgroupEventSource {
 public:
  QueuedEvents() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  std::string_view method() const override { return "queue"; }
  int wait_fd() const override { return fd_.get(); }
  void drain(const std::function<void(const CgroupEvent&)>& on_event) override {
    std::uint64_t n = 0;
    [[maybe_unused]] const auto r = ::read(fd_.get(), &n, sizeof n);
    std::deque<CgroupEvent> events;
    {
      const std::lock_guard lock(mu_);
      events.swap(events_);
    }
    for (const auto& e : events) on_event(e);
  }
  bool lost_events() override { return std::exchange(lost_, false); }

  // Queued events are delivered by the next refresh(): the tracker's own thread may take them
  // sooner, which the tests do not rely on either way.
  void push(CgroupEvent event) {
    const std::lock_guard lock(mu_);
    events_.push_back(std::move(event));
  }
  void lose() { lost_ = true; }

 private:
  UniqueFd fd_;
  std::mutex mu_;
  std::deque<CgroupEvent> events_;
  bool lost_ = false;
};

class CgroupTrackerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "cgroup_tracker_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  std::uint64_t mkdir(const std::string& rel) {
    fs::create_directories(root_ / rel.substr(1));
    struct stat st {};
    EXPECT_EQ(::stat((root_ / rel.substr(1)).c_str(), &st), 0);
    return st.st_ino;
  }
  std::unique_ptr<CgroupTracker> tracker_with_queue(const std::string& hierarchy_root = "/") {
    auto queue = std::make_unique<QueuedEvents>();
    queue_ = queue.get();
    return std::make_unique<CgroupTracker>(root_.string(), hierarchy_root, std::move(queue));
  }

  fs::path root_;
  QueuedEvents* queue_ = nullptr;
};

CgroupEvent event(CgroupEvent::Kind kind, std::uint64_t id, std::string path,
                  std::uint64_t parent_id = 0, std::string name = "") {
  return {kind, id, std::move(path), parent_id, std::move(name)};
}

constexpr const char* kPodPath =
    "/kubepods.slice/kubepods-besteffort.slice/"
    "kubepods-besteffort-pod0e0b7a0d_8a3c_4a8e_9d6f_1c2b3a4d5e6f.slice/"
    "cri-containerd-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope";

TEST_F(CgroupTrackerTest, NamesExistingCgroupsAtStart) {
  const auto a = mkdir("/system.slice/a.service");
  auto tracker = tracker_with_queue();
  const auto now = Clock::now();
  const auto info = tracker->info(a, now);
  EXPECT_EQ(info.path, "/system.slice/a.service");
  EXPECT_FALSE(info.dead_since);
  EXPECT_EQ(tracker->counts().live, 3u);  // /, /system.slice, /system.slice/a.service
  EXPECT_EQ(tracker->counts().dead, 0u);
  EXPECT_EQ(tracker->method(), "queue");
}

TEST_F(CgroupTrackerTest, ACgroupBornAndGoneBetweenReadsKeepsItsNameAndIdentity) {
  auto tracker = tracker_with_queue();
  // Born and removed before the tracker looked: the events carry id and path.
  queue_->push(event(CgroupEvent::Kind::born, 424242, kPodPath));
  queue_->push(event(CgroupEvent::Kind::died, 424242, kPodPath));
  const auto t0 = Clock::now();
  tracker->refresh(t0);
  const auto info = tracker->info(424242, t0);
  EXPECT_EQ(info.path, kPodPath);
  EXPECT_EQ(info.identity.pod_uid, "0e0b7a0d-8a3c-4a8e-9d6f-1c2b3a4d5e6f");
  EXPECT_EQ(info.identity.container_id,
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  ASSERT_TRUE(info.dead_since);
  EXPECT_LE(*info.dead_since, t0);
  EXPECT_EQ(tracker->counts().dead, 1u);
}

TEST_F(CgroupTrackerTest, WorkloadNamesAreReadAtBirthFromTheRuntime) {
  const std::string id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  const fs::path runtime = root_ / "runtime";
  fs::create_directories(runtime / id);
  std::ofstream(runtime / id / "config.json")
      << R"({"annotations": {"io.kubernetes.cri.sandbox-name": "web-0",)"
         R"( "io.kubernetes.cri.sandbox-namespace": "shop",)"
         R"( "io.kubernetes.cri.container-name": "nginx"}})";
  auto queue = std::make_unique<QueuedEvents>();
  QueuedEvents* events = queue.get();
  CgroupTracker tracker(root_.string(), "/", std::move(queue), {runtime.string()});
  events->push(event(CgroupEvent::Kind::born, 424243, kPodPath));
  const auto t0 = Clock::now();
  tracker.refresh(t0);
  // The config.json goes with the container; what was read at birth stays.
  fs::remove_all(runtime);
  EXPECT_EQ(tracker.info(424243, t0).names, (WorkloadNames{"web-0", "shop", "nginx"}));
}

TEST_F(CgroupTrackerTest, DeadCgroupsExpireAfterTheGraceAndAreForgotten) {
  const auto a = mkdir("/a");
  auto tracker = tracker_with_queue();
  queue_->push(event(CgroupEvent::Kind::died, a, "/a"));
  const auto t0 = Clock::now();
  tracker->refresh(t0);
  EXPECT_TRUE(tracker->expired(t0 + 59s, 60s).empty());
  EXPECT_EQ(tracker->expired(t0 + 61s, 60s), std::vector<std::uint64_t>{a});
  const std::vector<std::uint64_t> ids = {a};
  tracker->forget(ids);
  EXPECT_EQ(tracker->counts().dead, 0u);
  EXPECT_TRUE(tracker->expired(t0 + 1h, 60s).empty());
}

TEST_F(CgroupTrackerTest, AnIdNeverHeardOfIsLookedForThenUnknownAndDead) {
  auto tracker = tracker_with_queue();
  const auto b = mkdir("/b");  // made after the start, no event: the walk on a miss finds it
  const auto t0 = Clock::now();
  tracker->refresh(t0);
  EXPECT_EQ(tracker->info(b, t0).path, "/b");
  const auto info = tracker->info(987654321, t0);
  EXPECT_EQ(info.path, "unknown");
  EXPECT_EQ(info.identity.pod_uid, "");
  ASSERT_TRUE(info.dead_since);
  EXPECT_EQ(*info.dead_since, t0);
}

// The walk looking for an unknown id runs without the lock, while the events thread may add
// cgroups the walk has not seen: so it takes nothing as gone (events say what is).
TEST_F(CgroupTrackerTest, TheWalkForAnUnknownIdTakesNothingAsGone) {
  auto tracker = tracker_with_queue();
  // Known by its event only: as a cgroup made after the walk had passed its parent looks.
  queue_->push(event(CgroupEvent::Kind::born, 4242, "/born-during-the-walk"));
  const auto t0 = Clock::now();
  tracker->refresh(t0);
  EXPECT_EQ(tracker->info(987654321, t0).path, "unknown");  // walks: 4242 is not on disk
  const auto info = tracker->info(4242, t0);
  EXPECT_EQ(info.path, "/born-during-the-walk");
  EXPECT_FALSE(info.dead_since);
}

TEST_F(CgroupTrackerTest, FanotifyStyleEventsNameByParentAndName) {
  const auto parent = mkdir("/kubepods");
  auto tracker = tracker_with_queue();
  const auto child = mkdir("/kubepods/pod1");
  // A birth names the parent and the name; the id is read from the directory.
  queue_->push(event(CgroupEvent::Kind::born, 0, "", parent, "pod1"));
  // A removal carries the id too: named even though the directory is gone.
  queue_->push(event(CgroupEvent::Kind::died, 777, "", parent, "gone"));
  const auto t0 = Clock::now();
  tracker->refresh(t0);
  EXPECT_EQ(tracker->info(child, t0).path, "/kubepods/pod1");
  EXPECT_FALSE(tracker->info(child, t0).dead_since);
  EXPECT_EQ(tracker->info(777, t0).path, "/kubepods/gone");
  EXPECT_TRUE(tracker->info(777, t0).dead_since);
}

TEST_F(CgroupTrackerTest, LostEventsMakeAWalkThatFindsTheDead) {
  const auto a = mkdir("/a");
  auto tracker = tracker_with_queue();
  // Made before the removal: unlike kernfs ids, a scratch filesystem reuses inode numbers.
  const auto b = mkdir("/b");
  fs::remove(root_ / "a");
  queue_->lose();
  const auto t0 = Clock::now();
  tracker->refresh(t0);
  EXPECT_TRUE(tracker->info(a, t0).dead_since);
  EXPECT_EQ(tracker->info(b, t0).path, "/b");
  EXPECT_FALSE(tracker->info(b, t0).dead_since);
}

TEST_F(CgroupTrackerTest, WithoutASourceEachRefreshWalks) {
  const auto a = mkdir("/a");
  CgroupTracker tracker(root_.string(), "/", nullptr);
  EXPECT_EQ(tracker.method(), "walk");
  const auto b = mkdir("/b");  // before the removal, as above
  fs::remove(root_ / "a");
  const auto t0 = Clock::now();
  tracker.refresh(t0);
  EXPECT_EQ(tracker.info(b, t0).path, "/b");
  ASSERT_TRUE(tracker.info(a, t0).dead_since);
  EXPECT_EQ(*tracker.info(a, t0).dead_since, t0);
  EXPECT_EQ(tracker.counts().live, 2u);  // / and /b
}

TEST_F(CgroupTrackerTest, AMountOfASubtreeNamesPathsLikeTheKernel) {
  const auto ctr = mkdir("/ctr");
  CgroupTracker tracker(root_.string(), "/kubepods/pod1", nullptr);
  const auto t0 = Clock::now();
  EXPECT_EQ(tracker.info(ctr, t0).path, "/kubepods/pod1/ctr");
}

TEST_F(CgroupTrackerTest, RestoreAddsWhatTheWalkDidNotFindAsDead) {
  const auto a = mkdir("/a");
  auto tracker = tracker_with_queue();
  const auto t0 = Clock::now();
  const std::vector<std::pair<std::uint64_t, CgroupTracker::Info>> saved = {
      {a, {"/a", {}, {}, std::nullopt}},
      {555, {"/was-alive", {}, {}, std::nullopt}},
      {556, {"/dead-already", {}, {}, t0 - 30s}}};
  tracker->restore(saved, t0);
  EXPECT_FALSE(tracker->info(a, t0).dead_since);
  EXPECT_EQ(tracker->info(555, t0).path, "/was-alive");
  EXPECT_EQ(tracker->info(555, t0).dead_since, t0);  // gone while the exporter was down
  EXPECT_EQ(tracker->info(556, t0).dead_since, t0 - 30s);
}

}  // namespace
}  // namespace sle
