#include "hook_set.h"

#include "logging.h"
#include "mounts.h"
#include "probing.h"

namespace sle {
namespace {

// Loads, attaches and self-tests one flavour of one hook; throws BpfError with the reason.
std::unique_ptr<HookObject> try_backend(Hook hook, Backend backend, const HookSettings& settings,
                                        const std::vector<HookObject*>& attached) {
  if (backend == Backend::lsm) {
    std::string why;
    if (!bpf_lsm_active(why)) throw BpfError(why);
  }
  if (backend == Backend::tracepoint) {
    // libbpf finds tracepoint ids in tracefs; only this backend needs it.
    try {
      ensure_mounted("tracefs", "/sys/kernel/tracing");
    } catch (const std::exception& e) {
      throw BpfError(e.what());
    }
  }
  auto object = HookObject::load(hook, backend, settings);
  object->attach();
  std::string why;
  // For lsm this is the proof: on a kernel without BPF LSM active the programs attach and never
  // run. For the others it catches the unexpected (a tracepoint that never fires).
  if (!self_test(*object, attached, why)) throw BpfError(why);
  return object;
}

}  // namespace

HookSettings hook_settings(const Config& config, Hook hook) {
  const HookConfig& hc = config.hooks[static_cast<std::size_t>(hook)];
  HookSettings s;
  s.max_entries = hc.max_entries;
  s.config.label_mask = hc.label_mask;
  s.config.family_mask = hc.family_mask;
  s.exact_ports = exact_port_bitmap(config);
  return s;
}

std::vector<HookObject*> HookSet::attached() const {
  std::vector<HookObject*> out;
  for (const auto& object : objects_)
    if (object) out.push_back(object.get());
  return out;
}

HookSet HookSet::attach(const Config& config) {
  HookSet set;
  std::vector<Backend> candidates(kBackendOrder.begin(), kBackendOrder.end());
  if (config.backend != "auto") candidates = {*backend_from_name(config.backend)};

  for (const HookSpec& hs : kHooks) {
    if (!config.hooks[static_cast<std::size_t>(hs.hook)].enabled) {
      log::info("Hook disabled by config", {{"hook", hs.name}});
      continue;
    }
    const HookSettings settings = hook_settings(config, hs.hook);
    std::string reasons;
    for (const Backend backend : candidates) {
      try {
        set.objects_[static_cast<std::size_t>(hs.hook)] =
            try_backend(hs.hook, backend, settings, set.attached());
        log::info("Attached hook", {{"hook", hs.name}, {"backend", backend_name(backend)}});
        break;
      } catch (const BpfError& e) {
        log::info("Backend not usable for hook",
                  {{"hook", hs.name}, {"backend", backend_name(backend)}, {"reason", e.what()}});
        reasons += std::string(reasons.empty() ? "" : "; ") + std::string(backend_name(backend)) +
                   ": " + e.what();
      }
    }
    if (!set.objects_[static_cast<std::size_t>(hs.hook)])
      throw BpfError("cannot attach hook " + std::string(hs.name) + " (" + reasons + ")");
  }
  return set;
}

}  // namespace sle
