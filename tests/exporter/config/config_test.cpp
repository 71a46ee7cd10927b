#include "config/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#ifndef SLE_SOURCE_DIR
#define SLE_SOURCE_DIR "/work/main"
#endif

namespace sle {
namespace {

using std::chrono::milliseconds;

const HookConfig& hook(const Config& c, Hook h) { return c.hooks[h.index()]; }

// The message of the ConfigError parse_config throws, or "(no error)".
std::string error_of(const std::string& yaml) {
  try {
    parse_config(yaml, "config.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

bool bit(const std::array<std::uint64_t, SLE_PORT_BITMAP_WORDS>& bitmap, unsigned port) {
  return (bitmap[port / 64] >> (port % 64)) & 1;
}

std::size_t count_bits(const std::array<std::uint64_t, SLE_PORT_BITMAP_WORDS>& bitmap) {
  std::size_t n = 0;
  for (const auto word : bitmap) n += static_cast<std::size_t>(__builtin_popcountll(word));
  return n;
}

constexpr std::uint32_t L(sle_label l) { return label_bit(l); }

// --- defaults --------------------------------------------------------------------------------

TEST(ConfigDefaults, Values) {
  const Config c = default_config();
  EXPECT_EQ(c.read_interval, milliseconds(5000));
  EXPECT_EQ(c.listen_address, (ListenAddress{"", 10142}));
  EXPECT_EQ(c.telemetry_path, "/metrics");
  EXPECT_EQ(c.web_config_file, "");
  EXPECT_EQ(c.backend, std::nullopt);  // auto
  EXPECT_EQ(c.log_level, log::Level::info);
  EXPECT_EQ(c.log_format, log::Format::logfmt);
  ASSERT_EQ(c.exact_ports.size(), 1u);
  EXPECT_EQ(c.exact_ports[0], (PortRange{0, 1023}));
  EXPECT_EQ(c.expire_after, milliseconds(120000));
  EXPECT_EQ(c.cgroup_naming, CgroupNaming::automatic);
  EXPECT_EQ(c.pin_path, "");
  for (std::size_t i = 0; i < kHookCount; ++i) {
    SCOPED_TRACE(kHooks[i].name);
    EXPECT_TRUE(c.hooks[i].enabled);
    EXPECT_EQ(c.hooks[i].max_entries, 10240u);
    EXPECT_EQ(c.hooks[i].label_mask, kHooks[i].labels);
    EXPECT_EQ(c.hooks[i].family_mask, 0u);
  }
}

TEST(ConfigDefaults, EmptyDocumentsAreDefaults) {
  EXPECT_EQ(parse_config("", "x.yaml"), default_config());
  EXPECT_EQ(parse_config("\n\n", "x.yaml"), default_config());
  EXPECT_EQ(parse_config("# only a comment\n", "x.yaml"), default_config());
  EXPECT_EQ(parse_config("---\n", "x.yaml"), default_config());
  EXPECT_EQ(parse_config("{}", "x.yaml"), default_config());
}

TEST(ConfigDefaults, EmptySectionsKeepDefaults) {
  EXPECT_EQ(parse_config("web:\nbpf:\nlog:\nports:\nhooks:\n  bind:\n", "x.yaml"),
            default_config());
}

TEST(ConfigDefaults, DefaultFileEqualsDefaultConfig) {
  const std::string path = SLE_SOURCE_DIR "/config/socket-lsm-exporter.yaml";
  EXPECT_EQ(load_config_file(path), default_config());
}

TEST(ConfigDefaults, MinimalCardinalityExampleParses) {
  const Config c = load_config_file(SLE_SOURCE_DIR "/config/examples/minimal-cardinality.yaml");
  EXPECT_EQ(hook(c, hook_named("create")).label_mask & kCgroupLabels, 0u);
  EXPECT_EQ(hook(c, hook_named("setsockopt")).label_mask & kCgroupLabels, 0u);
  const std::uint64_t ip = (std::uint64_t{1} << 2) | (std::uint64_t{1} << 10);
  EXPECT_EQ(hook(c, hook_named("bind")).family_mask, ip);
  EXPECT_EQ(hook(c, hook_named("connect")).family_mask, ip);
  EXPECT_EQ(hook(c, hook_named("listen")), default_config().hooks[hook_named("listen").index()]);
}

// --- values ----------------------------------------------------------------------------------

TEST(ConfigValues, AllScalarKeys) {
  const Config c = parse_config(R"(
read_interval: 10s
web:
  listen_address: "127.0.0.1:9000"
  telemetry_path: /custom/metrics
  config_file: /etc/web.yml
bpf:
  backend: tracepoint
  stats: true
log:
  level: debug
  format: json
)",
                                "x.yaml");
  EXPECT_TRUE(c.bpf_stats);
  EXPECT_EQ(c.read_interval, milliseconds(10000));
  EXPECT_EQ(c.listen_address, (ListenAddress{"127.0.0.1", 9000}));
  EXPECT_EQ(c.telemetry_path, "/custom/metrics");
  EXPECT_EQ(c.web_config_file, "/etc/web.yml");
  EXPECT_EQ(c.backend, Backend::tracepoint);
  EXPECT_EQ(c.log_level, log::Level::debug);
  EXPECT_EQ(c.log_format, log::Format::json);
}

TEST(ConfigValues, ListenAddressForms) {
  const std::vector<std::pair<std::string, ListenAddress>> forms = {
      {":10142", {"", 10142}},
      {"0.0.0.0:80", {"0.0.0.0", 80}},
      {"[::]:10142", {"::", 10142}},
      {"[::1]:1", {"::1", 1}},
      {"localhost:65535", {"localhost", 65535}}};
  for (const auto& [address, parsed] : forms) {
    SCOPED_TRACE(address);
    const Config c = parse_config("web: {listen_address: \"" + address + "\"}", "x.yaml");
    EXPECT_EQ(c.listen_address, parsed);
    EXPECT_EQ(c.listen_address.str(), address);
  }
}

TEST(ConfigValues, DurationForms) {
  const auto interval = [](const std::string& value) {
    return parse_config("read_interval: " + value + "\n", "x.yaml").read_interval;
  };
  EXPECT_EQ(interval("0"), milliseconds(0));
  EXPECT_EQ(interval("0s"), milliseconds(0));
  EXPECT_EQ(interval("500ms"), milliseconds(500));
  EXPECT_EQ(interval("5s"), milliseconds(5000));
  EXPECT_EQ(interval("1m"), milliseconds(60000));
  EXPECT_EQ(interval("2h"), milliseconds(7200000));
  EXPECT_EQ(interval("1m30s"), milliseconds(90000));
  EXPECT_EQ(interval("1s500ms"), milliseconds(1500));
  EXPECT_EQ(interval("7"), milliseconds(7000));  // integer: seconds
  EXPECT_EQ(interval("\"7\""), milliseconds(7000));
}

TEST(ConfigValues, PortRangesToBitmap) {
  const Config c = parse_config("ports:\n  exact: [22, \"8000-8002\"]\n", "x.yaml");
  ASSERT_EQ(c.exact_ports.size(), 2u);
  EXPECT_EQ(c.exact_ports[0], (PortRange{22, 22}));
  EXPECT_EQ(c.exact_ports[1], (PortRange{8000, 8002}));
  const auto bitmap = exact_port_bitmap(c);
  EXPECT_EQ(count_bits(bitmap), 4u);
  EXPECT_TRUE(bit(bitmap, 22));
  EXPECT_TRUE(bit(bitmap, 8000));
  EXPECT_TRUE(bit(bitmap, 8001));
  EXPECT_TRUE(bit(bitmap, 8002));
  EXPECT_FALSE(bit(bitmap, 21));
  EXPECT_FALSE(bit(bitmap, 8003));
}

TEST(ConfigValues, PortRangeForms) {
  const Config c =
      parse_config("ports:\n  exact: [0, 65535, 100-101, \"200 - 201\", \"5\", 1-1]\n", "x.yaml");
  const std::vector<PortRange> want = {{0, 0},     {65535, 65535}, {100, 101},
                                       {200, 201}, {5, 5},         {1, 1}};
  EXPECT_EQ(c.exact_ports, want);
  const auto bitmap = exact_port_bitmap(c);
  EXPECT_EQ(count_bits(bitmap), 8u);
  EXPECT_TRUE(bit(bitmap, 0));
  EXPECT_TRUE(bit(bitmap, 65535));
  EXPECT_TRUE(bit(bitmap, 201));
}

TEST(ConfigValues, DefaultBitmapIsSystemPorts) {
  const auto bitmap = exact_port_bitmap(default_config());
  EXPECT_EQ(count_bits(bitmap), 1024u);
  EXPECT_TRUE(bit(bitmap, 0));
  EXPECT_TRUE(bit(bitmap, 1023));
  EXPECT_FALSE(bit(bitmap, 1024));
}

TEST(ConfigValues, EmptyExactList) {
  const Config c = parse_config("ports: {exact: []}", "x.yaml");
  EXPECT_TRUE(c.exact_ports.empty());
  EXPECT_EQ(count_bits(exact_port_bitmap(c)), 0u);
}

TEST(ConfigValues, LabelMasks) {
  const Config c = parse_config(R"(
hooks:
  bind:
    labels: [port, family]
  connect:
    labels: [peer, pod_uid, container_id]
  setsockopt:
    labels: [level, optname]
  listen:
    labels: []
)",
                                "x.yaml");
  EXPECT_EQ(hook(c, hook_named("bind")).label_mask, L(SLE_LABEL_PORT) | L(SLE_LABEL_FAMILY));
  EXPECT_EQ(hook(c, hook_named("connect")).label_mask,
            L(SLE_LABEL_PEER) | L(SLE_LABEL_POD_UID) | L(SLE_LABEL_CONTAINER_ID));
  EXPECT_EQ(hook(c, hook_named("setsockopt")).label_mask,
            L(SLE_LABEL_LEVEL) | L(SLE_LABEL_OPTNAME));
  EXPECT_EQ(hook(c, hook_named("listen")).label_mask, 0u);
  // Hooks not mentioned keep all their labels.
  EXPECT_EQ(hook(c, hook_named("create")).label_mask, spec(hook_named("create")).labels);
  EXPECT_EQ(hook(c, hook_named("accept")).label_mask, spec(hook_named("accept")).labels);
}

TEST(ConfigValues, FamiliesFilter) {
  const Config c = parse_config(R"(
hooks:
  bind:
    families: [inet, inet6]
  create:
    families: []
)",
                                "x.yaml");
  EXPECT_EQ(hook(c, hook_named("bind")).family_mask,
            (std::uint64_t{1} << 2) | (std::uint64_t{1} << 10));
  EXPECT_EQ(hook(c, hook_named("create")).family_mask, 0u);
  EXPECT_EQ(hook(c, hook_named("connect")).family_mask, 0u);
}

TEST(ConfigValues, FamiliesNamesAndNumbers) {
  const Config c =
      parse_config("hooks:\n  connect:\n    families: [unix, netlink, 40, \"63\", 0]\n", "x.yaml");
  EXPECT_EQ(hook(c, hook_named("connect")).family_mask,
            (std::uint64_t{1} << 1) | (std::uint64_t{1} << 16) | (std::uint64_t{1} << 40) |
                (std::uint64_t{1} << 63) | std::uint64_t{1});
}

TEST(ConfigValues, HookDisabledAndMaxEntries) {
  const Config c = parse_config(R"(
hooks:
  setsockopt:
    enabled: false
  accept:
    max_entries: 1
  listen:
    max_entries: 1048576
    enabled: true
)",
                                "x.yaml");
  EXPECT_FALSE(hook(c, hook_named("setsockopt")).enabled);
  EXPECT_EQ(hook(c, hook_named("setsockopt")).label_mask, spec(hook_named("setsockopt")).labels);
  EXPECT_EQ(hook(c, hook_named("accept")).max_entries, 1u);
  EXPECT_TRUE(hook(c, hook_named("accept")).enabled);
  EXPECT_EQ(hook(c, hook_named("listen")).max_entries, 1048576u);
  EXPECT_TRUE(hook(c, hook_named("listen")).enabled);
}

TEST(ConfigFile, LoadsFromDisk) {
  char path[] = "/tmp/sle_config_testXXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  const std::string text = "log:\n  level: warn\n";
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  EXPECT_EQ(load_config_file(path).log_level, log::Level::warn);
  unlink(path);
}

TEST(ConfigFile, ErrorsNameTheGivenPath) {
  char path[] = "/tmp/sle_config_testXXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  const std::string text = "log:\n  level: loud\n";
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  try {
    load_config_file(path);
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              std::string(path) +
                  ":2:10: log.level: unknown log level \"loud\" (valid: debug, info, warn, error)");
  }
  unlink(path);
}

