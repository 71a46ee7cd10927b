// One hook's BPF object (bpf/<hook>.bpf.c, embedded in the binary): open, set its read-only
// config, load the programs of one backend, attach them. Destroying it detaches every program and
// frees its maps, on every path.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hooks/backend.h"
#include "hooks/hook_table.h"

struct bpf_object;
struct bpf_link;

namespace sle {

struct HookSettings {
  std::uint32_t max_entries = 10240;
  sle_hook_config config{};
  std::array<std::uint64_t, SLE_PORT_BITMAP_WORDS> exact_ports{};
  std::uint32_t kernel_features = 0;  // SLE_FEAT_* (loader/kernel_features.h)
  // Where the maps are pinned (loader/pinning.h), "" for none: maps pinned there by an exporter
  // before are used again when they match, so counts go on across restarts.
  std::string pin_dir;
  // Where an exporter of layout v1 pinned this hook's maps: converted when pin_dir has none.
  std::string v1_pin_dir;
  // The same for layout v2.
  std::string v2_pin_dir;
};

class HookObject {
 public:
  // Opens the hook's object, configures it and loads only `backend`'s programs. Throws
  // SystemError.
  HookObject(Hook hook, Backend backend, const HookSettings& settings);
  ~HookObject();
  HookObject(const HookObject&) = delete;
  HookObject& operator=(const HookObject&) = delete;

  void attach();  // throws SystemError; on failure nothing stays attached

  Hook hook() const { return hook_; }
  Backend backend() const { return backend_; }
  // The maps (bpf/counting.bpf.h): generation gen's (0 or 1) counts hash, and the per-CPU
  // arrays whose element gen is that generation's totals and slot cache on every CPU.
  int counts_fd(std::uint32_t gen) const;
  int totals_fd() const;
  int cache_fd() const;
  std::uint32_t capacity() const;  // of each generation's counts hash
  // Whether the maps were pinned by an exporter before and are used again (or converted from
  // layout v1 or v2).
  bool maps_reused() const { return maps_reused_; }

  // The generation the programs count into; switching it is what makes the other one readable.
  std::uint32_t generation() const;
  void set_generation(std::uint32_t gen);
  struct Program {
    std::string name;  // full name (the kernel keeps only 15 characters)
    int fd;
  };
  std::vector<Program> programs() const;  // the loaded backend's programs

  // Self-test support: while set, calls from the thread named `comm` (at most 15 characters) are
  // counted in sle_self_test_hits only. nullptr ends the self-test.
  void set_self_test_thread(const char* comm);
  std::uint64_t self_test_hits() const;

  // Calls the kprobe backend counted as outcome unknown because their return was missed or could
  // not be stashed (bpf/counting.bpf.h, sle_lost_verdicts); 0 for the other backends.
  std::uint64_t lost_verdicts() const;

 private:
  struct ObjectCloser {
    void operator()(bpf_object* obj) const;
  };
  struct LinkDestroyer {
    void operator()(bpf_link* link) const;
  };
  // The object's .bss variables, mmapped: the programs see a store at once.
  struct Variables {
    std::uint32_t* self_test_active = nullptr;
    std::uint64_t* self_test_comm = nullptr;  // two words: a thread name
    std::uint64_t* self_test_hits = nullptr;
    std::uint32_t* gen = nullptr;
    std::uint64_t* lost_verdicts = nullptr;
  };

  const Hook hook_;
  const Backend backend_;
  std::unique_ptr<bpf_object, ObjectCloser> object_;
  std::vector<std::unique_ptr<bpf_link, LinkDestroyer>> links_;
  Variables vars_;
  bool maps_reused_ = false;
};

}  // namespace sle
