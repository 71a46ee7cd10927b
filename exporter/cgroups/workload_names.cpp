#include "cgroups/workload_names.h"

#include <fstream>
#include <nlohmann/json.hpp>

namespace sle {
namespace {

struct Keys {
  const char* pod;
  const char* namespace_;
  const char* container;
};
constexpr Keys kContainerd = {"io.kubernetes.cri.sandbox-name",
                              "io.kubernetes.cri.sandbox-namespace",
                              "io.kubernetes.cri.container-name"};
constexpr Keys kCrio = {"io.kubernetes.pod.name", "io.kubernetes.pod.namespace",
                        "io.kubernetes.container.name"};

// A config.json is a few kilobytes; anything far larger is not one.
constexpr std::size_t kMaxConfigBytes = 4 << 20;

std::string string_at(const nlohmann::json& annotations, const char* key) {
  const auto it = annotations.find(key);
  return it != annotations.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::optional<WorkloadNames> workload_names_from_config(std::string_view text) {
  const nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return std::nullopt;
  const auto annotations = doc.find("annotations");
  if (annotations == doc.end() || !annotations->is_object()) return std::nullopt;
  for (const Keys& keys : {kContainerd, kCrio}) {
    WorkloadNames names{string_at(*annotations, keys.pod), string_at(*annotations, keys.namespace_),
                        string_at(*annotations, keys.container)};
    if (!names.pod.empty() && !names.namespace_.empty()) return names;
  }
  return std::nullopt;
}

std::optional<WorkloadNames> read_workload_names(std::span<const std::string> dirs,
                                                 std::string_view container_id) {
  if (container_id.empty() || container_id.find('/') != std::string_view::npos) return std::nullopt;
  for (const std::string& dir : dirs) {
    for (const char* file : {"/config.json", "/userdata/config.json"}) {
      std::ifstream in(dir + "/" + std::string(container_id) + file, std::ios::binary);
      if (!in) continue;
      std::string text(kMaxConfigBytes + 1, '\0');
      in.read(text.data(), static_cast<std::streamsize>(text.size()));
      text.resize(static_cast<std::size_t>(in.gcount()));
      if (text.size() > kMaxConfigBytes) continue;
      if (auto names = workload_names_from_config(text)) return names;
    }
  }
  return std::nullopt;
}

}  // namespace sle
