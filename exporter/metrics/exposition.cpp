#include "metrics/exposition.h"

#include <bpf/libbpf.h>
#include <prometheus/text_serializer.h>
#include <zlib.h>

#include "loader/bpf_stats.h"
#include "metrics/hook_series.h"
#include "metrics/process_metrics.h"
#include "metrics/series_labels.h"
#include "metrics/snapshot.h"

namespace sle {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

ClientMetric sample(LabelSet labels, double value, MetricType type) {
  ClientMetric m;
  m.label = std::move(labels);
  if (type == MetricType::Counter)
    m.counter.value = value;
  else
    m.gauge.value = value;
  return m;
}

// One family with a sample per hook (hook="...").
MetricFamily per_hook(std::string name, std::string help, MetricType type, const Snapshot& snap,
                      double (*value)(const HookSnapshot&)) {
  MetricFamily f{std::move(name), std::move(help), type, {}};
  for (const HookSnapshot& h : snap.hooks)
    f.metric.push_back(sample({{"hook", std::string(spec(h.hook).name)}}, value(h), type));
  return f;
}

MetricFamily single(std::string name, std::string help, MetricType type, double value,
                    LabelSet labels = {}) {
  return {std::move(name), std::move(help), type, {sample(std::move(labels), value, type)}};
}

std::string libbpf_version() {
  return std::to_string(libbpf_major_version()) + "." + std::to_string(libbpf_minor_version());
}

}  // namespace

const std::string& Exposition::gzip() const {
  std::call_once(gzip_once_, [this] {
    // Fastest level: a body of label text compresses tenfold even so, and it is made per read.
    z_stream z{};
    deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16 /* gzip */, 8, Z_DEFAULT_STRATEGY);
    gzip_.resize(deflateBound(&z, static_cast<uLong>(size())));
    z.next_out = reinterpret_cast<Bytef*>(gzip_.data());
    z.avail_out = static_cast<uInt>(gzip_.size());
    const auto body = parts();
    for (std::size_t i = 0; i < body.size(); ++i) {
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body[i].data()));
      z.avail_in = static_cast<uInt>(body[i].size());
      deflate(&z, i + 1 == body.size() ? Z_FINISH : Z_NO_FLUSH);
    }
    gzip_.resize(z.total_out);
    deflateEnd(&z);
  });
  return gzip_;
}

void render_hook_families(std::string& out, std::span<const HookFamily> hooks) {
  for (const HookFamily& h : hooks) {
    const HookSpec& hs = spec(h.hook);
    const std::string name = "socket_lsm_" + std::string(hs.name) + "_total";
    out += "# HELP ";
    out += name;
    out += ' ';
    out += hs.help;
    out += "\n# TYPE ";
    out += name;
    out += " counter\n";
    h.series->append_exposition(out, name);
  }
}

std::string render_own_families(const std::vector<MetricFamily>& own) {
  return prometheus::TextSerializer().Serialize(own);
}

std::vector<MetricFamily> own_families(const Snapshot& snap_ref, const HookSet& hooks,
                                       bool stats_held, std::uint64_t read_errors) {
  const Snapshot* const snap = &snap_ref;
  std::vector<MetricFamily> out;
  {
    out.push_back(per_hook("socket_lsm_hook_calls_total",
                           "Hook calls that passed the configured filters, counted exactly.",
                           MetricType::Counter, *snap,
                           [](const HookSnapshot& h) { return static_cast<double>(h.calls); }));
    out.push_back(per_hook(
        "socket_lsm_exporter_map_overflow_total",
        "Hook calls not counted in a labelled series because the map was full (or, rarely, "
        "the kernel would not take a new key at that moment).",
        MetricType::Counter, *snap,
        [](const HookSnapshot& h) { return static_cast<double>(h.overflow); }));
    out.push_back(
        per_hook("socket_lsm_exporter_expired_total",
                 "Hook calls of series removed because their cgroups were gone for longer than "
                 "cgroups.expire_after.",
                 MetricType::Counter, *snap,
                 [](const HookSnapshot& h) { return static_cast<double>(h.expired); }));
    MetricFamily cgroups{"socket_lsm_exporter_cgroups",
                         "Cgroups the exporter knows: live, and dead but within "
                         "cgroups.expire_after.",
                         MetricType::Gauge,
                         {}};
    cgroups.metric.push_back(
        sample({{"state", "dead"}}, static_cast<double>(snap->cgroups.dead), MetricType::Gauge));
    cgroups.metric.push_back(
        sample({{"state", "live"}}, static_cast<double>(snap->cgroups.live), MetricType::Gauge));
    out.push_back(std::move(cgroups));
    out.push_back(per_hook("socket_lsm_exporter_map_entries",
                           "Entries in the fuller of the hook's two maps (generations).",
                           MetricType::Gauge, *snap,
                           [](const HookSnapshot& h) { return static_cast<double>(h.entries); }));
    out.push_back(per_hook("socket_lsm_exporter_map_capacity", "Capacity of the hook's map.",
                           MetricType::Gauge, *snap,
                           [](const HookSnapshot& h) { return static_cast<double>(h.capacity); }));
    out.push_back(single("socket_lsm_exporter_last_read_timestamp_seconds",
                         "Unix time of the last successful read of the BPF maps.",
                         MetricType::Gauge, snap->timestamp_seconds));
    out.push_back(single("socket_lsm_exporter_read_duration_seconds",
                         "How long the last read of the BPF maps took.", MetricType::Gauge,
                         snap->duration_seconds));
  }
  out.push_back(single("socket_lsm_exporter_read_errors_total", "Failed reads of the BPF maps.",
                       MetricType::Counter, static_cast<double>(read_errors)));

  MetricFamily attached{"socket_lsm_exporter_hook_attached",
                        "1 when the hook is attached with this backend, else 0.",
                        MetricType::Gauge,
                        {}};
  for (const Hook hook : all_hooks()) {
    for (const BackendInfo& b : kBackendInfo) {
      const HookObject* object = hooks.object(hook);
      const bool on = object && object->backend() == b.backend;
      attached.metric.push_back(
          sample({{"backend", std::string(b.name)}, {"hook", std::string(hook.name())}}, on ? 1 : 0,
                 MetricType::Gauge));
    }
  }
  out.push_back(std::move(attached));
  out.push_back(
      single("socket_lsm_exporter_build_info",
             "A metric with a constant 1 labelled by version, revision and libbpf version.",
             MetricType::Gauge, 1,
             {{"libbpf_version", libbpf_version()},
              {"revision", SLE_REVISION},
              {"version", SLE_VERSION}}));
  for (auto& f : bpf_stats_families(hooks, stats_held || bpf_stats_sysctl_enabled()))
    out.push_back(std::move(f));
  for (auto& f : process_metrics()) out.push_back(std::move(f));
  return out;
}

}  // namespace sle
