// The BPF objects built into the binary: every bpf/<name>.bpf.c, compiled and embedded by the
// build (CMakeLists.txt generates the definition), looked up by name. The loader opens them with
// bpf_object__open_mem, so no object is named in code: a new bpf/<hook>.bpf.c is found by CMake.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace sle {

struct EmbeddedObject {
  std::string_view name;  // the file name without .bpf.c: "bind"
  std::span<const std::byte> elf;
};

std::span<const EmbeddedObject> embedded_objects();

// nullptr when this build has no such object.
const EmbeddedObject* find_embedded_object(std::string_view name);

}  // namespace sle
