// metrics/series_labels.h on any map key bytes: every label is one the mask keeps, at most once,
// in the order of enum sle_label, with a non-empty value; cgroup-derived labels are well formed;
// an outcome is one of its three names (or the number of an unknown one), an errno only with a
// non-zero err; the label text has no raw newline.
// port_label and peer_label on any class byte.
//
// Input: the 32 bytes of an sle_key (what the kernel wrote into the map), a 32-bit label mask, a
// byte whose low bit says whether the key's cgroup id has a path (else it is "unknown"), and the
// rest as that path. Missing bytes are zero.
#include <algorithm>
#include <array>
#include <cstring>
#include <string>

#include "fuzz_check.h"
#include "metrics/series_labels.h"

namespace {

using sle::fuzz::printable;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static_assert(sizeof(sle_key) == 32);
  std::array<std::uint8_t, sizeof(sle_key) + 5> head{};
  std::memcpy(head.data(), data, std::min(size, head.size()));
  sle_key key;
  std::memcpy(&key, head.data(), sizeof key);
  std::uint32_t mask = 0;
  std::memcpy(&mask, head.data() + sizeof key, sizeof mask);
  const bool known_cgroup = (head[sizeof key + 4] & 1) != 0;
  const std::string path(size > head.size()
                             ? sle::fuzz::as_text(data + head.size(), size - head.size())
                             : std::string_view());

  const sle::CgroupTracker::Info info{path, sle::parse_cgroup_path(path), {}, {}};
  const sle::LabelSet labels = sle::series_labels(key, mask, known_cgroup ? &info : nullptr);

  std::size_t previous = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const auto& label = labels[i];
    const auto it = std::find(sle::kLabelNames.begin(), sle::kLabelNames.end(), label.name);
    FUZZ_CHECK(it != sle::kLabelNames.end(), printable(label.name));
    const auto index = static_cast<std::size_t>(it - sle::kLabelNames.begin());
    FUZZ_CHECK(mask & (1u << index), label.name + " not in mask " + std::to_string(mask));
    FUZZ_CHECK(i == 0 || index > previous, label.name + " out of order or repeated");
    previous = index;
    FUZZ_CHECK(!label.value.empty(), label.name + " is empty");
    if (index == SLE_LABEL_POD_UID)
      FUZZ_CHECK(sle::fuzz::is_pod_uid(label.value), printable(label.value));
    if (index == SLE_LABEL_CONTAINER_ID)
      FUZZ_CHECK(sle::fuzz::is_container_id(label.value), printable(label.value));
    if (index == SLE_LABEL_CGROUP)
      FUZZ_CHECK(label.value == (known_cgroup ? path : "unknown"), printable(label.value));
    if (index == SLE_LABEL_OUTCOME)
      FUZZ_CHECK(key.outcome > SLE_OUTCOME_UNKNOWN || label.value == "allowed" ||
                     label.value == "denied" || label.value == "unknown",
                 printable(label.value));
    if (index == SLE_LABEL_ERRNO) FUZZ_CHECK(key.err != 0, printable(label.value));
  }

  // The text the series is kept as: {name="value",...}, or nothing for no labels.
  const std::string text = sle::label_text(labels);
  FUZZ_CHECK(labels.empty() == text.empty(), printable(text));
  if (!labels.empty()) FUZZ_CHECK(text.front() == '{' && text.back() == '}', printable(text));
  FUZZ_CHECK(text.find('\n') == std::string::npos, "a raw newline in " + printable(text));

  // Absent (empty) only for the classes that mean "no port" and "no peer address".
  const std::string port = sle::port_label(key.port_class, key.port);
  FUZZ_CHECK(port.empty() == (key.port_class == SLE_PORT_NONE),
             std::to_string(key.port_class) + " -> " + printable(port));
  if (key.port_class == SLE_PORT_EXACT) FUZZ_CHECK(port == std::to_string(key.port), port);
  const std::string peer = sle::peer_label(key.peer);
  FUZZ_CHECK(peer.empty() == (key.peer == SLE_PEER_NONE),
             std::to_string(key.peer) + " -> " + printable(peer));
  return 0;
}
