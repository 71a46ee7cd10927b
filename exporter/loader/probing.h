// Whether attached programs really run, found by asking the kernel: a self-test that makes a hook
// fire from this process and checks that its program saw it.
#pragma once

#include <vector>

#include "loader/hook_object.h"

namespace sle {

// Makes the hook's self-test call (hooks/hook_table.h) from this process and throws SystemError
// unless the object's programs saw it. `attached` are the hooks already attached: the test's
// other socket calls (a listener for accept, say) are hidden from them too, so nothing the
// self-test does is counted in the metrics.
void self_test(HookObject& object, const std::vector<HookObject*>& attached);

}  // namespace sle
