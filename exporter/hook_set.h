// Every enabled hook, attached: per hook, the configured backend, or with `auto` the first of
// lsm, fentry, kprobe, tracepoint that loads, attaches and passes the self-test.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "config.h"
#include "hook_object.h"

namespace sle {

// Turns the config into what a hook object is loaded with.
HookSettings hook_settings(const Config& config, Hook hook);

class HookSet {
 public:
  // Throws BpfError when an enabled hook cannot attach with the forced backend, or with any
  // backend under auto; the message gives every backend's reason.
  static HookSet attach(const Config& config);

  // nullptr for a disabled hook.
  const HookObject* object(Hook hook) const {
    return objects_[static_cast<std::size_t>(hook)].get();
  }

 private:
  std::vector<HookObject*> attached() const;

  std::array<std::unique_ptr<HookObject>, kHookCount> objects_;
};

}  // namespace sle
