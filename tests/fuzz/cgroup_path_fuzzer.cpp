// cgroups/cgroup_path.h on any path: pod_uid is empty or a pod uid as the API shows it
// (8-4-4-4-12 lower-case hex), container_id empty or 64 lower-case hex digits, and each one is
// read from the path itself (the uid with '-' or, under the systemd driver, '_' between groups).
#include <algorithm>
#include <string>

#include "cgroups/cgroup_path.h"
#include "fuzz_check.h"

namespace {

using sle::fuzz::printable;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view path = sle::fuzz::as_text(data, size);
  const sle::CgroupIdentity id = sle::parse_cgroup_path(path);

  if (!id.pod_uid.empty()) {
    FUZZ_CHECK(sle::fuzz::is_pod_uid(id.pod_uid), printable(path) + " -> " + printable(id.pod_uid));
    std::string systemd_form = id.pod_uid;
    std::replace(systemd_form.begin(), systemd_form.end(), '-', '_');
    FUZZ_CHECK(path.find(id.pod_uid) != std::string_view::npos ||
                   path.find(systemd_form) != std::string_view::npos,
               printable(path) + " -> " + id.pod_uid);
  }
  if (!id.container_id.empty()) {
    FUZZ_CHECK(sle::fuzz::is_container_id(id.container_id),
               printable(path) + " -> " + printable(id.container_id));
    FUZZ_CHECK(path.find(id.container_id) != std::string_view::npos,
               printable(path) + " -> " + id.container_id);
  }
  return 0;
}
