#include "metrics/read_schedule.h"

#include <utility>

namespace sle {

ReadSchedule::ReadSchedule(std::chrono::milliseconds interval, std::function<void()> read)
    : interval_(interval), read_(std::move(read)) {}

ReadSchedule::~ReadSchedule() { stop(); }

void ReadSchedule::start() {
  std::unique_lock lock(mu_);
  if (stopping_) return;
  read_or_share(lock);
  if (interval_.count() > 0 && !stopping_) thread_ = std::thread([this] { run(); });
}

void ReadSchedule::run() {
  std::unique_lock lock(mu_);
  while (!stop_cv_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    read_();
    lock.lock();
  }
}

bool ReadSchedule::stop() {
  {
    std::unique_lock lock(mu_);
    if (stopping_) return false;
    stopping_ = true;
    read_done_.wait(lock, [this] { return !reading_; });
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  return true;
}

void ReadSchedule::on_scrape() {
  std::unique_lock lock(mu_);
  if (interval_.count() != 0 || stopping_) return;
  read_or_share(lock);
}

void ReadSchedule::read_or_share(std::unique_lock<std::mutex>& lock) {
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
