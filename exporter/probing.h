// What the running kernel can do, found by asking it: the active LSM list, and a self-test that
// makes a hook fire from this process and checks that its program saw it.
#pragma once

#include <string>
#include <vector>

#include "hook_object.h"

namespace sle {

// The active LSM list (securityfs' lsm file), or an error message in `why` when it can't be read.
bool bpf_lsm_active(std::string& why);

// Performs one socket operation of `object`'s hook from this process and returns whether the
// object's programs saw it. `attached` are the hooks already attached: the test's other socket
// calls (a listener for accept, say) are hidden from them too, so nothing the self-test does is
// counted in the metrics.
bool self_test(HookObject& object, const std::vector<HookObject*>& attached, std::string& why);

}  // namespace sle
