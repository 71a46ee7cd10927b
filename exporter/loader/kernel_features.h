// What the running kernel lets the BPF programs read with direct loads instead of probe reads
// (bpf/socket_read.bpf.h), found once per process by asking the kernel: the SLE_FEAT_* bits every
// hook object is loaded with (its read-only sle_kernel_features). The verifier then sees
// constants and keeps only the paths this kernel can take.
#pragma once

#include <cstdint>
#include <string>

namespace sle {

// The features of this kernel, probed on the first call (loading the kernel's BTF and a few tiny
// test programs), masked by $SLE_BPF_FEATURES when it is set: a comma-separated subset of
// task_btf, rdonly_cast, cast_to_void, or "none". The mask can only take features away; tests
// and the benchmark use it to run the slower paths on a kernel that has the faster ones.
std::uint32_t kernel_features();

// What the kernel has, before the mask.
std::uint32_t probed_kernel_features();

// "task_btf,rdonly_cast" ("none" for 0).
std::string feature_names(std::uint32_t features);

// Parses a list as $SLE_BPF_FEATURES takes it; throws ConfigError on an unknown name.
// check_feature_mask() does that for the variable, so that a bad value stops the exporter (exit
// 2) with the config's errors, --config.check included, before the kernel is probed.
void check_feature_mask();
std::uint32_t parse_feature_names(const std::string& list);

}  // namespace sle
