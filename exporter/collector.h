// The prometheus::Collectable behind /metrics: builds every family from the latest snapshot at
// scrape time (no long-lived per-series handles), plus the exporter's own and process_* metrics.
#pragma once

#include <prometheus/collectable.h>

#include <array>
#include <optional>

#include "backend.h"
#include "cgroup_resolver.h"
#include "snapshot.h"

namespace sle {

class Collector final : public prometheus::Collectable {
 public:
  // attached: the backend of each hook, nullopt when disabled. resolver may be null.
  Collector(SnapshotReader& reader, std::array<std::optional<Backend>, kHookCount> attached,
            CgroupResolver* resolver);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  SnapshotReader& reader_;
  const std::array<std::optional<Backend>, kHookCount> attached_;
  CgroupResolver* const resolver_;
};

// The hook families alone, from one snapshot (what the tests check the decoding with).
std::vector<prometheus::MetricFamily> hook_families(const Snapshot& snap, CgroupResolver* resolver);

}  // namespace sle
