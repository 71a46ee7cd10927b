// sle::parse_config on any text, with command-line flag values merged in: it returns a config that
// holds the documented limits, or throws ConfigError naming the file or the flag; nothing else.
//
// Input: the YAML document, optionally followed by a line "#sle-fuzz-flags" and then one flag per
// line, "--web.listen-address=:9000" (a flag of config/flags.cpp, by its flag or its key name;
// other lines are ignored). Without that line the whole input is the document, so real config
// files are seeds as they are.
#include <array>
#include <exception>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "config/config.h"
#include "fuzz_check.h"
#include "hooks/backend.h"

namespace {

using sle::fuzz::printable;

constexpr std::string_view kFile = "fuzz.yaml";
constexpr std::string_view kFlagsMarker = "\n#sle-fuzz-flags\n";

// The flags that set a config key, as config/flags.cpp declares them.
struct KnownFlag {
  std::string_view flag;
  std::string_view key;
};
constexpr std::array<KnownFlag, 6> kFlags = {{
    {"--web.listen-address", "web.listen_address"},
    {"--web.telemetry-path", "web.telemetry_path"},
    {"--web.config.file", "web.config_file"},
    {"--log.level", "log.level"},
    {"--log.format", "log.format"},
    {"--bpf.backend", "bpf.backend"},
}};

std::vector<sle::FlagValue> parse_flag_lines(std::string_view text) {
  std::vector<sle::FlagValue> flags;
  while (!text.empty()) {
    const auto end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view name = line.substr(0, eq);
    for (const auto& f : kFlags)
      if (name == f.flag || name == f.key)
        flags.push_back({f.flag, f.key, std::string(line.substr(eq + 1))});
  }
  return flags;
}

// The value the last flag for `key` gave, if any: it replaces the file's.
const sle::FlagValue* last_flag(const std::vector<sle::FlagValue>& flags, std::string_view key) {
  const sle::FlagValue* found = nullptr;
  for (const auto& f : flags)
    if (f.key == key) found = &f;
  return found;
}

void check_config(const sle::Config& c, const std::vector<sle::FlagValue>& flags) {
  FUZZ_CHECK(c.read_interval.count() >= 0, std::to_string(c.read_interval.count()));
  const std::string& path = c.telemetry_path;
  FUZZ_CHECK(path.starts_with('/') && path != "/" && path != "/healthz" && path != "/readyz",
             printable(path));
  for (const auto& range : c.exact_ports)
    FUZZ_CHECK(range.first <= range.last,
               std::to_string(range.first) + "-" + std::to_string(range.last));
  for (std::size_t i = 0; i < sle::kHookCount; ++i) {
    const sle::HookConfig& h = c.hooks[i];
    FUZZ_CHECK(h.max_entries >= sle::kMinMapEntries && h.max_entries <= sle::kMaxMapEntries,
               std::to_string(h.max_entries));
    FUZZ_CHECK((h.label_mask & ~sle::kHooks[i].labels) == 0,
               std::string(sle::kHooks[i].name) + ": " + std::to_string(h.label_mask));
  }
  if (const auto* f = last_flag(flags, "bpf.backend")) {
    const std::string name(c.backend ? sle::backend_name(*c.backend) : "auto");
    FUZZ_CHECK(name == f->value, printable(f->value) + " gave " + name);
  }
  if (const auto* f = last_flag(flags, "web.telemetry_path"))
    FUZZ_CHECK(c.telemetry_path == f->value, printable(f->value) + " gave " + printable(path));
  if (const auto* f = last_flag(flags, "web.config_file"))
    FUZZ_CHECK(c.web_config_file == f->value,
               printable(f->value) + " gave " + printable(c.web_config_file));
}

// A ConfigError names where the problem is: the file (file:line:col: or file: for the document as
// a whole) or the flag that set the value.
void check_error(const sle::ConfigError& e, const std::vector<sle::FlagValue>& flags) {
  const std::string_view what = e.what();
  bool named = what.starts_with(std::string(kFile) + ":");
  for (const auto& f : flags) named = named || what.starts_with(std::string(f.flag) + ": ");
  FUZZ_CHECK(named, "ConfigError without a place: " + printable(what));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = sle::fuzz::as_text(data, size);
  std::string_view yaml = input;
  std::vector<sle::FlagValue> flags;
  if (const auto marker = input.find(kFlagsMarker); marker != std::string_view::npos) {
    yaml = input.substr(0, marker);
    flags = parse_flag_lines(input.substr(marker + kFlagsMarker.size()));
  }
  try {
    check_config(sle::parse_config(yaml, kFile, flags), flags);
  } catch (const sle::ConfigError& e) {
    check_error(e, flags);
  } catch (const std::exception& e) {
    FUZZ_CHECK(false, std::string("parse_config threw ") + typeid(e).name() +
                          ", not ConfigError: " + printable(e.what()));
  } catch (...) {
    FUZZ_CHECK(false, "parse_config threw something that is not a std::exception");
  }
  return 0;
}
