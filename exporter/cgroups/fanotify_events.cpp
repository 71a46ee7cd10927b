#include "cgroups/fanotify_events.h"

#include <fcntl.h>
#include <sys/fanotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"

namespace sle {
namespace {

// kernfs' file handle: the node id, which for a cgroup is its cgroup id.
constexpr int kKernfsHandleType = 0xfe;

std::uint64_t kernfs_id(const file_handle* handle) {
  std::uint64_t id = 0;
  if (handle->handle_type != kKernfsHandleType || handle->handle_bytes != sizeof id) return 0;
  std::memcpy(&id, handle->f_handle, sizeof id);
  return id;
}

}  // namespace

FanotifyEvents::FanotifyEvents(const std::string& mount_point)
    : fd_(::fanotify_init(
          FAN_CLASS_NOTIF | FAN_REPORT_DFID_NAME_TARGET | FAN_NONBLOCK | FAN_CLOEXEC, O_RDONLY)) {
  if (!fd_) throw SystemError("fanotify_init with file ids", errno);
  if (::fanotify_mark(fd_.get(), FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
                      FAN_CREATE | FAN_DELETE | FAN_ONDIR, AT_FDCWD, mount_point.c_str()) != 0)
    throw SystemError("fanotify_mark of the cgroup2 mount " + mount_point, errno);
}

void FanotifyEvents::drain(const std::function<void(const CgroupEvent&)>& on_event) {
  alignas(fanotify_event_metadata) char buf[16384];
  while (true) {
    const ssize_t n = ::read(fd_.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      throw SystemError("reading fanotify events", errno);
    }
    if (n == 0) return;
    ssize_t left = n;
    for (const auto* m = reinterpret_cast<const fanotify_event_metadata*>(buf);
         FAN_EVENT_OK(m, left); m = FAN_EVENT_NEXT(m, left)) {
      if (m->mask & FAN_Q_OVERFLOW) overflowed_ = true;
      if (!(m->mask & FAN_ONDIR) || !(m->mask & (FAN_CREATE | FAN_DELETE))) continue;
      CgroupEvent event;
      event.kind = (m->mask & FAN_CREATE) ? CgroupEvent::Kind::born : CgroupEvent::Kind::died;
      // The records after the metadata: the parent's id with the name, and (for a removal) the
      // cgroup's own id.
      const char* info = reinterpret_cast<const char*>(m + 1);
      const char* const end = reinterpret_cast<const char*>(m) + m->event_len;
      while (info + sizeof(fanotify_event_info_header) <= end) {
        const auto* header = reinterpret_cast<const fanotify_event_info_header*>(info);
        if (header->len == 0 || info + header->len > end) break;
        const auto* fid = reinterpret_cast<const fanotify_event_info_fid*>(info);
        const auto* handle = reinterpret_cast<const file_handle*>(fid->handle);
        if (header->info_type == FAN_EVENT_INFO_TYPE_DFID_NAME) {
          event.parent_id = kernfs_id(handle);
          const char* name = reinterpret_cast<const char*>(handle->f_handle) + handle->handle_bytes;
          event.name.assign(name, ::strnlen(name, static_cast<std::size_t>(end - name)));
        } else if (header->info_type == FAN_EVENT_INFO_TYPE_FID) {
          event.id = kernfs_id(handle);
        }
        info += header->len;
      }
      if (event.parent_id != 0 && !event.name.empty()) on_event(event);
    }
  }
}

bool FanotifyEvents::lost_events() { return std::exchange(overflowed_, false); }

}  // namespace sle
