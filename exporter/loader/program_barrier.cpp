#include "loader/program_barrier.h"

#include <bpf/bpf.h>

#include <cerrno>
#include <cstdint>

#include "common/error.h"

namespace sle {

ProgramBarrier::ProgramBarrier()
    : inner_(bpf_map_create(BPF_MAP_TYPE_ARRAY, "sle_barrier_in", sizeof(std::uint32_t),
                            sizeof(std::uint32_t), 1, nullptr)) {
  if (!inner_) throw SystemError("creating the program barrier's inner map", errno);
  LIBBPF_OPTS(bpf_map_create_opts, opts, .inner_map_fd = static_cast<__u32>(inner_.get()));
  outer_ = UniqueFd(bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "sle_barrier", sizeof(std::uint32_t),
                                   sizeof(std::uint32_t), 1, &opts));
  if (!outer_) throw SystemError("creating the program barrier's map of maps", errno);
}

void ProgramBarrier::wait() const {
  const std::uint32_t zero = 0;
  const auto inner = static_cast<std::uint32_t>(inner_.get());
  if (bpf_map_update_elem(outer_.get(), &zero, &inner, BPF_ANY) != 0)
    throw SystemError("waiting for running BPF programs (a map-of-maps update)", errno);
}

}  // namespace sle