// --- errors ----------------------------------------------------------------------------------

TEST(ConfigErrors, CannotRead) {
  try {
    load_config_file("/nonexistent/sle.yaml");
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "cannot read /nonexistent/sle.yaml: No such file or directory");
  }
  try {
    load_config_file("/tmp");
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "cannot read /tmp: Is a directory");
  }
}

TEST(ConfigErrors, NotYaml) {
  EXPECT_EQ(error_of("hooks: [bind,\n"),
            "config.yaml:2:1: not valid YAML: end of sequence flow not found");
  EXPECT_EQ(error_of("a: b: c\n"), "config.yaml:1:5: not valid YAML: illegal map value");
  EXPECT_EQ(error_of("web: *anchor\n"),
            "config.yaml:1:6: not valid YAML: the referenced anchor is not defined");
}

// Found by tests/fuzz/config_fuzzer.cpp: yaml-cpp 0.7's LoadAll looped forever on it (see
// YamlFields.RootRejectsACommaOutsideAFlowCollectionInsteadOfLoopingForever).
TEST(ConfigErrors, CommaOutsideAFlowCollection) {
  EXPECT_EQ(error_of(",defaulte: *d\n  bind:\n    <<: *d\n    labels: !!seq [family]\n--,\n"),
            "config.yaml:1:1: not valid YAML: unexpected \",\"");
  EXPECT_EQ(error_of("read_interval: 5s\n,\n"),
            "config.yaml:2:1: not valid YAML: end of map not found");
  EXPECT_EQ(error_of("{read_interval: 5s},\n"),
            "config.yaml:1:20: not valid YAML: unexpected \",\"");
}

