#include "metrics/snapshot.h"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <unordered_set>

#include "common/capabilities.h"
#include "common/logging.h"
#include "metrics/saved_state.h"

namespace sle {
namespace {

constexpr std::size_t kTrimAfterFreedBytes = 64 << 10;
// A text whose room exceeds twice its size by more than this is shrunk (a churn's peak passed).
constexpr std::size_t kTextSlackBytes = 64 << 10;

}  // namespace

GracePeriod::GracePeriod(const ProgramBarrier& barrier)
    : thread_([this, &barrier] {
        try {
          capabilities::enable_bpf_for_this_thread();  // kernels before 5.19 only
          barrier.wait();
        } catch (...) {
          error_ = std::current_exception();
        }
      }) {}

GracePeriod::~GracePeriod() {
  if (thread_.joinable()) thread_.join();
}

void GracePeriod::wait() {
  if (thread_.joinable()) thread_.join();
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
}

SnapshotReader::SnapshotReader(HookSet& hooks, const Config& config, CgroupTracker* tracker,
                               PinnedBlob* state)
    : hook_set_(hooks),
      stats_held_(config.bpf_stats),
      tracker_(tracker),
      state_(state),
      interval_(config.read_interval),
      expire_after_(config.expire_after) {
  for (const Hook hook : all_hooks()) {
    if (HookObject* object = hooks.object(hook)) {
      HookState& h = hooks_.emplace_back();
      h.object = object;
      h.label_mask = config.hooks[hook.index()].label_mask;
    }
  }
}

SnapshotReader::~SnapshotReader() { stop(); }

std::string SnapshotReader::labels_of(const HookState& hook, const sle_key& key,
                                      CgroupTracker::Clock::time_point now) {
  if (!(hook.label_mask & kCgroupLabels) || !tracker_)
    return label_text(series_labels(key, hook.label_mask, nullptr));  // nullptr: "unknown"
  const CgroupTracker::Info info = tracker_->info(key.cgroup_id, now);
  return label_text(series_labels(key, hook.label_mask, &info));
}

void SnapshotReader::publish(std::shared_ptr<Snapshot> snap) {
  snap->exposition = std::make_shared<const Exposition>(
      snap->hook_families,
      render_own_families(own_families(*snap, hook_set_, stats_held_, errors_.load())));
  const std::lock_guard lock(mu_);
  latest_ = std::move(snap);
}

std::size_t SnapshotReader::read_hash(HookState& h, std::uint32_t g,
                                      std::vector<CountEntry>& new_keys, std::uint64_t& counted) {
  h.series.start_read(g);
  new_keys.clear();
  counted = 0;
  return for_each_count(h.object->counts_fd(g), h.object->capacity(),
                        [&](std::span<const CountEntry> chunk) {
                          for (const CountEntry& entry : chunk) counted += entry.second;
                          h.series.update(g, chunk, new_keys);
                        });
}

void SnapshotReader::read_generations(bool both, CgroupTracker::Clock::time_point now) {
  for (int round = 0; round < (both ? 2 : 1); ++round) {
    struct Read {
      HookState* hook = nullptr;
      std::uint32_t gen = 0;
      std::size_t entries = 0;
      std::uint64_t counted = 0;  // in the hash
      std::vector<CountEntry> new_keys;
      std::vector<CountEntry> slot_counts;
    };
    std::vector<Read> reads;
    for (HookState& h : hooks_) {
      const std::uint32_t old = h.object->generation();
      h.object->set_generation(old ^ 1);
      // The same calls total as at this generation's last read: it is as it was then (its slots
      // empty, its hash as written back then; expiry, which deletes keys, is ours and already
      // applied), so a hook with no calls costs no walk of its hash. A program still counting
      // into it now is read at the generation's next turn.
      if (h.gens[old].read && h.gens[old].calls == read_totals(h.object->totals_fd(), old).calls)
        continue;
      Read& r = reads.emplace_back();
      r.hook = &h;
      r.gen = old;
    }
    if (reads.empty()) {
      if (tracker_) tracker_->refresh(now);
      continue;
    }
    // The hash is read while the grace period runs (a program still counting into the old
    // generation can then only add what the read lacks, which the totals show), unless this is
    // the generation's first read: what its maps lack then against its totals is what an
    // earlier exporter's expiry deleted (pinned maps), and no program may still be counting.
    const bool first = std::any_of(reads.begin(), reads.end(),
                                   [](const Read& r) { return !r.hook->gens[r.gen].read; });
    GracePeriod grace(*hook_set_.barrier());
    if (first) grace.wait();
    for (Read& r : reads) r.entries = read_hash(*r.hook, r.gen, r.new_keys, r.counted);
    grace.wait();
    for (Read& r : reads) {
      HookState& h = *r.hook;
      Generation& gen = h.gens[r.gen];
      // Final now: no program counts into the generation any more.
      r.slot_counts = read_slot_counts(h.object->cache_fd(), r.gen);
      std::uint64_t in_slots = 0;
      for (const CountEntry& entry : r.slot_counts) in_slots += entry.second;
      const auto [calls, overflow] = read_totals(h.object->totals_fd(), r.gen);
      if (!gen.read && r.counted + in_slots + overflow <= calls)
        gen.deleted = calls - overflow - in_slots - r.counted;
      if (r.counted + in_slots + overflow + gen.deleted != calls) {
        // The hash was read before a program that took the old generation before the switch
        // had added to it: read it again, final now.
        ++settle_waits_;
        r.entries = read_hash(h, r.gen, r.new_keys, r.counted);
        if (r.counted + in_slots + overflow + gen.deleted != calls)
          throw SystemError("the counts and totals of hook " +
                            std::string(h.object->hook().name()) +
                            " disagree after an RCU grace period (hash " +
                            std::to_string(r.counted) + ", slots " + std::to_string(in_slots) +
                            ", overflow " + std::to_string(overflow) + ", deleted " +
                            std::to_string(gen.deleted) + ", calls " + std::to_string(calls) + ")");
      }
      gen.entries = r.entries;
      gen.calls = calls;
      gen.overflow = overflow;
      gen.read = true;
      // The slots' counts go into the hash, and the slots are emptied for the generation's next
      // turn: emptied first, so that a crash in between loses counts (a later read finds the
      // totals ahead of the counts and takes it as deleted) rather than counting them twice.
      const std::vector<CountEntry> written =
          h.series.add_slot_counts(r.gen, r.slot_counts, r.new_keys);
      if (!written.empty()) {
        empty_slots(h.object->cache_fd(), r.gen);
        write_counts(h.object->counts_fd(r.gen), written);
      }
    }
    // New keys wait until every cgroup id in the maps has been announced (refresh()), to be
    // named.
    if (tracker_) tracker_->refresh(now);
    for (Read& r : reads)
      r.hook->series.add(r.gen, r.new_keys,
                         [&](const sle_key& key) { return labels_of(*r.hook, key, now); });
  }
}

void SnapshotReader::expire(CgroupTracker::Clock::time_point now) {
  if (!tracker_ || !previous_read_) return;
  std::unordered_set<std::uint64_t> ids;
  for (const std::uint64_t id : tracker_->expired(now, expire_after_)) {
    // Dead before the previous read started: both generations were read since, so the counts
    // the series hold are final.
    const auto info = tracker_->info(id, now);
    if (info.dead_since && *info.dead_since < *previous_read_) ids.insert(id);
  }
  if (ids.empty()) return;
  std::size_t removed = 0;
  for (HookState& h : hooks_) {
    const HookSeries::Expired gone = h.series.expire(ids);
    if (gone.keys.empty()) continue;
    removed += gone.keys.size();
    for (std::uint32_t g = 0; g < 2; ++g) {
      delete_counts(h.object->counts_fd(g), gone.keys);
      h.gens[g].entries -= std::min(h.gens[g].entries, gone.in_generation[g]);
      h.gens[g].deleted += gone.counts_in_generation[g];
    }
  }
  const std::vector<std::uint64_t> forgotten(ids.begin(), ids.end());
  tracker_->forget(forgotten);
  log::debug("Expired cgroups",
             {{"cgroups", std::to_string(ids.size())}, {"keys", std::to_string(removed)}});
  if (state_) save_state();
}

void SnapshotReader::read_now() {
  capabilities::enable_bpf_for_this_thread();  // kernels before 5.19 only
  const auto start = std::chrono::steady_clock::now();
  auto snap = std::make_shared<Snapshot>();
  try {
    const bool first = !previous_read_;
    read_generations(first, start);
    // Both generations read: counts kept from before a restart that no key holds any more are
    // expired.
    if (first)
      for (HookState& h : hooks_) h.series.drop_orphans();
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
  for (const HookState& h : hooks_) {
    HookSnapshot hs{.hook = h.object->hook(),
                    .backend = h.object->backend(),
                    .capacity = h.object->capacity(),
                    .entries = std::max(h.gens[0].entries, h.gens[1].entries),
                    .labelled = h.series.total(),
                    .calls = h.gens[0].calls + h.gens[1].calls,
                    .overflow = h.gens[0].overflow + h.gens[1].overflow,
                    .expired = h.series.expired()};
    snap->hooks.push_back(hs);
  }
  std::vector<HookFamily> families;
  for (const HookState& h : hooks_) families.push_back({h.object->hook(), &h.series});
  auto text =
      std::find_if(texts_.begin(), texts_.end(), [](const auto& t) { return t.use_count() == 1; });
  if (text == texts_.end()) {
    texts_.push_back(std::make_shared<std::string>());
    text = texts_.end() - 1;
  }
  (*text)->clear();  // keeps its capacity
  render_hook_families(**text, families);
  // Grown for a peak (a churn) and the series fewer again: give the room back.
  const auto oversized = [size = (*text)->size()](const std::string& t) {
    return t.capacity() > 2 * size + kTextSlackBytes;
  };
  if (oversized(**text)) (*text)->shrink_to_fit();
  snap->hook_families = *text;
  // Texts that slow scrapes held on to must not make the pool grow for good: of those no one
  // holds, one is kept for the next read, unless it is oversized.
  bool spare = false;
  std::erase_if(texts_, [&](const auto& t) {
    if (t.use_count() != 1) return false;
    return oversized(*t) || std::exchange(spare, true);
  });
  if (tracker_) snap->cgroups = tracker_->counts();
  snap->duration_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  snap->timestamp_seconds =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  // After expiry the heap holds what the expired series used, in small pieces (blocks of 1 MiB
  // and more go back as they are freed, see main.cpp): give it back to the system, so that the
  // resident size follows what is kept rather than its peak. In steady state what a read uses
  // stays in use (its text is written over), the heap in use does not fall, and nothing is
  // trimmed. Before publishing, so that the snapshot's resident size is the trimmed one.
  const auto in_use = ::mallinfo2().uordblks;
  peak_in_use_since_trim_ = std::max(peak_in_use_since_trim_, in_use);
  if (in_use + kTrimAfterFreedBytes < peak_in_use_since_trim_) {
    ::malloc_trim(0);
    peak_in_use_since_trim_ = in_use;
  }
  publish(std::move(snap));
}

void SnapshotReader::start() {
  restore_state();
  read_now();
  if (interval_.count() > 0) thread_ = std::thread([this] { run(); });
}

void SnapshotReader::run() {
  std::unique_lock lock(mu_);
  while (!stop_cv_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    read_now();
    lock.lock();
  }
}

void SnapshotReader::stop() {
  {
    std::unique_lock lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    read_done_.wait(lock, [this] { return !reading_; });  // a scrape's read in progress
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (state_) save_state();
}

std::shared_ptr<const Snapshot> SnapshotReader::latest() {
  std::unique_lock lock(mu_);
  if (interval_.count() != 0 || stopping_) return latest_;
  if (reading_) {  // a read is under way: share it
    const std::uint64_t next = reads_ + 1;
    read_done_.wait(lock, [&] { return reads_ >= next; });
    return latest_;
  }
  reading_ = true;
  lock.unlock();
  read_now();
  lock.lock();
  reading_ = false;
  ++reads_;
  read_done_.notify_all();
  return latest_;
}

void SnapshotReader::restore_state() {
  if (!state_) return;
  const auto text = state_->read();
  if (!text) return;
  SavedState saved;
  try {
    saved = parse_saved_state(*text);
  } catch (const std::exception& e) {
    log::warn("The kept state cannot be read; starting without it", {{"err", e.what()}});
    return;
  }
  const auto now = CgroupTracker::Clock::now();
  if (tracker_) tracker_->restore(saved.cgroups_at(now), now);
  for (HookState& h : hooks_) {
    const auto it = saved.hooks.find(std::string(h.object->hook().name()));
    // Counts kept beside maps that were not kept would count twice: only with the same maps.
    if (it == saved.hooks.end() || !h.object->maps_reused()) continue;
    h.series.restore(it->second.retained, it->second.expired);
  }
  log::info("Took back the state kept at the last stop",
            {{"cgroups", std::to_string(saved.cgroups.size())}});
}

void SnapshotReader::save_state() {
  capabilities::enable_bpf_for_this_thread();
  SavedState saved;
  if (tracker_) saved.set_cgroups(tracker_->known(), CgroupTracker::Clock::now());
  for (const HookState& h : hooks_)
    saved.hooks[std::string(h.object->hook().name())] = {h.series.retained(), h.series.expired()};
  try {
    state_->write(to_json(saved));
  } catch (const std::exception& e) {
    log::error("Keeping the state failed", {{"err", e.what()}});
  }
}

}  // namespace sle
