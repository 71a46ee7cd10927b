// The standard process_* metrics of Prometheus client libraries, read from /proc/self.
#pragma once

#include <prometheus/metric_family.h>

#include <vector>

namespace sle {

std::vector<prometheus::MetricFamily> process_metrics();

}  // namespace sle
