#include "cgroups/cgroup_walk.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string_view>

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

using Found = std::function<void(std::uint64_t, const std::string&)>;

// Records the directory dir under rel, then its subdirectories. openat() relative to the parent
// keeps the walk correct while cgroups come and go; any that vanish (or are not readable)
// mid-walk are skipped. Symlinks are never followed (O_NOFOLLOW), and directories on another
// filesystem mounted inside the tree are not cgroups. The recursion holds one fd per level;
// cgroup trees are shallow.
void walk_dir(const UniqueDir& dir, dev_t dev, const std::string& rel, const Found& found) {
  const int fd = ::dirfd(dir.get());
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_dev != dev) return;
  found(static_cast<std::uint64_t>(st.st_ino), rel);

  const std::string prefix = rel == "/" ? rel : rel + "/";
  // readdir is safe on a stream no other thread reads (glibc).
  while (const dirent* entry = ::readdir(dir.get())) {  // NOLINT(concurrency-mt-unsafe)
    const std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    // cgroupfs fills d_type, so a cgroup's files (cgroup.procs, ...) are never opened.
    if (entry->d_type != DT_DIR && entry->d_type != DT_UNKNOWN) continue;
    const UniqueDir child = open_dir_at(fd, entry->d_name, O_NOFOLLOW);
    if (child) walk_dir(child, dev, prefix + std::string(name), found);
  }
}

}  // namespace

void walk_cgroups(const std::string& root, const Found& found) {
  // The root itself may be reached through a symlink; only entries below it must not be.
  const UniqueDir dir = open_dir_at(AT_FDCWD, root.c_str(), 0);
  if (!dir) throw SystemError("opening the cgroup2 mount " + root, errno);
  struct stat st {};
  if (::fstat(::dirfd(dir.get()), &st) != 0) throw SystemError("stat " + root, errno);
  walk_dir(dir, st.st_dev, "/", found);
}

std::uint64_t cgroup_id_at(const std::string& root, const std::string& path) {
  struct stat st {};
  const std::string full = path == "/" ? root : root + path;
  if (::lstat(full.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return 0;
  return static_cast<std::uint64_t>(st.st_ino);
}

}  // namespace sle
