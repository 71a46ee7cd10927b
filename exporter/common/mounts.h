// Mount table lookups: the exporter finds where cgroup2 and tracefs are mounted rather
// than assume the usual paths (hybrid hosts mount cgroup2 at /sys/fs/cgroup/unified; fresh
// machines may have no tracefs at all).
#pragma once

#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sle {

struct MountEntry {
  std::string mount_point;  // unescaped (the kernel writes a space as \040)
  std::string fs_type;      // e.g. "cgroup2", "tracefs", "bpf"
  std::string source;       // unescaped
  std::string root;         // what of its filesystem the mount shows: "/" for all of it
};

// Parses the format of /proc/<pid>/mountinfo (proc(5)). Malformed lines are skipped.
std::vector<MountEntry> parse_mountinfo(std::istream& in);

// Reads /proc/self/mountinfo; throws SystemError when it cannot be opened.
std::vector<MountEntry> read_mountinfo();

// The first mount point of that filesystem type, in mountinfo order.
std::optional<std::string> find_mount(const std::vector<MountEntry>& mounts,
                                      std::string_view fs_type);
// The same, the whole entry.
std::optional<MountEntry> find_mount_entry(const std::vector<MountEntry>& mounts,
                                           std::string_view fs_type);

// Returns the mount point of fs_type; when none is mounted, creates default_path and mounts
// fs_type there. Throws SystemError saying what to mount when that fails.
std::string ensure_mounted(std::string_view fs_type, const std::string& default_path);

}  // namespace sle
