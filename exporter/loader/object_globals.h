// What a loader needs of a BPF object it opened with bpf_object__open_mem, having no skeleton: its
// maps by name, and its global variables (the read-only config set before load, the self-test's
// .bss) by name, where the object's BTF says they are.
#pragma once

#include <bpf/libbpf.h>

#include <cstddef>

namespace sle {

// Throws SystemError naming the object and the map when it has no such map.
bpf_map* find_map(bpf_object* obj, const char* name);

// A global variable of the object, inside its data section's map (".rodata", ".bss"). Before load
// that is the map's initial image; after load, for .bss, the mmapped map itself. The size must be
// the one user space expects, so that a type changed on one side only fails here rather than
// corrupting memory. Throws SystemError.
void* global_variable(bpf_object* obj, const char* section, const char* name, std::size_t size);

template <typename T>
T* global(bpf_object* obj, const char* section, const char* name) {
  return static_cast<T*>(global_variable(obj, section, name, sizeof(T)));
}

}  // namespace sle
