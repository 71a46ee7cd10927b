#include "config/config.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <span>

#include "common/numbers.h"
#include "config/yaml_fields.h"
#include "hooks/label_names.h"

namespace sle {
namespace {

using namespace std::string_view_literals;

constexpr auto kTopKeys = std::to_array(
    {"read_interval"sv, "web"sv, "bpf"sv, "log"sv, "ports"sv, "cgroups"sv, "hooks"sv});
constexpr auto kWebKeys = std::to_array({"listen_address"sv, "telemetry_path"sv, "config_file"sv});
constexpr auto kBpfKeys = std::to_array({"backend"sv, "stats"sv, "pin_path"sv});
constexpr auto kCgroupsKeys = std::to_array({"expire_after"sv, "naming"sv, "runtime_dirs"sv});
constexpr auto kLogKeys = std::to_array({"level"sv, "format"sv});
constexpr auto kPortsKeys = std::to_array({"exact"sv});
constexpr auto kHookKeys = std::to_array({"enabled"sv, "max_entries"sv, "labels"sv, "families"sv});

// A setting that takes one of a few names.
template <typename T>
struct Choice {
  std::string_view name;
  T value;
};

// auto, then hooks/backend.h's table.
constexpr auto kBackends = [] {
  std::array<Choice<std::optional<Backend>>, kBackendInfo.size() + 1> out{};
  out[0] = {"auto", std::nullopt};
  for (std::size_t i = 0; i < kBackendInfo.size(); ++i)
    out[i + 1] = {kBackendInfo[i].name, kBackendInfo[i].backend};
  return out;
}();
constexpr auto kLogLevels = std::to_array<Choice<log::Level>>({
    {"debug", log::Level::debug},
    {"info", log::Level::info},
    {"warn", log::Level::warn},
    {"error", log::Level::error},
});
constexpr auto kNamings = std::to_array<Choice<CgroupNaming>>({
    {"auto", CgroupNaming::automatic},
    {"tracepoint", CgroupNaming::tracepoint},
    {"fanotify", CgroupNaming::fanotify},
    {"walk", CgroupNaming::walk},
});
constexpr auto kLogFormats = std::to_array<Choice<log::Format>>({
    {"logfmt", log::Format::logfmt},
    {"json", log::Format::json},
});

constexpr std::uint32_t kFamilyLimit = 64;  // family_mask has a bit per family below this
constexpr std::uint32_t kMaxPort = 65535;

std::string label_names(std::uint32_t mask) {
  std::string out;
  for (std::size_t i = 0; i < kLabelNames.size(); ++i) {
    if (!(mask & label_bit(static_cast<sle_label>(i)))) continue;
    if (!out.empty()) out += ", ";
    out += kLabelNames[i];
  }
  return out;
}

bool all_digits(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

// "0", a number of seconds, or <number><unit> parts with units h, m, s, ms in decreasing order
// ("1m30s"). nullopt when malformed or too long to represent.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (all_digits(text)) {
    const auto seconds = parse_unsigned<std::int64_t>(text);
    if (!seconds || *seconds > std::numeric_limits<std::int64_t>::max() / 1000) return std::nullopt;
    return std::chrono::milliseconds(*seconds * 1000);
  }
  struct Unit {
    std::string_view name;
    std::int64_t ms;
  };
  // "ms" before "m" so that the longer suffix wins.
  constexpr std::array<Unit, 4> kUnits = {{{"h", 3600000}, {"ms", 1}, {"m", 60000}, {"s", 1000}}};
  std::int64_t total = 0;
  std::int64_t previous_unit = std::numeric_limits<std::int64_t>::max();
  while (!text.empty()) {
    const auto digits = text.find_first_not_of("0123456789");
    if (digits == 0 || digits == std::string_view::npos) return std::nullopt;
    const auto number = parse_unsigned<std::int64_t>(text.substr(0, digits));
    if (!number) return std::nullopt;
    text.remove_prefix(digits);
    const Unit* unit = nullptr;
    for (const auto& u : kUnits) {
      if (text.starts_with(u.name)) {
        unit = &u;
        break;
      }
    }
    if (!unit || unit->ms >= previous_unit) return std::nullopt;
    previous_unit = unit->ms;
    text.remove_prefix(unit->name.size());
    if (*number > (std::numeric_limits<std::int64_t>::max() - total) / unit->ms)
      return std::nullopt;
    total += *number * unit->ms;
  }
  return std::chrono::milliseconds(total);
}

class Parser : private YamlFields {
 public:
  explicit Parser(std::string_view file) : YamlFields(file, ControlChars::kNamedEscapes) {}

