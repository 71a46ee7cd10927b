#include "cgroups/cgroup_resolver.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string_view>
#include <utility>

#include "common/error.h"

namespace sle {
namespace {

struct DirCloser {
  void operator()(DIR* dir) const { ::closedir(dir); }
};
using UniqueDir = std::unique_ptr<DIR, DirCloser>;

// Opens a directory as a DIR stream that owns its fd. A failing fdopendir() leaves the fd with
// the caller, hence the close.
UniqueDir open_dir_at(int dirfd, const char* name, int flags) {
  const int fd = ::openat(dirfd, name, flags | O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) ::close(fd);
  return UniqueDir(dir);
}

// Records the directory dir under rel, then its subdirectories. openat() relative to the parent
// keeps the walk correct while cgroups come and go; any that vanish (or are not readable)
// mid-walk are skipped. Symlinks are never followed (O_NOFOLLOW), and directories on another
// filesystem mounted inside the tree are not cgroups. The recursion holds one fd per level;
// cgroup trees are shallow.
void walk_dir(const UniqueDir& dir, dev_t dev, const std::string& rel,
              std::unordered_map<std::uint64_t, std::string>& paths) {
  const int fd = ::dirfd(dir.get());
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_dev != dev) return;
  paths.insert_or_assign(static_cast<std::uint64_t>(st.st_ino), rel);

  const std::string prefix = rel == "/" ? rel : rel + "/";
  while (const dirent* entry = ::readdir(dir.get())) {
    const std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    // cgroupfs fills d_type, so a cgroup's files (cgroup.procs, ...) are never opened.
    if (entry->d_type != DT_DIR && entry->d_type != DT_UNKNOWN) continue;
    const UniqueDir child = open_dir_at(fd, entry->d_name, O_NOFOLLOW);
    if (child) walk_dir(child, dev, prefix + std::string(name), paths);
  }
}

}  // namespace

CgroupResolver::CgroupResolver(std::string root,
                               std::chrono::steady_clock::duration min_rewalk_interval)
    : root_(std::move(root)), min_rewalk_interval_(min_rewalk_interval) {
  struct stat st {};
  if (::stat(root_.c_str(), &st) != 0) throw SystemError("cgroup root " + root_, errno);
  if (!S_ISDIR(st.st_mode)) throw SystemError("cgroup root " + root_, ENOTDIR);
}

std::optional<std::string> CgroupResolver::path(std::uint64_t cgroup_id) {
  std::lock_guard lock(mu_);
  if (auto it = paths_.find(cgroup_id); it != paths_.end()) return it->second;

  const auto now = std::chrono::steady_clock::now();
  if (last_walk_ && now - *last_walk_ < min_rewalk_interval_) return std::nullopt;
  last_walk_ = now;
  walk();

  if (auto it = paths_.find(cgroup_id); it != paths_.end()) return it->second;
  return std::nullopt;
}

void CgroupResolver::walk() {
  // The root itself may be reached through a symlink; only entries below it must not be.
  const UniqueDir root = open_dir_at(AT_FDCWD, root_.c_str(), 0);
  if (!root) return;  // the mount went away; cached paths remain and a later miss retries
  struct stat st {};
  if (::fstat(::dirfd(root.get()), &st) != 0) return;
  walk_dir(root, st.st_dev, "/", paths_);
}

}  // namespace sle
