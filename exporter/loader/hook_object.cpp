#include "loader/hook_object.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include "common/error.h"
#include "loader/embedded_objects.h"
#include "loader/object_globals.h"
#include "loader/pinning.h"

namespace sle {
namespace {

constexpr std::array<const char*, 2> kCountsMaps = {"sle_counts_0", "sle_counts_1"};
constexpr const char* kTotalsMap = "sle_totals";
constexpr const char* kCacheMap = "sle_cache";

std::string describe(Hook hook, Backend backend) {
  return std::string(hook.name()) + " (" + std::string(backend_name(backend)) + ")";
}

// After load, maps the object's .bss map over its initial image, as a skeleton's load does: the
// variables there are then the map's own memory, shared with the programs. (libbpf 1.5 and later
// do this in bpf_object__load already; mapping again at the same place changes nothing.)
void share_bss(bpf_object* obj) {
  bpf_map* map = find_map(obj, ".bss");
  std::size_t size = 0;
  void* image = const_cast<void*>(bpf_map__initial_value(map, &size));
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t length = (size + page - 1) / page * page;
  if (!image || ::mmap(image, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
                       bpf_map__fd(map), 0) == MAP_FAILED)
    throw SystemError(std::string("mapping .bss of BPF object ") + bpf_object__name(obj), errno);
}

// The kprobe backend's per-thread stash (bpf/stash.bpf.h): the task's own storage where kprobe
// programs may use it (5.11+, the kernels with bpf_get_current_task_btf), else a hash by thread
// id, as big as the threads inside one hook at once, and 1 entry where nothing uses it.
void prepare_stash(bpf_map* stash, bool used, std::uint32_t kernel_features,
                   const std::string& what) {
  if (kernel_features & SLE_FEAT_TASK_BTF) return;  // the task storage the object declares
  int err = bpf_map__set_type(stash, BPF_MAP_TYPE_HASH);
  if (!err) err = bpf_map__set_map_flags(stash, 0);
  if (!err) err = bpf_map__set_max_entries(stash, used ? 2048 : 1);
  if (err) throw SystemError("making the stash of " + what + " a hash", -err);
}

}  // namespace

void HookObject::ObjectCloser::operator()(bpf_object* obj) const { bpf_object__close(obj); }
void HookObject::LinkDestroyer::operator()(bpf_link* link) const { bpf_link__destroy(link); }

HookObject::HookObject(Hook hook, Backend backend, const HookSettings& settings)
    : hook_(hook), backend_(backend) {
  const std::string what = describe(hook, backend);
  const EmbeddedObject* embedded = find_embedded_object(hook.name());
  if (!embedded) throw SystemError("this build has no BPF object for hook " + what);
  const std::string name(embedded->name);
  LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = name.c_str());
  object_.reset(bpf_object__open_mem(embedded->elf.data(), embedded->elf.size(), &opts));
  if (!object_) throw SystemError("opening the BPF object of " + what, errno);
  bpf_object* obj = object_.get();

  *global<sle_hook_config>(obj, ".rodata", "sle_cfg") = settings.config;
  *global<decltype(settings.exact_ports)>(obj, ".rodata", "sle_exact_ports") = settings.exact_ports;
  *global<std::uint32_t>(obj, ".rodata", "sle_kernel_features") = settings.kernel_features;
  for (const char* counts : kCountsMaps)
    if (const int err = bpf_map__set_max_entries(find_map(obj, counts), settings.max_entries))
      throw SystemError("setting the map capacity of " + what, -err);
  if (!settings.pin_dir.empty()) {
    std::vector<bpf_map*> maps;
    maps.reserve(kCountsMaps.size() + 2);
    for (const char* counts : kCountsMaps) maps.push_back(find_map(obj, counts));
    maps.push_back(find_map(obj, kTotalsMap));
    maps.push_back(find_map(obj, kCacheMap));
    maps_reused_ = pin_maps(maps, settings.pin_dir, what);
  }

  const bool outcome = (settings.config.label_mask & SLE_OUTCOME_LABELS) != 0;
  prepare_stash(find_map(obj, "sle_stash"), backend == Backend::kprobe && outcome,
                settings.kernel_features, what);
  int selected = 0;
  bpf_program* prog = nullptr;
  bpf_object__for_each_program(prog, obj) {
    const bool mine = backend_loads(backend, outcome, bpf_program__name(prog));
    bpf_program__set_autoload(prog, mine);
    selected += mine ? 1 : 0;
  }
  if (selected == 0) throw SystemError("this build has no " + what + " program");

