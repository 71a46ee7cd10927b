#include "hooks/backend.h"

namespace sle {
namespace {

struct BackendInfo {
  Backend backend;
  std::string_view name;
  std::string_view section_prefix;
};

constexpr std::array<BackendInfo, 4> kInfo = {{
    {Backend::lsm, "lsm", "lsm/"},
    {Backend::fentry, "fentry", "fentry/"},
    {Backend::kprobe, "kprobe", "kprobe/"},
    {Backend::tracepoint, "tracepoint", "tracepoint/"},
}};

}  // namespace

std::string_view backend_name(Backend b) { return kInfo[static_cast<std::size_t>(b)].name; }

std::optional<Backend> backend_from_name(std::string_view name) {
  for (const auto& info : kInfo)
    if (info.name == name) return info.backend;
  return std::nullopt;
}

std::optional<Backend> backend_of_section(std::string_view section) {
  for (const auto& info : kInfo)
    if (section.starts_with(info.section_prefix)) return info.backend;
  return std::nullopt;
}

}  // namespace sle
