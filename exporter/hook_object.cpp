#include "hook_object.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>

// The skeletons are generated C; their types name these.
extern "C" {
#include "socket_lsm.h"
}
#include "accept.skel.h"
#include "bind.skel.h"
#include "connect.skel.h"
#include "create.skel.h"
#include "listen.skel.h"
#include "logging.h"
#include "setsockopt.skel.h"

namespace sle {

BpfError::BpfError(const std::string& what, int err)
    : std::runtime_error(what + ": " + std::strerror(err)) {}

namespace {

// What the loader needs of a generated skeleton, type-erased so one code path serves every hook.
struct SkeletonOps {
  void* (*open)(const bpf_object_open_opts*);
  int (*load)(void*);
  void (*destroy)(void*);
  bpf_object* (*object)(void*);
  sle_hook_config* (*config)(void*);
  __u64* (*exact_ports)(void*);
  __u32* (*self_test_active)(void*);
  __u64* (*self_test_comm)(void*);
  __u64* (*self_test_hits)(void*);
};

template <typename S, S* (*Open)(const bpf_object_open_opts*), int (*Load)(S*), void (*Destroy)(S*)>
constexpr SkeletonOps make_ops() {
  return {
      [](const bpf_object_open_opts* opts) -> void* { return Open(opts); },
      [](void* s) { return Load(static_cast<S*>(s)); },
      [](void* s) { Destroy(static_cast<S*>(s)); },
      [](void* s) { return static_cast<S*>(s)->obj; },
      [](void* s) { return &static_cast<S*>(s)->rodata->sle_cfg; },
      [](void* s) { return static_cast<S*>(s)->rodata->sle_exact_ports; },
      [](void* s) { return &static_cast<S*>(s)->bss->self_test_active; },
      [](void* s) { return static_cast<S*>(s)->bss->self_test_comm; },
      [](void* s) { return &static_cast<S*>(s)->bss->self_test_hits; },
  };
}

#define SLE_SKELETON(name) \
  make_ops<name##_bpf, name##_bpf__open_opts, name##_bpf__load, name##_bpf__destroy>()

// Indexed by Hook, in hook_table.h's order.
constexpr std::array<SkeletonOps, kHookCount> kSkeletons = {
    SLE_SKELETON(create), SLE_SKELETON(bind),   SLE_SKELETON(connect),
    SLE_SKELETON(listen), SLE_SKELETON(accept), SLE_SKELETON(setsockopt),
};

// libbpf's messages go to our log at debug level: under auto, failures are expected and their
// reasons are logged by the caller; the detail is there for --log.level=debug.
int libbpf_log(libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char buf[1024];
  const int n = std::vsnprintf(buf, sizeof buf, format, args);
  std::string line(buf, std::clamp(n, 0, static_cast<int>(sizeof buf) - 1));
  while (!line.empty() && line.back() == '\n') line.pop_back();
  log::debug("libbpf", {{"output", line}});
  return n;
}

std::string describe(Hook hook, Backend backend) {
  return std::string(spec(hook).name) + " (" + std::string(backend_name(backend)) + ")";
}

bpf_map* find_map(bpf_object* obj, const char* name) {
  bpf_map* map = bpf_object__find_map_by_name(obj, name);
  if (!map) throw BpfError(std::string("BPF object has no map ") + name);
  return map;
}

}  // namespace

struct HookObject::Skeleton {
  const SkeletonOps& ops;
  void* skel = nullptr;
  explicit Skeleton(const SkeletonOps& o) : ops(o) {}
  ~Skeleton() {
    if (skel) ops.destroy(skel);
  }
  bpf_object* object() const { return ops.object(skel); }
};

HookObject::HookObject(Hook hook, Backend backend) : hook_(hook), backend_(backend) {}

HookObject::~HookObject() {
  links_.clear();  // detach before the object (and its programs) go
}

std::unique_ptr<HookObject> HookObject::load(Hook hook, Backend backend,
                                             const HookSettings& settings) {
  static std::once_flag route_log;
  std::call_once(route_log, [] { libbpf_set_print(libbpf_log); });
  auto self = std::make_unique<HookObject>(hook, backend);
  self->skel_ = std::make_unique<Skeleton>(kSkeletons[static_cast<std::size_t>(hook)]);
  Skeleton& s = *self->skel_;
  const std::string what = describe(hook, backend);

  s.skel = s.ops.open(nullptr);
  if (!s.skel) throw BpfError("opening the BPF object of " + what, errno);
  *s.ops.config(s.skel) = settings.config;
  std::memcpy(s.ops.exact_ports(s.skel), settings.exact_ports.data(),
              sizeof(__u64) * settings.exact_ports.size());
  if (const int err =
          bpf_map__set_max_entries(find_map(s.object(), "counts"), settings.max_entries))
    throw BpfError("setting the map capacity of " + what, -err);

  int selected = 0;
  bpf_program* prog = nullptr;
  bpf_object__for_each_program(prog, s.object()) {
    const bool mine = backend_of_section(bpf_program__section_name(prog)) == backend;
    bpf_program__set_autoload(prog, mine);
    selected += mine ? 1 : 0;
  }
  if (selected == 0) throw BpfError("this build has no " + what + " program");

  if (const int err = s.ops.load(s.skel)) throw BpfError("loading " + what, -err);
  return self;
}

void HookObject::attach() {
  bpf_program* prog = nullptr;
  bpf_object__for_each_program(prog, skel_->object()) {
    if (!bpf_program__autoload(prog)) continue;
    bpf_link* link = bpf_program__attach(prog);
    if (!link) {
      const int err = errno;
      links_.clear();
      throw BpfError(
          "attaching " + std::string(bpf_program__name(prog)) + " of " + describe(hook_, backend_),
          err);
    }
    links_.emplace_back(link, &bpf_link__destroy);
  }
}

int HookObject::counts_fd() const { return bpf_map__fd(find_map(skel_->object(), "counts")); }
int HookObject::totals_fd() const { return bpf_map__fd(find_map(skel_->object(), "totals")); }
std::uint32_t HookObject::capacity() const {
  return bpf_map__max_entries(find_map(skel_->object(), "counts"));
}

std::vector<HookObject::Program> HookObject::programs() const {
  std::vector<Program> out;
  bpf_program* prog = nullptr;
  bpf_object__for_each_program(prog, skel_->object()) {
    if (bpf_program__autoload(prog))
      out.push_back({bpf_program__name(prog), bpf_program__fd(prog)});
  }
  return out;
}

void HookObject::set_self_test_thread(const char* comm) {
  // .bss is mmapped: the stores are visible to the programs at once. The name goes in before
  // the flag turns on, and the flag turns off first.
  __u32* active = skel_->ops.self_test_active(skel_->skel);
  if (!comm) {
    __atomic_store_n(active, 0u, __ATOMIC_SEQ_CST);
    return;
  }
  __u64 name[2] = {};
  std::memcpy(name, comm, std::min<std::size_t>(std::strlen(comm), sizeof name - 1));
  __u64* stored = skel_->ops.self_test_comm(skel_->skel);
  stored[0] = name[0];
  stored[1] = name[1];
  __atomic_store_n(active, 1u, __ATOMIC_SEQ_CST);
}

std::uint64_t HookObject::self_test_hits() const {
  return __atomic_load_n(skel_->ops.self_test_hits(skel_->skel), __ATOMIC_SEQ_CST);
}

}  // namespace sle
