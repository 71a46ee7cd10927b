#include "metrics/generation_reader.h"

#include <algorithm>

#include "common/capabilities.h"
#include "common/error.h"

namespace sle {

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

GenerationReader::GenerationReader(HookSet& hooks, const Config& config, CgroupTracker* tracker)
    : hook_set_(hooks), tracker_(tracker) {
  for (const Hook hook : all_hooks()) {
    if (HookObject* object = hooks.object(hook)) {
      HookReading& h = hooks_.emplace_back();
      h.object = object;
      h.label_mask = config.hooks[hook.index()].label_mask;
    }
  }
}

std::string GenerationReader::labels_of(const HookReading& hook, const sle_key& key,
                                        CgroupTracker::Clock::time_point now) {
  if (!(hook.label_mask & kCgroupLabels) || !tracker_)
    return label_text(series_labels(key, hook.label_mask, nullptr));  // nullptr: "unknown"
  const CgroupTracker::Info info = tracker_->info(key.cgroup_id, now);
  return label_text(series_labels(key, hook.label_mask, &info));
}

std::size_t GenerationReader::read_hash(HookReading& h, std::uint32_t g,
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

void GenerationReader::read(bool both, CgroupTracker::Clock::time_point now) {
  for (int round = 0; round < (both ? 2 : 1); ++round) {
    struct Read {
      HookReading* hook = nullptr;
      std::uint32_t gen = 0;
      std::size_t entries = 0;
      std::uint64_t counted = 0;  // in the hash
      std::vector<CountEntry> new_keys;
      std::vector<CountEntry> slot_counts;
    };
    std::vector<Read> reads;
    for (HookReading& h : hooks_) {
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
      HookReading& h = *r.hook;
      GenerationState& gen = h.gens[r.gen];
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

}  // namespace sle
