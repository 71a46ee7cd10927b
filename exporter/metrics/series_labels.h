// From a map key to the label set of its series, following the hook's label mask and the
// metrics contract: names decoded, absent labels left out, cgroup ids turned into paths.
#pragma once

#include <prometheus/client_metric.h>

#include <string>
#include <vector>

#include "cgroups/cgroup_tracker.h"
#include "hooks/hook_table.h"

namespace sle {

using LabelSet = std::vector<prometheus::ClientMetric::Label>;

// cgroup: what is known of the key's cgroup id (read when the mask keeps a cgroup label; null
// reads as "unknown").
LabelSet series_labels(const sle_key& key, std::uint32_t label_mask,
                       const CgroupTracker::Info* cgroup);

// The label set as the text exposition format writes it after a metric name:
// {family="inet",port="80"}, values escaped (\\, \", \n); "" for no labels.
std::string label_text(const LabelSet& labels);

// Label value of a port key field, a peer class, an outcome ("allowed", "denied", "unknown") and
// an errno (its C name, "EACCES", or the number when glibc has none); empty when the label is
// absent.
std::string port_label(std::uint8_t port_class, std::uint16_t port);
std::string peer_label(std::uint8_t peer);
std::string outcome_label(std::uint8_t outcome);
std::string errno_label(std::uint16_t err);

}  // namespace sle
