// One attached hook as the reads leave it: its object, the labels it keeps, what is known of each
// generation of its maps, and its series. The reader's parts (generation_reader, expiry,
// saved_state) each work on these.
#pragma once

#include <cstddef>
#include <cstdint>

#include "loader/hook_object.h"
#include "metrics/hook_series.h"

namespace sle {

// What is known of one generation of one hook, from its last read.
struct GenerationState {
  std::size_t entries = 0;
  std::uint64_t calls = 0;
  std::uint64_t overflow = 0;
  // Counts its map no longer holds, whose calls its calls total still has: what expiry deleted
  // since this process's first read, and what was missing at that read (deleted by an earlier
  // exporter, pinned maps).
  std::uint64_t deleted = 0;
  bool read = false;  // its counts map read once at least, by this process
};

// One attached hook, as the reads leave it.
struct HookReading {
  HookObject* object = nullptr;
  std::uint32_t label_mask = 0;
  GenerationState gens[2];
  HookSeries series;
};

}  // namespace sle
