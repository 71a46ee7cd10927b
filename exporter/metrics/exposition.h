// What /metrics serves, rendered once per read (docs/metrics.md, "Serving /metrics"): the hook
// families written from each series' cached label text, then the exporter's own families
// (prometheus-cpp's metric model and text serializer). Every scrape between two reads gets the same
// bytes; the gzip form is made once, for the first scrape that asks for it.
#pragma once

#include <prometheus/metric_family.h>

#include <array>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hooks/hook_table.h"

namespace sle {

struct Snapshot;
class HookSet;
class HookSeries;

class Exposition {
 public:
  // The body is hook_families (the large part, shared with the snapshot, and with the next one
  // when a read fails) followed by own.
  Exposition(std::shared_ptr<const std::string> hook_families, std::string own)
      : hook_families_(std::move(hook_families)), own_(std::move(own)) {}
  explicit Exposition(std::string text)
      : Exposition(std::make_shared<const std::string>(std::move(text)), "") {}

  // The body's two parts, in order.
  std::array<std::string_view, 2> parts() const { return {*hook_families_, own_}; }
  std::size_t size() const { return hook_families_->size() + own_.size(); }
  // The body, gzip-compressed (RFC 1952); made on first use, once, whichever thread asks.
  const std::string& gzip() const;

 private:
  const std::shared_ptr<const std::string> hook_families_;
  const std::string own_;
  mutable std::once_flag gzip_once_;
  mutable std::string gzip_;
};

// The exporter's own families for a read (README, "Metrics"): totals, overflow, expiry, map
// sizes, cgroups, read timing and errors, attachment, build info, BPF stats, process_*.
std::vector<prometheus::MetricFamily> own_families(const Snapshot& snap, const HookSet& hooks,
                                                   bool stats_held, std::uint64_t read_errors);

// A hook's counter family and where its series are.
struct HookFamily {
  Hook hook;
  const HookSeries* series;
};
// The hook counter families, as exposition text, appended to out.
void render_hook_families(std::string& out, std::span<const HookFamily> hooks);
// The own families, as exposition text.
std::string render_own_families(const std::vector<prometheus::MetricFamily>& own);

}  // namespace sle
