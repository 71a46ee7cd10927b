#include "loader/object_globals.h"

#include <bpf/btf.h>

#include <string>

#include "common/error.h"

namespace sle {

bpf_map* find_map(bpf_object* obj, const char* name) {
  bpf_map* map = bpf_object__find_map_by_name(obj, name);
  if (!map)
    throw SystemError(std::string("BPF object ") + bpf_object__name(obj) + " has no map " + name);
  return map;
}

void* global_variable(bpf_object* obj, const char* section, const char* name, std::size_t size) {
  const std::string what = std::string("variable ") + name + " in " + section + " of BPF object " +
                           bpf_object__name(obj);
  const btf* types = bpf_object__btf(obj);
  const int sec_id = types ? btf__find_by_name_kind(types, section, BTF_KIND_DATASEC) : -1;
  if (sec_id < 0) throw SystemError("no BTF for " + what);
  const btf_type* sec = btf__type_by_id(types, static_cast<__u32>(sec_id));
  const btf_var_secinfo* vars = btf_var_secinfos(sec);
  for (__u16 i = 0; i < btf_vlen(sec); ++i) {
    const btf_type* var = btf__type_by_id(types, vars[i].type);
    if (std::strcmp(btf__name_by_offset(types, var->name_off), name) != 0) continue;
    if (vars[i].size != size)
      throw SystemError(what + " has " + std::to_string(vars[i].size) + " bytes, expected " +
                        std::to_string(size));
    std::size_t map_size = 0;
    // The map's own memory, writable (libbpf before 1.3 declares it const; later ones do not).
    void* data = const_cast<void*>(bpf_map__initial_value(find_map(obj, section), &map_size));
    if (!data || vars[i].offset + size > map_size) throw SystemError("no memory for " + what);
    return static_cast<char*>(data) + vars[i].offset;
  }
  throw SystemError("no " + what);
}

}  // namespace sle
