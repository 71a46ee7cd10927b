#include "cgroups/cgroup_tracker.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_set>

#include "cgroups/cgroup_walk.h"
#include "common/error.h"
#include "common/logging.h"

namespace sle {

CgroupTracker::CgroupTracker(std::string mount_point, std::string hierarchy_root,
                             std::unique_ptr<CgroupEventSource> source,
                             std::vector<std::string> runtime_dirs)
    : mount_point_(std::move(mount_point)),
      hierarchy_root_(std::move(hierarchy_root)),
      source_(std::move(source)),
      runtime_dirs_(std::move(runtime_dirs)) {
  const std::lock_guard lock(mu_);
  walk(Clock::now());
}

void CgroupTracker::start() {
  if (!source_ || thread_.joinable()) return;
  stop_fd_ = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!stop_fd_) throw SystemError("eventfd for the cgroup events thread", errno);
  thread_ = std::thread([this] { run(); });
}

CgroupTracker::~CgroupTracker() {
  if (thread_.joinable()) {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(stop_fd_.get(), &one, sizeof one);
    thread_.join();
  }
}

std::string_view CgroupTracker::method() const { return source_ ? source_->method() : "walk"; }

void CgroupTracker::run() {
  pollfd fds[2] = {{source_->wait_fd(), POLLIN, 0}, {stop_fd_.get(), POLLIN, 0}};
  while (true) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      log::error("Waiting for cgroup events failed; taking them at each read of the maps instead",
                 {{"err", errno_text(errno)}});
      return;
    }
    if (fds[1].revents) return;
    const std::lock_guard lock(mu_);
    try {
      drain(Clock::now());
    } catch (const std::exception& e) {
      log::error("Reading cgroup events failed", {{"err", e.what()}});
    }
  }
}

std::string CgroupTracker::mount_relative(const std::string& path) const {
  if (hierarchy_root_ == "/") return path;
  if (path == hierarchy_root_) return "/";
  if (path.starts_with(hierarchy_root_ + "/")) return path.substr(hierarchy_root_.size());
  return "";  // outside what this mount shows
}

void CgroupTracker::born(std::uint64_t id, const std::string& path) {
  auto [it, added] = cgroups_.try_emplace(id);
  if (!added) return;  // an id is never reused: what was learned first stays
  it->second.path = path;
  it->second.identity = parse_cgroup_path(path);
  // Once, at birth: the runtime wrote the container's config.json before it made the cgroup.
  if (!it->second.identity.container_id.empty())
    if (auto names = read_workload_names(runtime_dirs_, it->second.identity.container_id))
      it->second.names = std::move(*names);
}

void CgroupTracker::apply(const CgroupEvent& event, Clock::time_point now) {
  std::string path = event.path;
  if (path.empty() && event.parent_id != 0) {
    // fanotify names a cgroup by its parent and its name; the parent was named before it.
    const auto parent = cgroups_.find(event.parent_id);
    if (parent != cgroups_.end() && parent->second.path != kUnknownPath)
      path = (parent->second.path == "/" ? "/" : parent->second.path + "/") + event.name;
  }
  std::uint64_t id = event.id;
  if (id == 0 && !path.empty()) {
    // A new cgroup's id is its directory's inode, read while it exists. One already gone is
    // named by its removal, which carries the id.
    const std::string rel = mount_relative(path);
    if (!rel.empty()) id = cgroup_id_at(mount_point_, rel);
  }
  if (id == 0) return;
  if (event.kind == CgroupEvent::Kind::born) {
    if (!path.empty()) born(id, path);  // else a walk names it when its id is first read
    return;
  }
  born(id, path.empty() ? std::string(kUnknownPath) : path);  // no-op when known
  Info& info = cgroups_[id];
  if (!info.dead_since) info.dead_since = now;
}

void CgroupTracker::drain(Clock::time_point now) {
  source_->drain([&](const CgroupEvent& event) { apply(event, now); });
  if (source_->lost_events()) {
    log::warn("Cgroup events were lost (the kernel's buffer was full): walking the tree");
    walk(now);
  }
}

