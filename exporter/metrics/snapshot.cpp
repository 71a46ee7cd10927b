#include "metrics/snapshot.h"

#include <algorithm>

#include "common/capabilities.h"
#include "common/logging.h"
#include "metrics/expiry.h"
#include "metrics/saved_state.h"

namespace sle {

SnapshotReader::SnapshotReader(HookSet& hooks, const Config& config, CgroupTracker* tracker,
                               PinnedBlob* state)
    : hook_set_(hooks),
      stats_held_(config.bpf_stats),
      tracker_(tracker),
      state_(state),
      expire_after_(config.expire_after),
      generations_(hooks, config, tracker),
      schedule_(config.read_interval, [this] { read_now(); }) {}

SnapshotReader::~SnapshotReader() { stop(); }

void SnapshotReader::start() {
  if (state_) restore_state(*state_, tracker_, generations_.hooks());
  schedule_.start();
}

void SnapshotReader::stop() {
  // Once: main() stops, then the destructor does.
  if (schedule_.stop() && state_) save_state(*state_, tracker_, generations_.hooks());
}

std::shared_ptr<const Snapshot> SnapshotReader::latest() {
  schedule_.on_scrape();
  const std::lock_guard lock(mu_);
  return latest_;
}

void SnapshotReader::publish(std::shared_ptr<Snapshot> snap) {
  snap->exposition = std::make_shared<const Exposition>(
      snap->hook_families,
      render_own_families(own_families(*snap, hook_set_, stats_held_, errors_.load())));
  const std::lock_guard lock(mu_);
  latest_ = std::move(snap);
}

void SnapshotReader::expire(CgroupTracker::Clock::time_point now) {
  if (!tracker_ || !previous_read_) return;
  const auto ids = cgroups_due(*tracker_, now, expire_after_, *previous_read_);
  if (ids.empty()) return;
  const std::size_t removed = expire_cgroups(generations_.hooks(), ids);
  const std::vector<std::uint64_t> forgotten(ids.begin(), ids.end());
  tracker_->forget(forgotten);
  log::debug("Expired cgroups",
             {{"cgroups", std::to_string(ids.size())}, {"keys", std::to_string(removed)}});
  if (state_) save_state(*state_, tracker_, generations_.hooks());
}

void SnapshotReader::read_now() {
  capabilities::enable_bpf_for_this_thread();  // kernels before 5.19 only
  const auto start = std::chrono::steady_clock::now();
  try {
    const bool first = !previous_read_;
    generations_.read(first, start);
    // Both generations read: counts kept from before a restart that no key holds any more are
    // expired.
    if (first)
      for (HookReading& h : generations_.hooks()) h.series.drop_orphans();
    expire(start);
  } catch (const std::exception& e) {
    ++errors_;
    log::error("Reading the BPF maps failed", {{"err", e.what()}});
    // The previous read's counts, with the error counted.
    std::shared_ptr<const Snapshot> previous;
    {
      const std::lock_guard lock(mu_);
      previous = latest_;
    }
    if (previous) publish(std::make_shared<Snapshot>(*previous));
    return;
  }
  previous_read_ = start;
  auto snap = std::make_shared<Snapshot>();
  std::vector<HookFamily> families;
  for (const HookReading& h : generations_.hooks()) {
    snap->hooks.push_back({.hook = h.object->hook(),
                           .backend = h.object->backend(),
                           .capacity = h.object->capacity(),
                           .entries = std::max(h.gens[0].entries, h.gens[1].entries),
                           .labelled = h.series.total(),
                           .calls = h.gens[0].calls + h.gens[1].calls,
                           .overflow = h.gens[0].overflow + h.gens[1].overflow,
                           .expired = h.series.expired()});
    families.push_back({h.object->hook(), &h.series});
  }
  snap->hook_families =
      texts_.write([&](std::string& text) { render_hook_families(text, families); });
  if (tracker_) snap->cgroups = tracker_->counts();
  snap->duration_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  snap->timestamp_seconds =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  // Before publishing, so that the snapshot's resident size is the trimmed one.
  trim_.after_read();
  publish(std::move(snap));
}

}  // namespace sle