TEST(ConfigErrors, TopLevelNotAMapping) {
  EXPECT_EQ(error_of("- read_interval\n"),
            "config.yaml:1:1: expected a mapping at the top level, got a list");
  EXPECT_EQ(error_of("just some text\n"),
            "config.yaml:1:1: expected a mapping at the top level, got \"just some text\"");
}

TEST(ConfigErrors, MoreThanOneDocument) {
  EXPECT_EQ(error_of("read_interval: 1s\n---\nread_interval: 2s\n"),
            "config.yaml:3:1: more than one YAML document");
}

TEST(ConfigErrors, UnknownTopLevelKey) {
  EXPECT_EQ(error_of("log:\n  level: info\nread_intervall: 5s\n"),
            "config.yaml:3:1: read_intervall: unknown key \"read_intervall\" (did you mean "
            "\"read_interval\"? valid keys: read_interval, web, bpf, log, ports, cgroups, hooks)");
}

TEST(ConfigErrors, AMistypedNameIsToldTheNearestValidOne) {
  EXPECT_EQ(error_of("bpf:\n  backend: lsn\n"),
            "config.yaml:2:12: bpf.backend: unknown backend \"lsn\" (did you mean \"lsm\"? valid: "
            "auto, lsm, fentry, kprobe, tracepoint)");
  std::string hooks;
  for (const HookSpec& h : kHooks) {
    if (!hooks.empty()) hooks += ", ";
    hooks += h.name;
  }
  EXPECT_EQ(error_of("hooks:\n  binds:\n    enabled: false\n"),
            "config.yaml:2:3: hooks.binds: unknown hook \"binds\" (did you mean \"bind\"? hooks: " +
                hooks + ")");
  EXPECT_EQ(error_of("hooks:\n  bind:\n    labels: [famliy]\n"),
            "config.yaml:3:14: hooks.bind.labels[0]: unknown label \"famliy\" for hook bind (did "
            "you mean \"family\"? supported: family, type, protocol, port, cgroup, pod_uid, "
            "container_id, pod, namespace, container, outcome, errno)");
  // Nothing close: no guess.
  EXPECT_EQ(error_of("cgroups:\n  naming: systemd\n"),
            "config.yaml:2:11: cgroups.naming: unknown naming \"systemd\" (valid: auto, "
            "tracepoint, fanotify, walk)");
}