  Config parse(std::string_view text, std::span<const FlagValue> flags) {
    Field top = root(text);
    for (const FlagValue& flag : flags) merge(top.node, flag);
    Config config = default_config();
    parse_top(top, config);
    return config;
  }

 private:
  std::uint32_t integer(const Field& field, std::uint32_t min, std::uint32_t max) const {
    const std::string& text = scalar(field, "an integer");
    std::string_view digits = trim(text);
    bool negative = false;
    if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
      negative = digits[0] == '-';
      digits.remove_prefix(1);
    }
    if (!all_digits(digits)) fail(field, "expected an integer, got " + quote(text));
    const auto value = parse_unsigned<std::uint64_t>(digits);
    if (!value || (negative && *value != 0) || *value < min || *value > max)
      fail(field, std::string(trim(text)) + " is out of range (" + std::to_string(min) + "-" +
                      std::to_string(max) + ")");
    return static_cast<std::uint32_t>(*value);
  }

  std::chrono::milliseconds duration(const Field& field) const {
    const std::string& text = scalar(field, "a duration");
    const auto value = parse_duration(trim(text));
    if (!value) fail(field, "invalid duration " + quote(text) + " (examples: 0, 500ms, 5s, 1m)");
    return *value;
  }

  // A flag's value replaces the file's at its key, so that both are validated the same way, once.
  // A section that is not a mapping is left as it is: parsing reports it.
  void merge(YAML::Node& top, const FlagValue& flag) {
    if (top.IsNull()) top.reset(YAML::Node(YAML::NodeType::Map));
    YAML::Node node = top;
    std::string_view key = flag.key;
    for (auto dot = key.find('.'); dot != std::string_view::npos; dot = key.find('.')) {
      if (!node.IsMap()) return;
      const std::string section(key.substr(0, dot));
      // yaml-cpp adds a missing key to its map only once it is assigned: assign an empty section.
      if (!node[section] || node[section].IsNull()) node[section] = YAML::Node(YAML::NodeType::Map);
      node.reset(node[section]);
      key.remove_prefix(dot + 1);
    }
    if (!node.IsMap()) return;
    node[std::string(key)] = flag.value;
    name_flag(std::string(flag.key), std::string(flag.flag));
  }

  template <typename T, std::size_t N>
  T one_of(const Field& field, std::string_view what,
           const std::array<Choice<T>, N>& choices) const {
    const std::string& text = scalar(field, "a string");
    std::array<std::string_view, N> names;
    for (std::size_t i = 0; i < N; ++i) {
      if (choices[i].name == text) return choices[i].value;
      names[i] = choices[i].name;
    }
    fail(field, "unknown " + std::string(what) + " " + quote(text) + " (" +
                    did_you_mean(text, names) + "valid: " + join(names) + ")");
  }

  void parse_top(const Field& root, Config& config) const {
    for (const auto& e : entries(root, kTopKeys)) {
      if (e.key == "read_interval") {
        config.read_interval = duration(e.value);
      } else if (e.key == "web") {
        parse_web(e.value, config);
      } else if (e.key == "bpf") {
        for (const auto& b : entries(e.value, kBpfKeys)) {
          if (b.key == "backend") config.backend = one_of(b.value, "backend", kBackends);
          if (b.key == "stats") config.bpf_stats = boolean(b.value);
          if (b.key == "pin_path") {
            config.pin_path = pin_path(b.value);
            if (!config.pin_path.empty()) config.pin_path_source = where(b.value);
          }
        }
      } else if (e.key == "log") {
        for (const auto& l : entries(e.value, kLogKeys)) {
          if (l.key == "level") config.log_level = one_of(l.value, "log level", kLogLevels);
          if (l.key == "format") config.log_format = one_of(l.value, "log format", kLogFormats);
        }
      } else if (e.key == "ports") {
        for (const auto& p : entries(e.value, kPortsKeys))
          config.exact_ports = port_ranges(p.value);
      } else if (e.key == "cgroups") {
        for (const auto& c : entries(e.value, kCgroupsKeys)) {
          if (c.key == "expire_after") {
            config.expire_after = duration(c.value);
            if (config.expire_after.count() == 0)
              fail(c.value, "must be longer than 0 (a dead cgroup's series stay this long)");
          }
          if (c.key == "naming") config.cgroup_naming = one_of(c.value, "naming", kNamings);
          if (c.key == "runtime_dirs") {
            config.runtime_dirs.clear();
            for (const auto& item : items(c.value)) {
              const std::string& dir = string(item);
              if (dir.empty() || dir[0] != '/')
                fail(item, "runtime directory " + quote(dir) + " must be an absolute path");
              config.runtime_dirs.push_back(dir);
            }
          }
        }
      } else if (e.key == "hooks") {
        parse_hooks(e.value, config);
      }
    }
  }

