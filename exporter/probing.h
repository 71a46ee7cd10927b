// What the running kernel can do, found by asking it: the active LSM list, and a self-test that
// makes a hook fire from this process and checks that its program saw it.
#pragma once

#include <string>

#include "hook_object.h"

namespace sle {

// The active LSM list (securityfs' lsm file), or an error message in `why` when it can't be read.
bool bpf_lsm_active(std::string& why);

// Performs one socket operation of `hook`'s kind from this process and returns whether the
// object's programs counted it. Nothing it does is counted in the metrics.
bool self_test(HookObject& object, std::string& why);

}  // namespace sle
