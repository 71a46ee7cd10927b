// One hook's BPF object (bpf/<hook>.bpf.c, embedded as a skeleton): open, set its read-only
// config, load the programs of one backend, attach them. Destroying it detaches every program and
// frees its maps, on every path.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backend.h"
#include "bpf_error.h"
#include "hook_table.h"

struct bpf_object;
struct bpf_link;

namespace sle {

struct HookSettings {
  std::uint32_t max_entries = 10240;
  sle_hook_config config{};
  std::array<std::uint64_t, SLE_PORT_BITMAP_WORDS> exact_ports{};
};

class HookObject {
 public:
  // Opens the hook's object, configures it and loads only `backend`'s programs. Throws BpfError.
  static std::unique_ptr<HookObject> load(Hook hook, Backend backend, const HookSettings& settings);
  HookObject(Hook hook, Backend backend);  // empty; use load()
  ~HookObject();
  HookObject(const HookObject&) = delete;
  HookObject& operator=(const HookObject&) = delete;

  void attach();  // throws BpfError; on failure nothing stays attached

  Hook hook() const { return hook_; }
  Backend backend() const { return backend_; }
  int counts_fd() const;
  int totals_fd() const;
  std::uint32_t capacity() const;
  struct Program {
    std::string name;  // full name (the kernel keeps only 15 characters)
    int fd;
  };
  std::vector<Program> programs() const;  // the attached backend's programs

  // Self-test support: while set, calls from the thread named `comm` (16 bytes, NUL-padded) are
  // counted in self_test_hits only. nullptr ends the self-test.
  void set_self_test_thread(const char* comm);
  std::uint64_t self_test_hits() const;

 private:
  struct Skeleton;

  Hook hook_;
  Backend backend_;
  std::unique_ptr<Skeleton> skel_;
  std::vector<std::unique_ptr<bpf_link, int (*)(bpf_link*)>> links_;
};

}  // namespace sle
