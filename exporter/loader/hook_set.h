// Every enabled hook, attached: per hook, the configured backend, or with `auto` the first of
// fentry, kprobe, tracepoint that loads, attaches and passes the self-test.
#pragma once

#include <array>
#include <memory>
#include <vector>

#include "config/config.h"
#include "loader/hook_object.h"
#include "loader/program_barrier.h"

namespace sle {

// Turns the config into what a hook object is loaded with.
HookSettings hook_settings(const Config& config, Hook hook);

class HookSet {
 public:
  // Throws SystemError when an enabled hook cannot attach with the forced backend, or with any
  // backend under auto; the message gives every backend's reason.
  static HookSet attach(const Config& config);

  // nullptr for a disabled hook.
  const HookObject* object(Hook hook) const { return objects_[hook.index()].get(); }
  HookObject* object(Hook hook) { return objects_[hook.index()].get(); }
  // Waits until none of the attached programs still runs a call it began; null without hooks.
  const ProgramBarrier* barrier() const { return barrier_.get(); }

 private:
  std::vector<HookObject*> attached() const;

  std::array<std::unique_ptr<HookObject>, kHookCount> objects_;
  std::unique_ptr<ProgramBarrier> barrier_;
};

}  // namespace sle
