// The prometheus::Collectable behind /metrics: builds every family from the latest snapshot at
// scrape time (no long-lived per-series handles), plus the exporter's own and process_* metrics.
#pragma once

#include <prometheus/collectable.h>

#include "metrics/snapshot.h"

namespace sle {

class Collector final : public prometheus::Collectable {
 public:
  // stats_held: the exporter holds a BPF_ENABLE_STATS fd.
  Collector(SnapshotReader& reader, const HookSet& hooks, bool stats_held);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  SnapshotReader& reader_;
  const HookSet& hooks_;
  const bool stats_held_;
};

// The hook families alone, from one snapshot (what the tests check the decoding with).
std::vector<prometheus::MetricFamily> hook_families(const Snapshot& snap);

}  // namespace sle
