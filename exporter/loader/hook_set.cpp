#include "loader/hook_set.h"

#include "common/error.h"
#include "common/logging.h"
#include "common/mounts.h"
#include "loader/kernel_features.h"
#include "loader/pinning.h"
#include "loader/probing.h"

namespace sle {
namespace {

// Loads, attaches and self-tests one flavour of one hook; throws SystemError with the reason.
std::unique_ptr<HookObject> try_backend(Hook hook, Backend backend, const HookSettings& settings,
                                        const std::vector<HookObject*>& attached) {
  // libbpf finds tracepoint ids in tracefs; only this backend needs it.
  if (backend == Backend::tracepoint) ensure_mounted("tracefs", "/sys/kernel/tracing");
  auto object = std::make_unique<HookObject>(hook, backend, settings);
  object->attach();
  // Proof that the programs run: it catches the unexpected (a tracepoint that never fires).
  self_test(*object, attached);
  return object;
}

}  // namespace

HookSettings hook_settings(const Config& config, Hook hook) {
  const HookConfig& hc = config.hooks[hook.index()];
  HookSettings s;
  s.max_entries = hc.max_entries;
  s.config.label_mask = hc.label_mask;
  s.config.family_mask = hc.family_mask;
  s.exact_ports = exact_port_bitmap(config);
  s.kernel_features = kernel_features();
  if (!config.pin_path.empty()) {
    s.pin_dir = layout_dir(config.pin_path) + "/" + std::string(hook.name());
    s.v1_pin_dir = config.pin_path + "/v1/" + std::string(hook.name());
    s.v2_pin_dir = config.pin_path + "/v2/" + std::string(hook.name());
  }
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
  if (config.backend) candidates = {*config.backend};
  log::info("Kernel features for direct reads",
            {{"probed", feature_names(probed_kernel_features())},
             {"used", feature_names(kernel_features())}});

  for (const Hook hook : all_hooks()) {
    const std::string name(hook.name());
    if (!config.hooks[hook.index()].enabled) {
      log::info("Hook disabled by config", {{"hook", name}});
      continue;
    }
    const HookSettings settings = hook_settings(config, hook);
    std::string reasons;
    for (const Backend backend : candidates) {
      try {
        set.objects_[hook.index()] = try_backend(hook, backend, settings, set.attached());
        log::info("Attached hook", {{"hook", name}, {"backend", backend_name(backend)}});
        break;
      } catch (const SystemError& e) {
        log::info("Backend not usable for hook",
                  {{"hook", name}, {"backend", backend_name(backend)}, {"reason", e.what()}});
        reasons += std::string(reasons.empty() ? "" : "; ") + std::string(backend_name(backend)) +
                   ": " + e.what();
      }
    }
    if (!set.objects_[hook.index()])
      throw SystemError("cannot attach hook " + name + " (" + reasons + ")");
  }
  if (!set.attached().empty()) set.barrier_ = std::make_unique<ProgramBarrier>();
  return set;
}

}  // namespace sle
