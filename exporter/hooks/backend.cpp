#include "hooks/backend.h"

namespace sle {

std::string_view backend_name(Backend b) { return kBackendInfo[static_cast<std::size_t>(b)].name; }

std::string backend_choices() {
  std::string out = "auto";
  for (std::size_t i = 0; i < kBackendInfo.size(); ++i) {
    out += i + 1 < kBackendInfo.size() ? ", " : " or ";
    out += kBackendInfo[i].name;
  }
  return out;
}

std::optional<Backend> backend_from_name(std::string_view name) {
  for (const auto& info : kBackendInfo)
    if (info.name == name) return info.backend;
  return std::nullopt;
}

bool backend_loads(Backend b, bool outcome, std::string_view program) {
  const BackendInfo& info = kBackendInfo[static_cast<std::size_t>(b)];
  return program.starts_with(outcome ? info.programs_with_outcome : info.programs);
}

}  // namespace sle
