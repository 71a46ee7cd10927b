// When the reader reads: once at start(), then every read_interval on a thread of its own; or,
// with a zero interval, at each scrape, which scrapes arriving during a read share. Reads never
// overlap, and none starts after stop() returned.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace sle {

class ReadSchedule {
 public:
  // read: one read. It must not throw (the reader counts its errors itself); it is never called
  // with this schedule's lock held, so it may take any lock.
  ReadSchedule(std::chrono::milliseconds interval, std::function<void()> read);
  ~ReadSchedule();  // stop()
  ReadSchedule(const ReadSchedule&) = delete;
  ReadSchedule& operator=(const ReadSchedule&) = delete;

  // The first read, on the caller's thread; then, with an interval, the reading thread.
  void start();
  // No read after it returns: a scrape's read under way is waited for, the thread joined. The
  // interval is not waited out. Returns whether this call stopped it (false: stopped before).
  bool stop();
  // A scrape: with a zero interval, reads now, or waits for the read under way and shares it;
  // with an interval, or once stopped, returns at once.
  void on_scrape();

 private:
  void run();
  // Reads, or waits for the read under way and shares it; `lock` holds mu_.
  void read_or_share(std::unique_lock<std::mutex>& lock);

  const std::chrono::milliseconds interval_;
  const std::function<void()> read_;
  std::mutex mu_;            // a leaf: held only around the fields below, never during read_
  std::uint64_t reads_ = 0;  // start()'s and scrapes' reads completed, for scrapes sharing one
  bool reading_ = false;     // start()'s or a scrape's read is under way
  bool stopping_ = false;
  std::condition_variable read_done_;
  std::condition_variable stop_cv_;
  std::thread thread_;
};

}  // namespace sle
