// What the metrics tests read of the classes' insides, which the exporter itself never needs,
// and the body of an exposition in one string (the server sends its parts one after the other).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "metrics/exposition.h"
#include "metrics/generation_reader.h"
#include "metrics/hook_series.h"
#include "metrics/snapshot.h"

namespace sle::test {

struct HookSeriesPeer {
  static std::size_t key_count(const HookSeries& s) { return s.keys_.size(); }
};

struct GenerationReaderPeer {
  static std::uint64_t settle_waits(const GenerationReader& r) { return r.settle_waits_; }
};

struct SnapshotReaderPeer {
  static std::uint64_t settle_waits(const SnapshotReader& r) {
    return GenerationReaderPeer::settle_waits(r.generations_);
  }
};

inline std::string text_of(const Exposition& e) {
  std::string out;
  for (const std::string_view part : e.parts()) out += part;
  return out;
}

}  // namespace sle::test