  void parse_web(const Field& web, Config& config) const {
    for (const auto& e : entries(web, kWebKeys)) {
      if (e.key == "listen_address") {
        config.listen_address = listen_address(e.value);
      } else if (e.key == "telemetry_path") {
        config.telemetry_path = string(e.value);
        if (config.telemetry_path.empty() || config.telemetry_path[0] != '/')
          fail(e.value, "telemetry path " + quote(config.telemetry_path) + " must start with '/'");
        if (config.telemetry_path == "/")
          fail(e.value, "telemetry path \"/\" is not allowed (the landing page is served there)");
        if (config.telemetry_path == "/healthz" || config.telemetry_path == "/readyz")
          fail(e.value, "telemetry path " + quote(config.telemetry_path) +
                            " is not allowed (a probe endpoint is served there)");
      } else if (e.key == "config_file") {
        config.web_config_file = string(e.value);
      }
    }
  }

  // "" (off), or an absolute path. Whether it is on a bpf filesystem is the loader's to check
  // (loader/pinning.h, require_bpf_filesystem): a parse reads the text alone.
  std::string pin_path(const Field& field) const {
    const std::string& path = string(field);
    if (!path.empty() && path[0] != '/')
      fail(field, "pin path " + quote(path) + " must be absolute");
    return path;
  }

  // [host]:port, as the web server takes it: ":10142", "127.0.0.1:10142", "[::1]:10142".
  ListenAddress listen_address(const Field& field) const {
    const std::string& address = string(field);
    const auto colon = address.rfind(':');
    const std::string_view host = colon == std::string::npos
                                      ? std::string_view()
                                      : std::string_view(address).substr(0, colon);
    const auto port =
        colon == std::string::npos
            ? std::nullopt
            : parse_unsigned<std::uint32_t>(std::string_view(address).substr(colon + 1));
    // A name or IPv4 address as it is, an IPv6 address in brackets: no colon and no bracket
    // anywhere else, so that a typo fails here rather than when the server starts, after the
    // programs are loaded.
    const bool bracketed =
        host.size() > 2 && host.front() == '[' && host.back() == ']' &&
        host.substr(1, host.size() - 2).find_first_of("[]") == std::string_view::npos;
    const bool plain = host.find_first_of("[]:") == std::string_view::npos;
    if (!port || *port > kMaxPort || !(bracketed || plain))
      fail(field, "invalid listen address " + quote(address) +
                      " (expected [host]:port, e.g. :10142 or 127.0.0.1:10142)");
    return ListenAddress{std::string(bracketed ? host.substr(1, host.size() - 2) : host),
                         static_cast<std::uint16_t>(*port)};
  }

  std::vector<PortRange> port_ranges(const Field& list) const {
    std::vector<PortRange> out;
    for (const auto& item : items(list)) out.push_back(port_range(item));
    return out;
  }

  // 22, "22", "8000-8100".
  PortRange port_range(const Field& field) const {
    const std::string& raw = scalar(field, "a port or a port range");
    const std::string_view text = trim(raw);
    const auto out_of_range = [&](std::string_view port) {
      return "port " + std::string(port) + " is out of range 0-" + std::to_string(kMaxPort);
    };
    const auto dash = text.find('-');
    if (dash == std::string_view::npos || (dash == 0 && all_digits(text.substr(1)))) {
      if (dash == 0) fail(field, out_of_range(text));  // a negative number
      const auto port = parse_unsigned<std::uint32_t>(text);
      if (!all_digits(text))
        fail(field, "invalid port " + quote(raw) +
                        " (expected a port 0-65535 or a range \"first-last\", e.g. 8000-8100)");
      if (!port || *port > kMaxPort) fail(field, out_of_range(text));
      return PortRange{static_cast<std::uint16_t>(*port), static_cast<std::uint16_t>(*port)};
    }
    const std::string_view first_text = trim(text.substr(0, dash));
    const std::string_view last_text = trim(text.substr(dash + 1));
    if (!all_digits(first_text) || !all_digits(last_text))
      fail(field,
           "invalid port range " + quote(raw) + " (expected \"first-last\", e.g. 8000-8100)");
    const auto first = parse_unsigned<std::uint32_t>(first_text);
    const auto last = parse_unsigned<std::uint32_t>(last_text);
    if (!first || *first > kMaxPort)
      fail(field, "port range " + quote(raw) + ": " + out_of_range(first_text));
    if (!last || *last > kMaxPort)
      fail(field, "port range " + quote(raw) + ": " + out_of_range(last_text));
    if (*first > *last)
      fail(field, "port range " + quote(raw) + ": first port is greater than last");
    return PortRange{static_cast<std::uint16_t>(*first), static_cast<std::uint16_t>(*last)};
  }

