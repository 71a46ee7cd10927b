#include "metrics/snapshot.h"

#include "common/logging.h"

namespace sle {

HookSnapshot read_hook(const HookObject& object, std::uint32_t label_mask) {
  constexpr int kAttempts = 5;
  HookSnapshot s{.hook = object.hook(),
                 .backend = object.backend(),
                 .label_mask = label_mask,
                 .capacity = object.capacity(),
                 .entries = {}};
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    const auto before = read_totals(object.totals_fd());
    s.entries = read_counts(object.counts_fd(), s.capacity);
    const auto after = read_totals(object.totals_fd());
    s.calls = after[SLE_TOTAL_CALLS];
    s.overflow = after[SLE_TOTAL_OVERFLOW];
    if (before == after) break;
  }
  return s;
}

SnapshotReader::SnapshotReader(const HookSet& hooks, const Config& config, CgroupResolver* resolver)
    : hooks_(hooks), resolver_(resolver), interval_(config.read_interval) {
  for (const Hook hook : all_hooks())
    label_masks_[hook.index()] = config.hooks[hook.index()].label_mask;
}

SnapshotReader::~SnapshotReader() { stop(); }

void SnapshotReader::resolve_cgroups(Snapshot& snap) {
  for (const HookSnapshot& h : snap.hooks) {
    if (!(h.label_mask & kCgroupLabels)) continue;
    for (const auto& [key, count] : h.entries) {
      auto it = cgroup_paths_.find(key.cgroup_id);
      if (it == cgroup_paths_.end()) {
        // Resolved right after the read that first saw the id: the resolver re-walks the tree
        // on a miss (at most once per read interval), while the cgroup most likely still exists.
        std::optional<std::string> path;
        if (resolver_) path = resolver_->path(key.cgroup_id);
        it = cgroup_paths_.emplace(key.cgroup_id, path.value_or("unknown")).first;
      }
      snap.cgroup_paths.insert(*it);
    }
  }
}

void SnapshotReader::read_now() {
  const auto start = std::chrono::steady_clock::now();
  auto snap = std::make_shared<Snapshot>();
  try {
    for (const Hook hook : all_hooks()) {
      if (const HookObject* object = hooks_.object(hook))
        snap->hooks.push_back(read_hook(*object, label_masks_[hook.index()]));
    }
  } catch (const std::exception& e) {
    ++errors_;
    log::error("Reading the BPF maps failed", {{"err", e.what()}});
    return;  // keep publishing the previous snapshot
  }
  resolve_cgroups(*snap);
  snap->duration_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  snap->timestamp_seconds =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  latest_ = std::move(snap);
}

void SnapshotReader::start() {
  const std::lock_guard lock(mu_);
  read_now();
  if (interval_.count() > 0) thread_ = std::thread([this] { run(); });
}

void SnapshotReader::run() {
  std::unique_lock lock(mu_);
  while (!stop_cv_.wait_for(lock, interval_, [this] { return stopping_; })) read_now();
}

void SnapshotReader::stop() {
  {
    const std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<const Snapshot> SnapshotReader::latest() {
  const std::lock_guard lock(mu_);
  if (interval_.count() == 0 && !stopping_) read_now();
  return latest_;
}

}  // namespace sle
