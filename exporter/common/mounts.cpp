#include "common/mounts.h"

#include <sys/mount.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "common/error.h"

namespace sle {
namespace {

std::string errno_message(int err) { return std::generic_category().message(err); }

bool is_octal_digit(char c) { return c >= '0' && c <= '7'; }

// The kernel's show_path/mangle escapes space, tab, newline and backslash as \ooo.
std::string unescape_octal(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && is_octal_digit(s[i + 1]) && is_octal_digit(s[i + 2]) &&
        is_octal_digit(s[i + 3])) {
      const int value = (s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0');
      out.push_back(static_cast<char>(value));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t pos = 0;
  while (pos < line.size()) {
    const std::size_t start = line.find_first_not_of(' ', pos);
    if (start == std::string_view::npos) break;
    const std::size_t end = std::min(line.find(' ', start), line.size());
    fields.push_back(line.substr(start, end - start));
    pos = end;
  }
  return fields;
}

}  // namespace

std::vector<MountEntry> parse_mountinfo(std::istream& in) {
  // Fields: id parent major:minor root mount_point options [optional...] - fs_type source
  // super_options. The optional fields ("shared:5 master:1") vary in number, so the fields after
  // them are found from the " - " separator.
  constexpr std::size_t kRootField = 3;
  constexpr std::size_t kMountPointField = 4;
  constexpr std::size_t kFirstOptionalField = 6;

  std::vector<MountEntry> mounts;
  std::string line;
  while (std::getline(in, line)) {
    const auto fields = split_fields(line);
    std::size_t sep = kFirstOptionalField;
    while (sep < fields.size() && fields[sep] != "-") ++sep;
    if (sep + 2 >= fields.size()) continue;  // no separator, or no fs type and source after it
    mounts.push_back({unescape_octal(fields[kMountPointField]), std::string(fields[sep + 1]),
                      unescape_octal(fields[sep + 2]), unescape_octal(fields[kRootField])});
  }
  return mounts;
}

std::vector<MountEntry> read_mountinfo() {
  constexpr const char* kPath = "/proc/self/mountinfo";
  std::ifstream in(kPath);
  if (!in) throw SystemError(std::string("cannot open ") + kPath, errno);
  return parse_mountinfo(in);
}

std::optional<std::string> find_mount(const std::vector<MountEntry>& mounts,
                                      std::string_view fs_type) {
  const auto entry = find_mount_entry(mounts, fs_type);
  return entry ? std::optional(entry->mount_point) : std::nullopt;
}

std::optional<MountEntry> find_mount_entry(const std::vector<MountEntry>& mounts,
                                           std::string_view fs_type) {
  for (const auto& m : mounts)
    if (m.fs_type == fs_type) return m;
  return std::nullopt;
}

std::string ensure_mounted(std::string_view fs_type, const std::string& default_path) {
  if (auto existing = find_mount(read_mountinfo(), fs_type)) return *existing;

  const std::string type(fs_type);
  auto fail = [&](const std::string& why) {
    return SystemError(type + " is not mounted and mounting it at " + default_path + " failed: " +
                       why + "; mount it with: mount -t " + type + " " + type + " " + default_path);
  };

  std::error_code ec;
  std::filesystem::create_directories(default_path, ec);
  if (ec) throw fail("cannot create the directory: " + ec.message());

  // The flags systemd uses for these pseudo filesystems: nothing on them is meant to be executed
  // or to act as a device.
  if (::mount(type.c_str(), default_path.c_str(), type.c_str(), MS_NOSUID | MS_NODEV | MS_NOEXEC,
              nullptr) != 0) {
    throw fail(errno_message(errno));
  }
  return default_path;
}

}  // namespace sle
