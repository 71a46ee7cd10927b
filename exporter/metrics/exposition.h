// What /metrics serves, rendered once per read (README, "Serving /metrics"): the hook families
// written from each series' cached label text, then the exporter's own families (prometheus-cpp's
// metric model and text serializer). Every scrape between two reads gets the same bytes; the gzip
// form is made once, for the first scrape that asks for it.
#pragma once

#include <prometheus/metric_family.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace sle {

struct Snapshot;
class HookSet;

class Exposition {
 public:
  explicit Exposition(std::string text) : text_(std::move(text)) {}
  const std::string& text() const { return text_; }
  // The text, gzip-compressed (RFC 1952); made on first use, once, whichever thread asks.
  const std::string& gzip() const;

 private:
  const std::string text_;
  mutable std::once_flag gzip_once_;
  mutable std::string gzip_;
};

// The exporter's own families for a read (README, "Metrics"): totals, overflow, expiry, map
// sizes, cgroups, read timing and errors, attachment, build info, BPF stats, process_*.
std::vector<prometheus::MetricFamily> own_families(const Snapshot& snap, const HookSet& hooks,
                                                   bool stats_held, std::uint64_t read_errors);

// The whole body: each hook's family, then `own`.
std::string render_exposition(const Snapshot& snap,
                              const std::vector<prometheus::MetricFamily>& own);

}  // namespace sle