TEST(ConfigErrors, UnknownNestedKeys) {
  EXPECT_EQ(error_of("web:\n  listen_adress: \":1\"\n"),
            "config.yaml:2:3: web.listen_adress: unknown key \"listen_adress\" (did you mean "
            "\"listen_address\"? valid keys: listen_address, telemetry_path, config_file)");
  EXPECT_EQ(
      error_of("bpf:\n  mode: lsm\n"),
      "config.yaml:2:3: bpf.mode: unknown key \"mode\" (valid keys: backend, stats, pin_path)");
  EXPECT_EQ(error_of("log:\n  lvl: info\n"),
            "config.yaml:2:3: log.lvl: unknown key \"lvl\" (valid keys: level, format)");
  EXPECT_EQ(error_of("ports:\n  exact: []\n  fuzzy: []\n"),
            "config.yaml:3:3: ports.fuzzy: unknown key \"fuzzy\" (valid keys: exact)");
  EXPECT_EQ(error_of("hooks:\n  bind:\n    enable: false\n"),
            "config.yaml:3:5: hooks.bind.enable: unknown key \"enable\" (did you mean \"enabled\"? "
            "valid keys: enabled, max_entries, labels, families)");
}

TEST(ConfigErrors, DuplicateKey) {
  EXPECT_EQ(error_of("hooks:\n  bind:\n    enabled: true\n  bind:\n    enabled: false\n"),
            "config.yaml:4:3: hooks.bind: duplicate key \"bind\" (first at line 2)");
  EXPECT_EQ(error_of("read_interval: 1s\nread_interval: 2s\n"),
            "config.yaml:2:1: read_interval: duplicate key \"read_interval\" (first at line 1)");
}

