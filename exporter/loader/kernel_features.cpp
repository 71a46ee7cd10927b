#include "loader/kernel_features.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <sstream>
#include <string_view>

#include "common/error.h"
#include "socket_lsm.h"

namespace sle {
namespace {

struct FeatureName {
  std::uint32_t bit;
  std::string_view name;
};
constexpr std::array<FeatureName, 3> kFeatures = {{
    {SLE_FEAT_TASK_BTF, "task_btf"},
    {SLE_FEAT_RDONLY_CAST, "rdonly_cast"},
    {SLE_FEAT_CAST_TO_VOID, "cast_to_void"},
}};

struct BtfDeleter {
  void operator()(btf* b) const { btf__free(b); }
};

// Whether a program of `type` that calls the kfunc bpf_rdonly_cast(NULL, <struct socket>) loads:
// the kfunc exists (6.2+) and the kernel lets this program type call it.
bool rdonly_cast_loads(bpf_prog_type type, const btf* vmlinux) {
  const int kfunc = btf__find_by_name_kind(vmlinux, "bpf_rdonly_cast", BTF_KIND_FUNC);
  const int socket = btf__find_by_name_kind(vmlinux, "socket", BTF_KIND_STRUCT);
  if (kfunc <= 0 || socket <= 0) return false;
  const bpf_insn insns[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_1, 0, 0, 0},       // r1 = 0 (the object)
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, socket},  // r2 = btf id of struct socket
      {BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, kfunc},
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  const int fd = bpf_prog_load(type, "sle_probe", "Dual BSD/GPL", insns, std::size(insns), nullptr);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

bool enum_value_exists(const btf* types, const char* enum_name, const char* value) {
  const int id = btf__find_by_name_kind(types, enum_name, BTF_KIND_ENUM);
  if (id <= 0) return false;
  const btf_type* t = btf__type_by_id(types, static_cast<__u32>(id));
  const struct btf_enum* values = btf_enum(t);
  for (__u16 i = 0; i < btf_vlen(t); ++i)
    if (std::string_view(btf__name_by_offset(types, values[i].name_off)) == value) return true;
  return false;
}

std::uint32_t probe() {
  std::uint32_t features = 0;
  // bpf_get_current_task_btf() in tracepoint programs (5.11+), as libbpf probes a helper: a
  // tiny program of that type calling it must load.
  if (libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_get_current_task_btf, nullptr) ==
      1)
    features |= SLE_FEAT_TASK_BTF;
  const std::unique_ptr<btf, BtfDeleter> vmlinux(btf__load_vmlinux_btf());
  if (!vmlinux) return features;
  // The kprobe and tracepoint programs cast; lsm and fentry ones need no cast.
  if (rdonly_cast_loads(BPF_PROG_TYPE_TRACEPOINT, vmlinux.get()) &&
      rdonly_cast_loads(BPF_PROG_TYPE_KPROBE, vmlinux.get()))
    features |= SLE_FEAT_RDONLY_CAST;
  // The kernel names what its verifier does with bpf_rdonly_cast(p, 0) in enum bpf_features.
  if ((features & SLE_FEAT_RDONLY_CAST) &&
      enum_value_exists(vmlinux.get(), "bpf_features", "BPF_FEAT_RDONLY_CAST_TO_VOID"))
    features |= SLE_FEAT_CAST_TO_VOID;
  return features;
}

}  // namespace

std::uint32_t probed_kernel_features() {
  static std::once_flag once;
  static std::uint32_t features = 0;
  std::call_once(once, [] { features = probe(); });
  return features;
}

void check_feature_mask() {
  // Read at start, before any thread; nothing in the exporter sets the environment.
  // NOLINTNEXTLINE(concurrency-mt-unsafe)
  if (const char* mask = std::getenv("SLE_BPF_FEATURES")) parse_feature_names(mask);
}

std::uint32_t kernel_features() {
  const char* mask = std::getenv("SLE_BPF_FEATURES");  // NOLINT(concurrency-mt-unsafe): as above
  const std::uint32_t probed = probed_kernel_features();
  return mask ? probed & parse_feature_names(mask) : probed;
}

std::string feature_names(std::uint32_t features) {
  std::string out;
  for (const auto& f : kFeatures)
    if (features & f.bit) out += std::string(out.empty() ? "" : ",") + std::string(f.name);
  return out.empty() ? "none" : out;
}

std::uint32_t parse_feature_names(const std::string& list) {
  std::uint32_t out = 0;
  std::stringstream ss(list);
  for (std::string name; std::getline(ss, name, ',');) {
    if (name.empty() || name == "none") continue;
    bool known = false;
    for (const auto& f : kFeatures)
      if (name == f.name) out |= f.bit, known = true;
    if (!known) {
      std::string valid;
      for (const auto& f : kFeatures) valid += std::string(f.name) + ", ";
      throw ConfigError("SLE_BPF_FEATURES: unknown feature " + name + " (" + valid + "none)");
    }
  }
  return out;
}

}  // namespace sle
