// What /metrics publishes: the hook families from hand-built snapshots (names, help, exact label
// sets and values), the exporter's own families around them, and the gzip form.
#include "metrics/exposition.h"

#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <prometheus/metric_family.h>
#include <zlib.h>

#include <map>
#include <string>
#include <vector>

#include "kernel_calls.h"
#include "metrics/hook_series.h"
#include "metrics/series_labels.h"
#include "metrics/snapshot.h"
#include "peers.h"

namespace sle {
namespace {

using prometheus::MetricFamily;
using prometheus::MetricType;

constexpr std::uint32_t L(sle_label l) { return label_bit(l); }

constexpr const char* kContainerId =
    "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
constexpr const char* kPodUid = "1234abcd-5678-90ef-abcd-0123456789ab";
constexpr const char* kPodSlice =
    "/kubepods.slice/kubepods-burstable.slice/"
    "kubepods-burstable-pod1234abcd_5678_90ef_abcd_0123456789ab.slice";

// A series as text: its labels in order, name=value, comma-separated.
std::string labels_of(const prometheus::ClientMetric& m) {
  std::string out;
  for (const auto& l : m.label) out += (out.empty() ? "" : ",") + l.name + "=" + l.value;
  return out;
}

// The samples of an exposition text, as name=value,... (labels unquoted) -> value; names other
// than the one asked for are left out.
std::map<std::string, double> series(const std::string& text, const std::string& name) {
  std::map<std::string, double> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto brace = line.find('{'), space = line.rfind(' ');
    const std::string metric = line.substr(0, std::min(brace, space));
    if (metric != name) continue;
    std::string labels;
    if (brace != std::string::npos) {
      const std::string inner = line.substr(brace + 1, line.rfind('}') - brace - 1);
      for (const char c : inner)
        if (c != '"') labels += c;
    }
    EXPECT_TRUE(out.emplace(labels, std::stod(line.substr(space + 1))).second) << "twice: " << line;
  }
  return out;
}

// The HELP and TYPE lines of a family, or "" when it is not there.
std::string header(const std::string& text, const std::string& name) {
  const auto at = text.find("# HELP " + name + " ");
  if (at == std::string::npos) return "";
  const auto end = text.find('\n', text.find('\n', at) + 1);
  return text.substr(at, end - at);
}

// A hook's map as read, with the label mask it is decoded with.
struct TestHook {
  Hook hook;
  std::uint32_t label_mask;
  std::vector<CountEntry> entries;
};

TestHook hook_snapshot(std::string_view name, std::uint32_t label_mask,
                       std::vector<CountEntry> entries) {
  return {*hook_from_name(name), label_mask, std::move(entries)};
}

// Snapshots as the reader makes them: keys into series through HookSeries and series_labels,
// with the cgroups named as cgroup_paths says (ids not there are "unknown").
struct TestSnapshot {
  std::vector<TestHook> hooks;
  std::map<std::uint64_t, std::string> cgroup_paths;

