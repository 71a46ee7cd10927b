#include "metrics/read_schedule.h"

#include <utility>

namespace sle {

ReadSchedule::ReadSchedule(std::chrono::milliseconds interval, std::function<void()> read)
    : interval_(interval), read_(std::move(read)) {}

ReadSchedule::~ReadSchedule() { stop(); }

void ReadSchedule::start() {
  read_();
  if (interval_.count() > 0) thread_ = std::thread([this] { run(); });
}

void ReadSchedule::run() {
  std::unique_lock lock(mu_);
  while (!stop_cv_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    read_();
    lock.lock();
  }
}

void ReadSchedule::stop() {
  {
    std::unique_lock lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    read_done_.wait(lock, [this] { return !reading_; });
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ReadSchedule::on_scrape() {
  std::unique_lock lock(mu_);
  if (interval_.count() != 0 || stopping_) return;
  if (reading_) {  // share the read under way
    const std::uint64_t next = reads_ + 1;
    read_done_.wait(lock, [&] { return reads_ >= next; });
    return;
  }
  reading_ = true;
  lock.unlock();
  read_();
  lock.lock();
  reading_ = false;
  ++reads_;
  read_done_.notify_all();
}

}  // namespace sle
