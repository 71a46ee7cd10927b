// Cgroups made and removed, heard from the kernel's cgroup:cgroup_mkdir and cgroup:cgroup_rmdir
// tracepoints (bpf/cgroup_events.bpf.c) through a ring buffer: the id and path of every cgroup v2
// directory, at once. Loads wherever the tracepoint backend loads, with ring buffers (5.8+).
#pragma once

#include <cstdint>
#include <memory>

#include "cgroups/cgroup_events.h"

struct bpf_object;
struct bpf_link;
struct ring_buffer;

namespace sle {

class CgroupTracepoint final : public CgroupEventSource {
 public:
  // Loads and attaches the object; throws SystemError.
  CgroupTracepoint();
  ~CgroupTracepoint() override;

  std::string_view method() const override { return "tracepoint"; }
  int wait_fd() const override;
  void drain(const std::function<void(const CgroupEvent&)>& on_event) override;
  bool lost_events() override;

 private:
  struct Closer {
    void operator()(bpf_object* obj) const;
    void operator()(bpf_link* link) const;
    void operator()(ring_buffer* rb) const;
  };
  std::unique_ptr<bpf_object, Closer> object_;
  std::unique_ptr<bpf_link, Closer> mkdir_link_;
  std::unique_ptr<bpf_link, Closer> rmdir_link_;
  std::unique_ptr<ring_buffer, Closer> ring_;
  const std::function<void(const CgroupEvent&)>* on_event_ = nullptr;  // during drain()
  std::uint64_t dropped_ = 0;                                          // as last seen
};

}  // namespace sle