  // The hook families' text, as the reader renders it.
  std::string text() const {
    std::vector<HookSeries> series(hooks.size());
    std::vector<HookFamily> families;
    for (std::size_t i = 0; i < hooks.size(); ++i) {
      const TestHook& h = hooks[i];
      series[i].update(0, h.entries, [&](const sle_key& k) {
        const auto it = cgroup_paths.find(k.cgroup_id);
        const std::string path = it == cgroup_paths.end() ? "unknown" : it->second;
        const CgroupTracker::Info info{path, parse_cgroup_path(path), {}, {}};
        return label_text(series_labels(k, h.label_mask, &info));
      });
      families.push_back({h.hook, &series[i]});
    }
    std::string out;
    render_hook_families(out, families);
    return out;
  }
};

std::string hook_families(const TestSnapshot& snap) { return snap.text(); }

// The one hook family of a snapshot with one hook, as series().
std::map<std::string, double> series(const TestSnapshot& snap) {
  return series(hook_families(snap),
                "socket_lsm_" + std::string(snap.hooks.at(0).hook.name()) + "_total");
}

sle_key key(std::uint16_t family, std::uint16_t type, std::uint16_t protocol,
            std::uint64_t cgroup_id = 0) {
  sle_key k{};
  k.family = family;
  k.type = type;
  k.protocol = protocol;
  k.cgroup_id = cgroup_id;
  return k;
}

sle_key with_port(sle_key k, std::uint8_t port_class, std::uint16_t port = 0) {
  k.port_class = port_class;
  k.port = port;
  return k;
}

TEST(HookFamilies, OneCounterFamilyPerHookInSnapshotOrder) {
  TestSnapshot snap;
  snap.hooks.push_back(hook_snapshot("setsockopt", hook_named("setsockopt").spec().labels, {}));
  snap.hooks.push_back(hook_snapshot("create", hook_named("create").spec().labels, {}));
  const std::string text = hook_families(snap);
  EXPECT_EQ(text,
            "# HELP socket_lsm_setsockopt_total Calls of the security_socket_setsockopt hook, by "
            "level and option name.\n# TYPE socket_lsm_setsockopt_total counter\n"
            "# HELP socket_lsm_create_total Calls of the security_socket_create hook (socket "
            "creation).\n# TYPE socket_lsm_create_total counter\n");
  std::string none;
  render_hook_families(none, {});
  EXPECT_EQ(none, "");
}

TEST(HookFamilies, EveryHookNamesItsFamilyAfterItself) {
  TestSnapshot snap;
  for (const Hook hook : all_hooks())
    snap.hooks.push_back(hook_snapshot(hook.name(), hook.spec().labels, {}));
  const std::string text = hook_families(snap);
  for (std::size_t i = 0; i < kHookCount; ++i) {
    const std::string name = "socket_lsm_" + std::string(kHooks[i].name) + "_total";
    EXPECT_EQ(header(text, name), "# HELP " + name + " " + std::string(kHooks[i].help) +
                                      "\n# TYPE " + name + " counter");
  }
}

TEST(HookFamilies, BindSeriesWithExactLabelsAndValues) {
  TestSnapshot snap;
  snap.hooks.push_back(hook_snapshot("bind", hook_named("bind").spec().labels,
                                     {{with_port(key(2, 1, 6, 42), SLE_PORT_EXACT, 80), 5},
                                      {with_port(key(10, 2, 17, 43), SLE_PORT_REGISTERED), 7},
                                      {with_port(key(2, 1, 6, 42), SLE_PORT_DYNAMIC), 1},
                                      {key(1, 1, 0, 42), 3}}));  // unix: no port label
  snap.cgroup_paths = {{42, "/system.slice/nginx.service"}};     // 43 is not there
  EXPECT_EQ(
      series(snap),
      (std::map<std::string, double>{
          {"family=inet,type=stream,protocol=tcp,port=80,cgroup=/system.slice/nginx.service", 5},
          {"family=inet,type=stream,protocol=tcp,port=dynamic,cgroup=/system.slice/"
           "nginx.service",
           1},
          {"family=inet6,type=dgram,protocol=udp,port=registered,cgroup=unknown", 7},
          {"family=unix,type=stream,protocol=0,cgroup=/system.slice/nginx.service", 3},
      }));
}

TEST(HookFamilies, KeysDifferingOnlyInSwitchedOffLabelsFoldIntoOneSeries) {
  // connect with protocol and peer only: the kernel keeps the family for the protocol's name, and
  // a hand-built key may differ in anything else.
  auto public_peer = [](sle_key k) {
    k.peer = SLE_PEER_PUBLIC;
    return k;
  };
  TestSnapshot snap;
  snap.hooks.push_back(
      hook_snapshot("connect", L(SLE_LABEL_PROTOCOL) | L(SLE_LABEL_PEER),
                    {{public_peer(key(2, 1, 6)), 4},
                     {public_peer(key(10, 1, 6)), 6},
                     {public_peer(with_port(key(10, 5, 6, 99), SLE_PORT_EXACT, 443)), 1},
                     {key(2, 1, 6), 2},  // no peer class: the label is absent
                     {public_peer(key(2, 2, 17)), 8}}));
  EXPECT_EQ(series(snap), (std::map<std::string, double>{{"protocol=tcp,peer=public", 11},
                                                         {"protocol=tcp", 2},
                                                         {"protocol=udp,peer=public", 8}}));
}

TEST(HookFamilies, SetsockoptLevelAndOptionNames) {
  auto option = [](std::uint32_t level, std::uint32_t optname) {
    sle_key k = key(2, 1, 6, 1);
    k.level = level;
    k.optname = optname;
    return k;
  };
  TestSnapshot snap;
  snap.hooks.push_back(
      hook_snapshot("setsockopt", hook_named("setsockopt").spec().labels,
                    {{option(1, 2), 9}, {option(6, 1), 4}, {option(1, 1'000'001), 1}}));
  snap.cgroup_paths = {{1, "/"}};
  EXPECT_EQ(
      series(snap),
      (std::map<std::string, double>{
          {"family=inet,type=stream,protocol=tcp,level=SOL_SOCKET,optname=SO_REUSEADDR,"
           "cgroup=/",
           9},
          {"family=inet,type=stream,protocol=tcp,level=IPPROTO_TCP,optname=TCP_NODELAY,"
           "cgroup=/",
           4},
          {"family=inet,type=stream,protocol=tcp,level=SOL_SOCKET,optname=1000001,cgroup=/", 1},
      }));
}

TEST(HookFamilies, CgroupLabelsFromThePath) {
  const std::string container =
      std::string(kPodSlice) + "/cri-containerd-" + kContainerId + ".scope";
  TestSnapshot snap;
  snap.hooks.push_back(hook_snapshot("create", kCgroupLabels,
                                     {{key(2, 1, 6, 7), 2},
                                      {key(2, 1, 6, 8), 3},
                                      {key(2, 1, 6, 9), 4},
                                      {key(2, 1, 6, 10), 5},
                                      {key(2, 1, 6, 11), 6}}));
  snap.cgroup_paths = {{7, container},
                       {8, kPodSlice},
                       {9, "/system.slice/docker-" + std::string(kContainerId) + ".scope"},
                       {10, "unknown"}};  // 11: not resolved either
  EXPECT_EQ(
      series(snap),
      (std::map<std::string, double>{
          {"cgroup=" + container + ",pod_uid=" + kPodUid + ",container_id=" + kContainerId, 2},
          {"cgroup=" + std::string(kPodSlice) + ",pod_uid=" + kPodUid, 3},
          {"cgroup=/system.slice/docker-" + std::string(kContainerId) +
               ".scope,container_id=" + kContainerId,
           4},
          {"cgroup=unknown", 5 + 6},  // both unknown: one series
      }));
}

TEST(HookFamilies, OnlySomeCgroupLabels) {
  const std::string container =
      std::string(kPodSlice) + "/cri-containerd-" + kContainerId + ".scope";
  TestSnapshot snap;
  snap.hooks.push_back(
      hook_snapshot("create", L(SLE_LABEL_POD_UID), {{key(2, 1, 6, 7), 2}, {key(2, 1, 6, 8), 3}}));
  snap.cgroup_paths = {{7, container}, {8, "/user.slice"}};
  EXPECT_EQ(series(snap),
            (std::map<std::string, double>{{"pod_uid=" + std::string(kPodUid), 2}, {"", 3}}));
}

// --- the whole collection ---------------------------------------------------------------------

std::vector<std::string> names(const std::vector<MetricFamily>& families) {
  std::vector<std::string> out;
  for (const auto& f : families) out.push_back(f.name);
  return out;
}

const MetricFamily* find(const std::vector<MetricFamily>& families, const std::string& name) {
  for (const auto& f : families)
    if (f.name == name) return &f;
  return nullptr;
}

Config no_hooks() {
  Config config = default_config();
  config.read_interval = std::chrono::milliseconds(0);
  for (HookConfig& hc : config.hooks) hc.enabled = false;
  return config;
}

TEST(OwnFamilies, WithoutHooks) {
  const Config config = no_hooks();
  HookSet hooks = HookSet::attach(config);
  SnapshotReader reader(hooks, config, nullptr, nullptr);
  reader.start();
  const auto families = own_families(*reader.latest(), hooks, true, 0);
  EXPECT_EQ(names(families),
            (std::vector<std::string>{"socket_lsm_hook_calls_total",
                                      "socket_lsm_exporter_map_overflow_total",
                                      "socket_lsm_exporter_expired_total",
                                      "socket_lsm_exporter_cgroups",
                                      "socket_lsm_exporter_map_entries",
                                      "socket_lsm_exporter_map_capacity",
                                      "socket_lsm_exporter_last_read_timestamp_seconds",
                                      "socket_lsm_exporter_read_duration_seconds",
                                      "socket_lsm_exporter_read_errors_total",
                                      "socket_lsm_exporter_hook_attached",
                                      "socket_lsm_exporter_build_info",
                                      "socket_lsm_exporter_bpf_run_seconds_total",
                                      "socket_lsm_exporter_bpf_runs_total",
                                      "socket_lsm_exporter_bpf_recursion_misses_total",
                                      "socket_lsm_exporter_lost_verdicts_total",
                                      "process_cpu_seconds_total",
                                      "process_virtual_memory_bytes",
                                      "process_resident_memory_bytes",
                                      "process_start_time_seconds",
                                      "process_open_fds",
                                      "process_max_fds"}));
  for (const char* per_hook : {"socket_lsm_hook_calls_total", "socket_lsm_exporter_map_entries"})
    EXPECT_TRUE(find(families, per_hook)->metric.empty()) << per_hook;

  // Every hook and backend, all 0.
  const MetricFamily& attached = *find(families, "socket_lsm_exporter_hook_attached");
  EXPECT_EQ(attached.type, MetricType::Gauge);
  ASSERT_EQ(attached.metric.size(), kHookCount * kBackendInfo.size());
  EXPECT_EQ(labels_of(attached.metric[0]), "backend=lsm,hook=create");
  EXPECT_EQ(labels_of(attached.metric[3]), "backend=tracepoint,hook=create");
  EXPECT_EQ(labels_of(attached.metric[4]), "backend=lsm,hook=bind");
  for (const auto& m : attached.metric) EXPECT_EQ(m.gauge.value, 0.0) << labels_of(m);

  const MetricFamily& build = *find(families, "socket_lsm_exporter_build_info");
  ASSERT_EQ(build.metric.size(), 1u);
  EXPECT_EQ(labels_of(build.metric[0]), "libbpf_version=" + std::to_string(libbpf_major_version()) +
                                            "." + std::to_string(libbpf_minor_version()) +
                                            ",revision=" + SLE_REVISION +
                                            ",version=" + SLE_VERSION);
  EXPECT_EQ(build.metric[0].gauge.value, 1.0);
  EXPECT_EQ(find(families, "socket_lsm_exporter_read_errors_total")->metric[0].counter.value, 0.0);
}

TEST(OwnFamilies, AttachedGaugeNamesTheBackend) {
  if (!test::is_root()) GTEST_SKIP() << "SKIPPED: loading BPF programs needs root";
  Config config = no_hooks();
  config.backend = Backend::tracepoint;
  config.hooks[hook_named("listen").index()].enabled = true;
  HookSet hooks = HookSet::attach(config);
  SnapshotReader reader(hooks, config, nullptr, nullptr);
  reader.start();
  const auto families = own_families(*reader.latest(), hooks, false, 0);

  std::map<std::string, double> attached;
  for (const auto& m : find(families, "socket_lsm_exporter_hook_attached")->metric)
    if (m.gauge.value != 0) attached[labels_of(m)] = m.gauge.value;
  EXPECT_EQ(attached, (std::map<std::string, double>{{"backend=tracepoint,hook=listen", 1}}));
  const MetricFamily& capacity = *find(families, "socket_lsm_exporter_map_capacity");
  ASSERT_EQ(capacity.metric.size(), 1u);
  EXPECT_EQ(labels_of(capacity.metric[0]), "hook=listen");
  EXPECT_EQ(capacity.metric[0].gauge.value, 10240.0);
  // The kernel's recursion misses are there without BPF stats: per program, none here.
  const MetricFamily* misses = find(families, "socket_lsm_exporter_bpf_recursion_misses_total");
  ASSERT_NE(misses, nullptr);
  ASSERT_EQ(misses->metric.size(), 1u);
  EXPECT_EQ(labels_of(misses->metric[0]),
            "backend=tracepoint,hook=listen,program=tp_sys_enter_listen");
  EXPECT_EQ(misses->metric[0].counter.value, 0.0);
}

TEST(Exposition, TheBodyIsTheHookFamiliesThenTheOwnOnesAndItsGzipInflatesBackToIt) {
  TestSnapshot test;
  sle_key k = with_port(key(2, 1, 6), SLE_PORT_EXACT, 22);
  test.hooks.push_back(hook_snapshot("bind", L(SLE_LABEL_PORT), {{k, 3}}));
  prometheus::ClientMetric m;
  m.gauge.value = 7;
  const std::vector<MetricFamily> own = {
      {"sle_test_gauge", "A test gauge.", MetricType::Gauge, {m}}};
  const Exposition exposition(std::make_shared<const std::string>(test.text()),
                              render_own_families(own));
  EXPECT_EQ(test::text_of(exposition),
            "# HELP socket_lsm_bind_total Calls of the security_socket_bind hook, by local port.\n"
            "# TYPE socket_lsm_bind_total counter\n"
            "socket_lsm_bind_total{port=\"22\"} 3\n"
            "# HELP sle_test_gauge A test gauge.\n# TYPE sle_test_gauge gauge\nsle_test_gauge 7\n");
  const std::string& gz = exposition.gzip();
  EXPECT_EQ(&gz, &exposition.gzip());  // made once
  ASSERT_GE(gz.size(), 18u);
  EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);  // the gzip magic
  EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
  std::string inflated(test::text_of(exposition).size() * 2, '\0');
  z_stream z{};
  ASSERT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  z.next_out = reinterpret_cast<Bytef*>(inflated.data());
  z.avail_out = static_cast<uInt>(inflated.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  inflated.resize(z.total_out);
  inflateEnd(&z);
  EXPECT_EQ(inflated, test::text_of(exposition));
}

TEST(Exposition, LabelValuesAreEscaped) {
  EXPECT_EQ(label_text({{"cgroup", "/a\"b\\c\nd"}, {"port", "80"}}),
            "{cgroup=\"/a\\\"b\\\\c\\nd\",port=\"80\"}");
  EXPECT_EQ(label_text({}), "");
}

}  // namespace
}  // namespace sle