TEST(ConfigErrors, NonScalarKey) {
  EXPECT_EQ(error_of("web:\n  ? [a, b]\n  : 1\n"),
            "config.yaml:2:5: web: expected a key, got a list");
}

TEST(ConfigErrors, ExpectedBoolean) {
  EXPECT_EQ(error_of("hooks:\n  bind:\n    enabled: yes please\n"),
            "config.yaml:3:14: hooks.bind.enabled: expected a boolean, got \"yes please\"");
  EXPECT_EQ(error_of("hooks:\n  bind:\n    enabled: [true]\n"),
            "config.yaml:3:14: hooks.bind.enabled: expected a boolean, got a list");
}

TEST(ConfigErrors, ExpectedMapping) {
  EXPECT_EQ(error_of("web: \":10142\"\n"),
            "config.yaml:1:6: web: expected a mapping, got \":10142\"");
  EXPECT_EQ(error_of("hooks:\n  - bind\n"),
            "config.yaml:2:3: hooks: expected a mapping, got a list");
  EXPECT_EQ(error_of("hooks:\n  bind: off\n"),
            "config.yaml:2:9: hooks.bind: expected a mapping, got \"off\"");
}

TEST(ConfigErrors, ExpectedList) {
  EXPECT_EQ(error_of("hooks:\n  bind:\n    labels: family\n"),
            "config.yaml:3:13: hooks.bind.labels: expected a list, got \"family\"");
  EXPECT_EQ(error_of("hooks:\n  bind:\n    families: {inet: 1}\n"),
            "config.yaml:3:15: hooks.bind.families: expected a list, got a mapping");
  EXPECT_EQ(error_of("ports:\n  exact: 22\n"),
            "config.yaml:2:10: ports.exact: expected a list, got \"22\"");
  // A key with no value is null, reported at the key.
  EXPECT_EQ(error_of("ports:\n  exact:\nlog: {}\n"),
            "config.yaml:2:3: ports.exact: expected a list, got null");
}

TEST(ConfigErrors, ExpectedInteger) {
  EXPECT_EQ(error_of("hooks:\n  connect:\n    max_entries: lots\n"),
            "config.yaml:3:18: hooks.connect.max_entries: expected an integer, got \"lots\"");
  EXPECT_EQ(error_of("hooks:\n  connect:\n    max_entries: 1.5\n"),
            "config.yaml:3:18: hooks.connect.max_entries: expected an integer, got \"1.5\"");
  EXPECT_EQ(error_of("hooks:\n  connect:\n    max_entries: {}\n"),
            "config.yaml:3:18: hooks.connect.max_entries: expected an integer, got a mapping");
}

