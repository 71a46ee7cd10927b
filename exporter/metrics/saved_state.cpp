#include "metrics/saved_state.h"

#include <nlohmann/json.hpp>

#include "common/capabilities.h"
#include "common/error.h"
#include "common/logging.h"

namespace sle {
namespace {

using nlohmann::json;

constexpr int kVersion = 1;

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

void SavedState::set_cgroups(
    const std::vector<std::pair<std::uint64_t, CgroupTracker::Info>>& known,
    CgroupTracker::Clock::time_point now) {
  saved_at = unix_now();
  cgroups.clear();
  for (const auto& [id, info] : known) {
    Cgroup c{id, info.path, info.names, std::nullopt};
    if (info.dead_since)
      c.dead_for_seconds = std::chrono::duration<double>(now - *info.dead_since).count();
    cgroups.push_back(std::move(c));
  }
}

std::vector<std::pair<std::uint64_t, CgroupTracker::Info>> SavedState::cgroups_at(
    CgroupTracker::Clock::time_point now) const {
  const double since_saved = std::max(0.0, unix_now() - saved_at);
  std::vector<std::pair<std::uint64_t, CgroupTracker::Info>> out;
  for (const Cgroup& c : cgroups) {
    CgroupTracker::Info info{
        .path = c.path, .identity = parse_cgroup_path(c.path), .names = c.names, .dead_since = {}};
    if (c.dead_for_seconds)
      info.dead_since = now - std::chrono::duration_cast<CgroupTracker::Clock::duration>(
                                  std::chrono::duration<double>(*c.dead_for_seconds + since_saved));
    out.emplace_back(c.id, std::move(info));
  }
  return out;
}

std::string to_json(const SavedState& state) {
  json doc = {{"version", kVersion}, {"saved_at", state.saved_at}};
  json& cgroups = doc["cgroups"] = json::array();
  for (const auto& c : state.cgroups) {
    json entry = {{"id", c.id}, {"path", c.path}};
    if (!c.names.pod.empty()) entry["names"] = {c.names.pod, c.names.namespace_, c.names.container};
    if (c.dead_for_seconds) entry["dead_for_seconds"] = *c.dead_for_seconds;
    cgroups.push_back(std::move(entry));
  }
  json& hooks = doc["hooks"] = json::object();
  for (const auto& [name, hook] : state.hooks) {
    json retained = json::array();
    for (const auto& r : hook.retained)
      retained.push_back({{"labels", r.labels}, {"count", r.count}});
    hooks[name] = {{"expired", hook.expired}, {"retained", std::move(retained)}};
  }
  return doc.dump();
}

SavedState parse_saved_state(const std::string& text) {
  try {
    const json doc = json::parse(text);
    if (doc.at("version").get<int>() != kVersion)
      throw Error("state of version " + doc.at("version").dump() + ", this exporter reads " +
                  std::to_string(kVersion));
    SavedState state;
    state.saved_at = doc.at("saved_at").get<double>();
    for (const json& c : doc.at("cgroups")) {
      SavedState::Cgroup cgroup{
          c.at("id").get<std::uint64_t>(), c.at("path").get<std::string>(), {}, std::nullopt};
      if (c.contains("names"))
        cgroup.names = {c.at("names").at(0).get<std::string>(),
                        c.at("names").at(1).get<std::string>(),
                        c.at("names").at(2).get<std::string>()};
      if (c.contains("dead_for_seconds"))
        cgroup.dead_for_seconds = c.at("dead_for_seconds").get<double>();
      state.cgroups.push_back(std::move(cgroup));
    }
    for (const auto& [name, h] : doc.at("hooks").items()) {
      SavedState::Hook hook;
      hook.expired = h.at("expired").get<std::uint64_t>();
      for (const json& r : h.at("retained")) {
        hook.retained.push_back(
            {r.at("labels").get<std::string>(), r.at("count").get<std::uint64_t>()});
      }
      state.hooks[name] = std::move(hook);
    }
    return state;
  } catch (const json::exception& e) {
    throw Error(std::string("not a state this exporter wrote: ") + e.what());
  }
}

void restore_state(const PinnedBlob& blob, CgroupTracker* tracker, std::span<HookReading> hooks) {
  const auto text = blob.read();
  if (!text) return;
  SavedState saved;
  try {
    saved = parse_saved_state(*text);
  } catch (const std::exception& e) {
    log::warn("The kept state cannot be read; starting without it", {{"err", e.what()}});
    return;
  }
  const auto now = CgroupTracker::Clock::now();
  if (tracker) tracker->restore(saved.cgroups_at(now), now);
  for (HookReading& h : hooks) {
    const auto it = saved.hooks.find(std::string(h.object->hook().name()));
    if (it == saved.hooks.end() || !h.object->maps_reused()) continue;
    h.series.restore(it->second.retained, it->second.expired);
  }
  log::info("Took back the state kept at the last stop",
            {{"cgroups", std::to_string(saved.cgroups.size())}});
}

void save_state(PinnedBlob& blob, const CgroupTracker* tracker,
                std::span<const HookReading> hooks) {
  capabilities::enable_bpf_for_this_thread();  // kernels before 5.19 only
  SavedState saved;
  if (tracker) saved.set_cgroups(tracker->known(), CgroupTracker::Clock::now());
  for (const HookReading& h : hooks)
    saved.hooks[std::string(h.object->hook().name())] = {h.series.retained(), h.series.expired()};
  try {
    blob.write(to_json(saved));
  } catch (const std::exception& e) {
    log::error("Keeping the state failed", {{"err", e.what()}});
  }
}

}  // namespace sle