std::vector<std::pair<std::uint64_t, std::string>> CgroupTracker::walk_tree() const {
  std::vector<std::pair<std::uint64_t, std::string>> found;
  walk_cgroups(mount_point_, [&](std::uint64_t id, const std::string& rel) {
    if (hierarchy_root_ == "/")
      found.emplace_back(id, rel);
    else
      found.emplace_back(id, rel == "/" ? hierarchy_root_ : hierarchy_root_ + rel);
  });
  return found;
}

void CgroupTracker::apply_walk(std::span<const std::pair<std::uint64_t, std::string>> found,
                               Clock::time_point now, bool missing_are_gone) {
  walked_this_refresh_ = true;
  std::unordered_set<std::uint64_t> seen;
  for (const auto& [id, path] : found) {
    seen.insert(id);
    born(id, path);
  }
  if (!missing_are_gone) return;
  // A cgroup the walk did not find is gone (ids are never reused, so a live one is always seen).
  for (auto& [id, info] : cgroups_)
    if (!info.dead_since && !seen.contains(id)) info.dead_since = now;
}

void CgroupTracker::walk(Clock::time_point now) {
  apply_walk(walk_tree(), now, /*missing_are_gone=*/true);
}

void CgroupTracker::refresh(Clock::time_point now) {
  const std::lock_guard lock(mu_);
  walked_this_refresh_ = false;
  if (source_)
    drain(now);
  else
    walk(now);
}

CgroupTracker::Info CgroupTracker::info(std::uint64_t id, Clock::time_point now) {
  std::unique_lock lock(mu_);
  if (auto it = cgroups_.find(id); it != cgroups_.end()) return it->second;
  if (!walked_this_refresh_) {
    // The walk reads the filesystem: without the lock, which the events thread takes to apply
    // what it hears meanwhile. So what it did not find is not taken as gone: a cgroup made after
    // the walk passed its parent may have been added by an event since (deaths come as events;
    // a tracker without a source walks at each refresh instead, under the lock).
    lock.unlock();
    const auto found = walk_tree();
    lock.lock();
    if (!walked_this_refresh_) apply_walk(found, now, /*missing_are_gone=*/false);
    if (auto it = cgroups_.find(id); it != cgroups_.end()) return it->second;
  }
  Info& info = cgroups_[id];
  info.path = kUnknownPath;
  info.dead_since = now;
  return info;
}

std::vector<std::uint64_t> CgroupTracker::expired(Clock::time_point now,
                                                  Clock::duration grace) const {
  const std::lock_guard lock(mu_);
  std::vector<std::uint64_t> out;
  for (const auto& [id, info] : cgroups_)
    if (info.dead_since && now - *info.dead_since >= grace) out.push_back(id);
  return out;
}

void CgroupTracker::forget(std::span<const std::uint64_t> ids) {
  const std::lock_guard lock(mu_);
  for (const std::uint64_t id : ids) cgroups_.erase(id);
  // A table sized for a churn's peak would keep that memory: size it for what is left.
  if (cgroups_.size() < cgroups_.bucket_count() / 8) cgroups_.rehash(0);
}

CgroupTracker::Counts CgroupTracker::counts() const {
  const std::lock_guard lock(mu_);
  Counts c;
  for (const auto& [id, info] : cgroups_) ++(info.dead_since ? c.dead : c.live);
  return c;
}

std::vector<std::pair<std::uint64_t, CgroupTracker::Info>> CgroupTracker::known() const {
  const std::lock_guard lock(mu_);
  return {cgroups_.begin(), cgroups_.end()};
}

void CgroupTracker::restore(std::span<const std::pair<std::uint64_t, Info>> cgroups,
                            Clock::time_point now) {
  const std::lock_guard lock(mu_);
  for (const auto& [id, saved] : cgroups) {
    auto [it, added] = cgroups_.try_emplace(id, saved);
    // Saved alive but not found by the walk at start: gone while the exporter was down.
    if (added && !it->second.dead_since) it->second.dead_since = now;
  }
}

}  // namespace sle
