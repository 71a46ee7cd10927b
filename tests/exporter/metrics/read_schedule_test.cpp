// When reads happen, with a read that only counts (and, where a test needs it, waits to be let
// go): at each scrape with a zero interval, shared by scrapes that arrive during it; on the
// schedule's own thread with an interval; never two at once, none after stop(). The unit tests'
// ThreadSanitizer build (tests/sanitize) runs these too.
#include "metrics/read_schedule.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace sle {
namespace {

using namespace std::chrono_literals;

// A read that counts itself, checks that no other read runs, and, while held, waits until let go.
class Reads {
 public:
  std::function<void()> read() {
    return [this] {
      if (running_.fetch_add(1) != 0) overlapped_ = true;
      {
        std::unique_lock lock(mu_);
        ++started_;
        changed_.notify_all();
        changed_.wait(lock, [this] { return !held_; });
      }
      running_.fetch_sub(1);
      ++done_;
    };
  }
  void hold() {
    const std::lock_guard lock(mu_);
    held_ = true;
  }
  void let_go() {
    {
      const std::lock_guard lock(mu_);
      held_ = false;
    }
    changed_.notify_all();
  }
  // Waits until `n` reads have started; false after 5 s.
  bool wait_started(int n) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, 5s, [&] { return started_ >= n; });
  }
  int done() const { return done_; }
  // A scrape, on a thread of its own, whose read is under way and held when this returns.
  std::thread held_scrape(ReadSchedule& schedule) {
    hold();
    const int before = started();
    std::thread scrape([&schedule] { schedule.on_scrape(); });
    if (!wait_started(before + 1)) ADD_FAILURE() << "the scrape's read did not start within 5 s";
    return scrape;
  }
  bool overlapped() const { return overlapped_; }
  int started() {
    const std::lock_guard lock(mu_);
    return started_;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  bool held_ = false;
  int started_ = 0;
  std::atomic<int> running_{0};
  std::atomic<int> done_{0};
  std::atomic<bool> overlapped_{false};
};

TEST(ReadSchedule, ZeroIntervalReadsAtStartAndAtEachScrape) {
  Reads reads;
  ReadSchedule schedule(0ms, reads.read());
  schedule.start();
  EXPECT_EQ(reads.done(), 1);
  schedule.on_scrape();
  schedule.on_scrape();
  EXPECT_EQ(reads.done(), 3);
  schedule.stop();
  schedule.on_scrape();  // stopped: no read
  EXPECT_EQ(reads.done(), 3);
}

TEST(ReadSchedule, ScrapesArrivingDuringAReadShareIt) {
  Reads reads;
  ReadSchedule schedule(0ms, reads.read());
  schedule.start();
  std::thread first = reads.held_scrape(schedule);
  // Four more scrapes while it is held: each returns once a read completed after it came.
  std::vector<int> done_at_return(4, 0);
  std::vector<std::thread> others;
  for (int i = 0; i < 4; ++i)
    others.emplace_back([&, i] {
      schedule.on_scrape();
      done_at_return[i] = reads.done();
    });
  std::this_thread::sleep_for(500ms);  // they reach the wait (a late one would read anew: below)
  reads.let_go();
  first.join();
  for (auto& t : others) t.join();
  for (const int done : done_at_return) EXPECT_GE(done, 2);
  // Start's read and the first scrape's, none of the four's own. (One scheduled so late that it
  // found no read under way reads on its own, which the 500 ms (also under the sanitizers) make
  // unlikely: at most one more.)
  EXPECT_GE(reads.done(), 2);
  EXPECT_LE(reads.done(), 3);
  EXPECT_FALSE(reads.overlapped());
}

TEST(ReadSchedule, StopWaitsForAScrapesReadUnderWay) {
  Reads reads;
  ReadSchedule schedule(0ms, reads.read());
  schedule.start();
  std::thread scrape = reads.held_scrape(schedule);
  int done_at_stop = 0;
  std::thread stopper([&] {
    EXPECT_TRUE(schedule.stop());
    done_at_stop = reads.done();
  });
  std::this_thread::sleep_for(100ms);  // the stopper waits meanwhile
  reads.let_go();
  stopper.join();
  scrape.join();
  EXPECT_EQ(done_at_stop, 2) << "stop() returned before the scrape's read completed";
  EXPECT_FALSE(schedule.stop()) << "stopped twice";
}

TEST(ReadSchedule, AnIntervalReadsOnItsOwnThread) {
  Reads reads;
  ReadSchedule schedule(20ms, reads.read());
  schedule.start();
  EXPECT_GE(reads.done(), 1);  // the first read completed before start() returned
  ASSERT_TRUE(reads.wait_started(4)) << "fewer than 3 reads of its own within 5 s";
  schedule.stop();
  const int after = reads.done();
  std::this_thread::sleep_for(60ms);
  EXPECT_EQ(reads.done(), after) << "a read after stop()";
  EXPECT_FALSE(reads.overlapped());
}

TEST(ReadSchedule, WithAnIntervalScrapesDoNotReadAndStopDoesNotWaitItOut) {
  Reads reads;
  ReadSchedule schedule(1h, reads.read());
  schedule.start();
  schedule.on_scrape();  // an interval: the scrape takes the last read
  EXPECT_EQ(reads.done(), 1);
  const auto start = std::chrono::steady_clock::now();
  schedule.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(reads.done(), 1);
}

TEST(ReadSchedule, StartAndScrapesNeverReadTwiceAtOnce) {
  Reads reads;
  ReadSchedule schedule(0ms, reads.read());
  std::vector<std::thread> scrapers;
  for (int t = 0; t < 4; ++t)
    scrapers.emplace_back([&] {
      for (int i = 0; i < 200; ++i) schedule.on_scrape();
    });
  schedule.start();  // while the scrapes read
  for (auto& t : scrapers) t.join();
  schedule.stop();
  EXPECT_FALSE(reads.overlapped());
  EXPECT_GE(reads.done(), 200);  // each thread's scrapes read or shared one at least
}

}  // namespace
}  // namespace sle