TEST(ConfigErrors, ExpectedString) {
  EXPECT_EQ(error_of("web:\n  telemetry_path: [/metrics]\n"),
            "config.yaml:2:19: web.telemetry_path: expected a string, got a list");
  EXPECT_EQ(error_of("bpf:\n  backend:\n"),
            "config.yaml:2:3: bpf.backend: expected a string, got null");
  EXPECT_EQ(error_of("hooks:\n  bind:\n    labels: [[family]]\n"),
            "config.yaml:3:14: hooks.bind.labels[0]: expected a label name, got a list");
}

TEST(ConfigErrors, BadDuration) {
  EXPECT_EQ(error_of("read_interval: 5 parsecs\n"),
            "config.yaml:1:16: read_interval: invalid duration \"5 parsecs\" (examples: 0, 500ms, "
            "5s, 1m)");
  for (const std::string bad : {"-5s", "5x", "1.5s", "s", "5ss", "1s1m", "5d", "5sec", "1m1m"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(error_of("read_interval: " + bad + "\n"),
              "config.yaml:1:16: read_interval: invalid duration \"" + bad +
                  "\" (examples: 0, 500ms, 5s, 1m)");
  }
  EXPECT_EQ(error_of("read_interval: [5s]\n"),
            "config.yaml:1:16: read_interval: expected a duration, got a list");
  EXPECT_EQ(error_of("read_interval: 99999999999999999999s\n"),
            "config.yaml:1:16: read_interval: invalid duration \"99999999999999999999s\" "
            "(examples: 0, 500ms, 5s, 1m)");
}

TEST(ConfigErrors, MaxEntriesOutOfRange) {
  EXPECT_EQ(error_of("hooks:\n  bind:\n    max_entries: 0\n"),
            "config.yaml:3:18: hooks.bind.max_entries: 0 is out of range (1-1048576)");
  EXPECT_EQ(error_of("hooks:\n  bind:\n    max_entries: 1048577\n"),
            "config.yaml:3:18: hooks.bind.max_entries: 1048577 is out of range (1-1048576)");
  EXPECT_EQ(error_of("hooks:\n  bind:\n    max_entries: -5\n"),
            "config.yaml:3:18: hooks.bind.max_entries: -5 is out of range (1-1048576)");
  EXPECT_EQ(error_of("hooks:\n  bind:\n    max_entries: 99999999999999999999999\n"),
            "config.yaml:3:18: hooks.bind.max_entries: 99999999999999999999999 is out of range "
            "(1-1048576)");
}

TEST(ConfigErrors, PortRangeReversed) {
  EXPECT_EQ(error_of("ports:\n  exact: [22, \"2000-1000\"]\n"),
            "config.yaml:2:15: ports.exact[1]: port range \"2000-1000\": first port is greater "
            "than last");
}

TEST(ConfigErrors, PortOutOfRange) {
  EXPECT_EQ(error_of("ports:\n  exact: [70000]\n"),
            "config.yaml:2:11: ports.exact[0]: port 70000 is out of range 0-65535");
  EXPECT_EQ(error_of("ports:\n  exact: [-1]\n"),
            "config.yaml:2:11: ports.exact[0]: port -1 is out of range 0-65535");
  EXPECT_EQ(error_of("ports:\n  exact:\n    - 1-70000\n"),
            "config.yaml:3:7: ports.exact[0]: port range \"1-70000\": port 70000 is out of range "
            "0-65535");
  EXPECT_EQ(error_of("ports:\n  exact:\n    - 99999999999-1\n"),
            "config.yaml:3:7: ports.exact[0]: port range \"99999999999-1\": port 99999999999 is "
            "out of range 0-65535");
}

TEST(ConfigErrors, PortRangeMalformed) {
  EXPECT_EQ(error_of("ports:\n  exact: [\"80-\"]\n"),
            "config.yaml:2:11: ports.exact[0]: invalid port range \"80-\" (expected "
            "\"first-last\", e.g. 8000-8100)");
  EXPECT_EQ(error_of("ports:\n  exact: [1-2-3]\n"),
            "config.yaml:2:11: ports.exact[0]: invalid port range \"1-2-3\" (expected "
            "\"first-last\", e.g. 8000-8100)");
  EXPECT_EQ(error_of("ports:\n  exact: [http]\n"),
            "config.yaml:2:11: ports.exact[0]: invalid port \"http\" (expected a port 0-65535 or "
            "a range \"first-last\", e.g. 8000-8100)");
  EXPECT_EQ(error_of("ports:\n  exact: [[1, 2]]\n"),
            "config.yaml:2:11: ports.exact[0]: expected a port or a port range, got a list");
}

TEST(ConfigErrors, UnknownHook) {
  std::string hooks;
  for (const Hook hook : all_hooks())
    hooks += std::string(hooks.empty() ? "" : ", ") += hook.name();
  EXPECT_EQ(error_of("hooks:\n  bind: {}\n  sendmsg:\n    enabled: true\n"),
            "config.yaml:3:3: hooks.sendmsg: unknown hook \"sendmsg\" (hooks: " + hooks + ")");
}

TEST(ConfigErrors, LabelNotSupportedByHook) {
  EXPECT_EQ(error_of("log:\n  level: info\n\nhooks:\n  bind:\n    enabled: true\n"
                     "    labels: [family, type,\n      peer]\n"),
            "config.yaml:8:7: hooks.bind.labels[2]: unknown label \"peer\" for hook bind "
            "(supported: family, type, protocol, port, cgroup, pod_uid, container_id, pod, "
            "namespace, container, outcome, errno)");
  EXPECT_EQ(error_of("hooks:\n  create:\n    labels: [port]\n"),
            "config.yaml:3:14: hooks.create.labels[0]: unknown label \"port\" for hook create "
            "(supported: family, type, protocol, cgroup, pod_uid, container_id, pod, "
            "namespace, container, outcome, errno)");
}

TEST(ConfigErrors, UnknownLabel) {
  EXPECT_EQ(error_of("hooks:\n  setsockopt:\n    labels:\n      - level\n      - hostname\n"),
            "config.yaml:5:9: hooks.setsockopt.labels[1]: unknown label \"hostname\" for hook "
            "setsockopt (supported: family, type, protocol, level, optname, cgroup, pod_uid, "
            "container_id, pod, namespace, container, outcome, errno)");
}

TEST(ConfigErrors, DuplicateLabel) {
  EXPECT_EQ(error_of("hooks:\n  bind:\n    labels: [port, family, port]\n"),
            "config.yaml:3:28: hooks.bind.labels[2]: duplicate label \"port\"");
}

TEST(ConfigErrors, UnknownFamily) {
  EXPECT_EQ(error_of("hooks:\n  connect:\n    families: [inet, inet7]\n"),
            "config.yaml:3:22: hooks.connect.families[1]: unknown family \"inet7\" (a name such as "
            "unix, inet, inet6, netlink, packet, or a number 0-63)");
}

TEST(ConfigErrors, FamilyOutOfRange) {
  EXPECT_EQ(error_of("hooks:\n  connect:\n    families: [64]\n"),
            "config.yaml:3:16: hooks.connect.families[0]: family 64 is out of range 0-63");
  EXPECT_EQ(error_of("hooks:\n  connect:\n    families: [99999999999]\n"),
            "config.yaml:3:16: hooks.connect.families[0]: family 99999999999 is out of range 0-63");
}

TEST(ConfigErrors, DuplicateFamily) {
  EXPECT_EQ(error_of("hooks:\n  bind:\n    families: [inet, inet]\n"),
            "config.yaml:3:22: hooks.bind.families[1]: duplicate family \"inet\"");
  EXPECT_EQ(error_of("hooks:\n  bind:\n    families: [unix, local]\n"),
            "config.yaml:3:22: hooks.bind.families[1]: duplicate family \"local\" (already listed "
            "as \"unix\")");
}

TEST(ConfigErrors, BadBackend) {
  EXPECT_EQ(error_of("bpf:\n  backend: ebpf\n"),
            "config.yaml:2:12: bpf.backend: unknown backend \"ebpf\" (valid: auto, lsm, fentry, "
            "kprobe, tracepoint)");
}

TEST(ConfigErrors, BadLogLevel) {
  EXPECT_EQ(error_of("log:\n  level: verbose\n"),
            "config.yaml:2:10: log.level: unknown log level \"verbose\" (valid: debug, info, warn, "
            "error)");
}

TEST(ConfigErrors, BadLogFormat) {
  EXPECT_EQ(error_of("log:\n  format: text\n"),
            "config.yaml:2:11: log.format: unknown log format \"text\" (valid: logfmt, json)");
}

TEST(ConfigErrors, TelemetryPathWithoutSlash) {
  EXPECT_EQ(error_of("web:\n  telemetry_path: metrics\n"),
            "config.yaml:2:19: web.telemetry_path: telemetry path \"metrics\" must start with '/'");
  EXPECT_EQ(error_of("web:\n  telemetry_path: \"\"\n"),
            "config.yaml:2:19: web.telemetry_path: telemetry path \"\" must start with '/'");
}

TEST(ConfigErrors, TelemetryPathRoot) {
  EXPECT_EQ(error_of("web:\n  telemetry_path: /\n"),
            "config.yaml:2:19: web.telemetry_path: telemetry path \"/\" is not allowed (the "
            "landing page is served there)");
}

TEST(ConfigErrors, BadListenAddress) {
  for (const char* bad : {"10142", "localhost", ":", ":http", ":70000", "[::1:80", "::1]:80",
                          "]:80", "[]:80", "::1:80", "[[::1]]:80", "a]b:80"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(error_of(std::string("web:\n  listen_address: \"") + bad + "\"\n"),
              std::string("config.yaml:2:19: web.listen_address: invalid listen address \"") + bad +
                  "\" (expected [host]:port, e.g. :10142 or 127.0.0.1:10142)");
  }
}

TEST(ConfigErrors, ErrorsInFlowStyle) {
  EXPECT_EQ(error_of("hooks: {bind: {max_entries: 0}}\n"),
            "config.yaml:1:29: hooks.bind.max_entries: 0 is out of range (1-1048576)");
}

TEST(ConfigValues, CgroupsSection) {
  const Config c = parse_config("cgroups:\n  expire_after: 10m\n  naming: fanotify\n", "x.yaml");
  EXPECT_EQ(c.expire_after, milliseconds(600000));
  EXPECT_EQ(c.cgroup_naming, CgroupNaming::fanotify);
}

TEST(ConfigErrors, CgroupsSection) {
  EXPECT_EQ(error_of("cgroups:\n  expire_after: 0\n"),
            "config.yaml:2:17: cgroups.expire_after: must be longer than 0 (a dead cgroup's "
            "series stay this long)");
  EXPECT_EQ(error_of("cgroups:\n  expire_after: soon\n"),
            "config.yaml:2:17: cgroups.expire_after: invalid duration \"soon\" (examples: 0, "
            "500ms, 5s, 1m)");
  EXPECT_EQ(error_of("cgroups:\n  naming: inotify\n"),
            "config.yaml:2:11: cgroups.naming: unknown naming \"inotify\" (valid: auto, "
            "tracepoint, fanotify, walk)");
  EXPECT_EQ(error_of("cgroups:\n  grace: 1m\n"),
            "config.yaml:2:3: cgroups.grace: unknown key \"grace\" (valid keys: expire_after, "
            "naming, runtime_dirs)");
}

TEST(ConfigErrors, PinPathMustBeAbsolute) {
  EXPECT_EQ(error_of("bpf:\n  pin_path: sle\n"),
            "config.yaml:2:13: bpf.pin_path: pin path \"sle\" must be absolute");
  EXPECT_EQ(parse_config("bpf:\n  pin_path: \"\"\n", "x.yaml").pin_path, "");
}

TEST(ConfigErrors, APinPathAnywhereParsesAndSaysWhereItWasSet) {
  // A parse reads the text alone: whether the path is on a bpf filesystem is the loader's to
  // check (loader/pinning.h), with this place in its error.
  const Config c = parse_config("bpf:\n  pin_path: /proc/sle-pins\n", "config.yaml");
  EXPECT_EQ(c.pin_path, "/proc/sle-pins");
  EXPECT_EQ(c.pin_path_source, "config.yaml:2:13: bpf.pin_path");
  const std::vector<FlagValue> flag = {{"--bpf.pin-path", "bpf.pin_path", "/proc/sle"}};
  const Config from_flag = parse_config("", "(built-in defaults)", flag);
  EXPECT_EQ(from_flag.pin_path, "/proc/sle");
  EXPECT_EQ(from_flag.pin_path_source, "--bpf.pin-path");
}

}  // namespace
}  // namespace sle