  if (const int err = bpf_object__load(obj)) throw SystemError("loading " + what, -err);
  const int counts[2] = {counts_fd(0), counts_fd(1)};
  const std::uint32_t mask = settings.config.label_mask;
  try {
    if (!maps_reused_ && !settings.v2_pin_dir.empty())
      maps_reused_ = convert_v2_maps(settings.v2_pin_dir, counts, totals_fd(), mask, what);
    if (!maps_reused_ && !settings.v1_pin_dir.empty())
      maps_reused_ = convert_v1_maps(settings.v1_pin_dir, counts, totals_fd(), mask, what);
  } catch (const Error&) {
    // Half-converted maps left pinned would be taken as this layout's at the next start, which
    // would then never convert the old pins again (and its reads would find counts without their
    // calls): unpinned, they go with this process, and the old pins, still there, are converted
    // at the next start.
    for (bpf_map* map = nullptr; (map = bpf_object__next_map(obj, map));)
      if (bpf_map__is_pinned(map)) bpf_map__unpin(map, nullptr);
    throw;
  }
  share_bss(obj);
  vars_.self_test_active = global<std::uint32_t>(obj, ".bss", "sle_self_test_active");
  vars_.self_test_comm = *global<std::uint64_t[2]>(obj, ".bss", "sle_self_test_comm");
  vars_.self_test_hits = global<std::uint64_t>(obj, ".bss", "sle_self_test_hits");
  vars_.gen = global<std::uint32_t>(obj, ".bss", "sle_gen");
  vars_.lost_verdicts = global<std::uint64_t>(obj, ".bss", "sle_lost_verdicts");
}

HookObject::~HookObject() {
  links_.clear();  // detach before the object (and its programs) go
}

void HookObject::attach() {
  // The programs that stash a call at the hook's entry go last, once those that take the stash
  // at its return run: else a call between the two would stay stashed (bpf/stash.bpf.h).
  std::vector<bpf_program*> order;
  bpf_program* prog = nullptr;
  bpf_object__for_each_program(prog, object_.get()) {
    if (bpf_program__autoload(prog)) order.push_back(prog);
  }
  std::stable_partition(order.begin(), order.end(), [](bpf_program* p) {
    return !std::string_view(bpf_program__name(p)).starts_with("kret_entry_");
  });
  for (bpf_program* p : order) {
    bpf_link* link = bpf_program__attach(p);
    if (!link) {
      const int err = errno;
      links_.clear();
      throw SystemError(
          "attaching " + std::string(bpf_program__name(p)) + " of " + describe(hook_, backend_),
          err);
    }
    links_.emplace_back(link);
  }
}

int HookObject::counts_fd(std::uint32_t gen) const {
  return bpf_map__fd(find_map(object_.get(), kCountsMaps[gen & 1]));
}
int HookObject::totals_fd() const { return bpf_map__fd(find_map(object_.get(), kTotalsMap)); }
int HookObject::cache_fd() const { return bpf_map__fd(find_map(object_.get(), kCacheMap)); }
std::uint32_t HookObject::capacity() const {
  return bpf_map__max_entries(find_map(object_.get(), kCountsMaps[0]));
}

std::uint32_t HookObject::generation() const {
  return __atomic_load_n(vars_.gen, __ATOMIC_SEQ_CST);
}

void HookObject::set_generation(std::uint32_t gen) {
  __atomic_store_n(vars_.gen, gen & 1, __ATOMIC_SEQ_CST);
}

std::vector<HookObject::Program> HookObject::programs() const {
  std::vector<Program> out;
  bpf_program* prog = nullptr;
  bpf_object__for_each_program(prog, object_.get()) {
    if (bpf_program__autoload(prog))
      out.push_back({bpf_program__name(prog), bpf_program__fd(prog)});
  }
  return out;
}

void HookObject::set_self_test_thread(const char* comm) {
  // The name goes in before the flag turns on, and the flag turns off first.
  if (!comm) {
    __atomic_store_n(vars_.self_test_active, 0u, __ATOMIC_SEQ_CST);
    return;
  }
  std::uint64_t name[2] = {};
  std::memcpy(name, comm, std::min<std::size_t>(std::strlen(comm), sizeof name - 1));
  vars_.self_test_comm[0] = name[0];
  vars_.self_test_comm[1] = name[1];
  __atomic_store_n(vars_.self_test_active, 1u, __ATOMIC_SEQ_CST);
}

std::uint64_t HookObject::lost_verdicts() const {
  return __atomic_load_n(vars_.lost_verdicts, __ATOMIC_SEQ_CST);
}

std::uint64_t HookObject::self_test_hits() const {
  return __atomic_load_n(vars_.self_test_hits, __ATOMIC_SEQ_CST);
}

}  // namespace sle