  void parse_hooks(const Field& hooks, Config& config) const {
    for (const auto& e : named_entries(hooks)) {
      const auto hook = hook_from_name(e.key);
      if (!hook) {
        std::array<std::string_view, kHooks.size()> names;
        for (std::size_t i = 0; i < kHooks.size(); ++i) names[i] = kHooks[i].name;
        fail(e.key_mark, e.value.path,
             "unknown hook " + quote(e.key) + " (" + did_you_mean(e.key, names) +
                 "hooks: " + join(names) + ")");
      }
      parse_hook(e.value, *hook, config.hooks[hook->index()]);
    }
  }

  void parse_hook(const Field& field, Hook hook, HookConfig& hc) const {
    for (const auto& e : entries(field, kHookKeys)) {
      if (e.key == "enabled") {
        hc.enabled = boolean(e.value);
      } else if (e.key == "max_entries") {
        hc.max_entries = integer(e.value, kMinMapEntries, kMaxMapEntries);
      } else if (e.key == "labels") {
        hc.label_mask = labels(e.value, hook);
      } else if (e.key == "families") {
        hc.family_mask = families(e.value);
      }
    }
  }

  std::uint32_t labels(const Field& list, Hook hook) const {
    const HookSpec& s = spec(hook);
    std::uint32_t mask = 0;
    for (const auto& item : items(list)) {
      const std::string& name = scalar(item, "a label name");
      const auto label = label_from_name(name);
      if (!label || !(s.labels & label_bit(*label))) {
        std::vector<std::string_view> supported;
        for (std::size_t i = 0; i < kLabelNames.size(); ++i)
          if (s.labels & label_bit(static_cast<sle_label>(i))) supported.push_back(kLabelNames[i]);
        // A label of other hooks is no typo: no guess for it.
        fail(item, "unknown label " + quote(name) + " for hook " + std::string(s.name) + " (" +
                       (label ? "" : did_you_mean(name, supported)) +
                       "supported: " + label_names(s.labels) + ")");
      }
      if (mask & label_bit(*label)) fail(item, "duplicate label " + quote(name));
      mask |= label_bit(*label);
    }
    return mask;
  }

  std::uint64_t families(const Field& list) const {
    std::uint64_t mask = 0;
    std::array<std::string, kFamilyLimit> listed_as;
    for (const auto& item : items(list)) {
      const std::string& name = scalar(item, "a family name or number");
      const auto family = family_from_name(name);
      if (!family) {
        if (all_digits(name))  // a number too large for family_from_name
          fail(item, "family " + name + " is out of range 0-" + std::to_string(kFamilyLimit - 1));
        fail(item, "unknown family " + quote(name) + " (a name such as " + family_name(1) + ", " +
                       family_name(2) + ", " + family_name(10) + ", " + family_name(16) + ", " +
                       family_name(17) + ", or a number 0-" + std::to_string(kFamilyLimit - 1) +
                       ")");
      }
      if (*family >= kFamilyLimit)
        fail(item, "family " + name + " is out of range 0-" + std::to_string(kFamilyLimit - 1));
      const std::uint64_t bit = std::uint64_t{1} << *family;
      if (mask & bit) {
        std::string what = "duplicate family " + quote(name);
        if (listed_as[*family] != name)
          what += " (already listed as " + quote(listed_as[*family]) + ")";
        fail(item, what);
      }
      mask |= bit;
      listed_as[*family] = name;
    }
    return mask;
  }
};

}  // namespace

Config default_config() {
  Config config;
  for (std::size_t i = 0; i < kHookCount; ++i) config.hooks[i].label_mask = kHooks[i].labels;
  return config;
}

Config parse_config(std::string_view yaml_text, std::string_view file_name,
                    std::span<const FlagValue> flags) {
  return Parser(file_name).parse(yaml_text, flags);
}

Config load_config_file(const std::string& path, std::span<const FlagValue> flags) {
  return parse_config(read_file(path), path, flags);
}

std::array<std::uint64_t, SLE_PORT_BITMAP_WORDS> exact_port_bitmap(const Config& config) {
  std::array<std::uint64_t, SLE_PORT_BITMAP_WORDS> bitmap{};
  for (const auto& range : config.exact_ports)
    for (std::uint32_t port = range.first; port <= range.last; ++port)
      bitmap[port / 64] |= std::uint64_t{1} << (port % 64);
  return bitmap;
}

}  // namespace sle
