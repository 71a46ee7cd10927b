// common/mounts.h's parse_mountinfo on any text: at most one entry per line, each with a mount
// point and a filesystem type (one field: no spaces), unescaping never making a field longer; and
// find_mount finds the first entry of a type.
#include <algorithm>
#include <sstream>
#include <string>

#include "common/mounts.h"
#include "fuzz_check.h"

namespace {

using sle::fuzz::printable;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(sle::fuzz::as_text(data, size));
  std::istringstream in(text);
  const auto mounts = sle::parse_mountinfo(in);

  const auto lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  FUZZ_CHECK(mounts.size() <= lines,
             std::to_string(mounts.size()) + " entries from " + std::to_string(lines) + " lines");
  for (const auto& m : mounts) {
    FUZZ_CHECK(!m.mount_point.empty() && m.mount_point.size() <= size, printable(m.mount_point));
    FUZZ_CHECK(!m.fs_type.empty() && m.fs_type.find(' ') == std::string::npos,
               printable(m.fs_type));
    FUZZ_CHECK(m.source.size() <= size, printable(m.source));
  }
  if (!mounts.empty()) {
    const auto found = sle::find_mount(mounts, mounts.back().fs_type);
    const auto first = std::find_if(mounts.begin(), mounts.end(), [&](const auto& m) {
      return m.fs_type == mounts.back().fs_type;
    });
    FUZZ_CHECK(found && *found == first->mount_point, printable(mounts.back().fs_type));
  }
  return 0;
}
