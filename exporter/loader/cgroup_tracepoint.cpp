#include "loader/cgroup_tracepoint.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <string>

#include "common/error.h"
#include "common/mounts.h"
#include "loader/embedded_objects.h"
#include "loader/map_reader.h"
#include "loader/object_globals.h"

extern "C" {
#include "cgroup_events.h"
}

namespace sle {
namespace {

constexpr const char* kObject = "cgroup_events";
// Some 1,500 events of Kubernetes-length paths: the tracker's thread takes them as they come.
constexpr std::uint32_t kRingBytes = 1 << 18;

}  // namespace

void CgroupTracepoint::Closer::operator()(bpf_object* obj) const { bpf_object__close(obj); }
void CgroupTracepoint::Closer::operator()(bpf_link* link) const { bpf_link__destroy(link); }
void CgroupTracepoint::Closer::operator()(ring_buffer* rb) const { ring_buffer__free(rb); }

CgroupTracepoint::CgroupTracepoint() {
  // libbpf finds tracepoint ids in tracefs.
  ensure_mounted("tracefs", "/sys/kernel/tracing");
  const EmbeddedObject* embedded = find_embedded_object(kObject);
  if (!embedded) throw SystemError(std::string("this build has no BPF object ") + kObject);
  LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = kObject);
  object_.reset(bpf_object__open_mem(embedded->elf.data(), embedded->elf.size(), &opts));
  if (!object_) throw SystemError("opening the cgroup events object", errno);
  if (const int err =
          bpf_map__set_max_entries(find_map(object_.get(), "sle_cgroup_ringbuf"), kRingBytes))
    throw SystemError("sizing the cgroup events ring buffer", -err);
  if (const int err = bpf_object__load(object_.get()))
    throw SystemError("loading the cgroup events object", -err);
  const auto attach = [this](const char* name) {
    bpf_program* prog = bpf_object__find_program_by_name(object_.get(), name);
    bpf_link* link = prog ? bpf_program__attach(prog) : nullptr;
    if (!link) throw SystemError(std::string("attaching ") + name, prog ? errno : ENOENT);
    return std::unique_ptr<bpf_link, Closer>(link);
  };
  mkdir_link_ = attach("tp_cgroup_mkdir");
  rmdir_link_ = attach("tp_cgroup_rmdir");
  const auto on_record = [](void* ctx, void* data, std::size_t size) -> int {
    auto* self = static_cast<CgroupTracepoint*>(ctx);
    // Records carry only as much of path as it has (bpf/cgroup_events.bpf.c).
    const auto* record = static_cast<const sle_cgroup_event*>(data);
    if (size < offsetof(sle_cgroup_event, path) || !self->on_event_) return 0;
    CgroupEvent event;
    event.kind =
        record->kind == SLE_CGROUP_RMDIR ? CgroupEvent::Kind::died : CgroupEvent::Kind::born;
    event.id = record->id;
    // A path cut short would name another cgroup: leave it to the tracker to find the real one.
    if (!record->path_truncated)
      event.path.assign(
          record->path,
          std::min<std::size_t>(record->path_len, size - offsetof(sle_cgroup_event, path)));
    (*self->on_event_)(event);
    return 0;
  };
  ring_.reset(ring_buffer__new(bpf_map__fd(find_map(object_.get(), "sle_cgroup_ringbuf")),
                               on_record, this, nullptr));
  if (!ring_) throw SystemError("setting up the cgroup events ring buffer", errno);
}

CgroupTracepoint::~CgroupTracepoint() = default;

int CgroupTracepoint::wait_fd() const { return ring_buffer__epoll_fd(ring_.get()); }

void CgroupTracepoint::drain(const std::function<void(const CgroupEvent&)>& on_event) {
  on_event_ = &on_event;
  const int n = ring_buffer__consume(ring_.get());
  on_event_ = nullptr;
  if (n < 0) throw SystemError("reading the cgroup events ring buffer", -n);
}

bool CgroupTracepoint::lost_events() {
  const auto stats = read_percpu_array(bpf_map__fd(find_map(object_.get(), "sle_cgroup_stats")),
                                       SLE_CGROUP_STAT_COUNT);
  const std::uint64_t dropped = stats[SLE_CGROUP_EVENTS_DROPPED];
  const bool lost = dropped != dropped_;
  dropped_ = dropped;
  return lost;
}

}  // namespace sle
