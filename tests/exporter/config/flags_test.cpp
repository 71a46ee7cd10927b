// The command line: parse_flags on argv arrays, and effective_config merging the flags over the
// config file, with errors that name the flag that set a bad value.
#include "config/flags.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "temp_dir.h"

namespace sle {
namespace {

using testing::internal::CaptureStderr;
using testing::internal::CaptureStdout;
using testing::internal::GetCapturedStderr;
using testing::internal::GetCapturedStdout;

// parse_flags on `args` (argv[0] added). `out` and `err` get what it printed.
struct Parsed {
  std::optional<int> exit_code;
  Flags flags;
  std::string out;
  std::string err;
};

Parsed parse(std::vector<std::string> args) {
  args.insert(args.begin(), "socket_lsm_exporter");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  Parsed p;
  CaptureStdout();
  CaptureStderr();
  p.exit_code = parse_flags(static_cast<int>(args.size()), argv.data(), p.flags);
  p.out = GetCapturedStdout();
  p.err = GetCapturedStderr();
  return p;
}

struct Value {
  std::string flag, key, value;
  friend bool operator==(const Value&, const Value&) = default;
  friend std::ostream& operator<<(std::ostream& os, const Value& v) {
    return os << v.flag << " (" << v.key << ") = " << v.value;
  }
};

std::vector<Value> values(const Flags& flags) {
  std::vector<Value> out;
  for (const FlagValue& v : flags.values)
    out.push_back({std::string(v.flag), std::string(v.key), v.value});
  return out;
}

// The message of the ConfigError effective_config throws for these flags, or "(no error)".
std::string error_of(const std::vector<std::string>& args) {
  const Parsed p = parse(args);
  if (p.exit_code) return "(parse_flags returned " + std::to_string(*p.exit_code) + ")";
  try {
    effective_config(p.flags);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

Config config_of(const std::vector<std::string>& args) {
  const Parsed p = parse(args);
  EXPECT_EQ(p.exit_code, std::nullopt) << p.err;
  return effective_config(p.flags);
}

// --- parse_flags -------------------------------------------------------------------------------

TEST(ParseFlags, NoFlags) {
  const Parsed p = parse({});
  EXPECT_EQ(p.exit_code, std::nullopt);
  EXPECT_EQ(p.flags.config_file, std::nullopt);
  EXPECT_TRUE(p.flags.values.empty());
  EXPECT_FALSE(p.flags.config_check);
  EXPECT_FALSE(p.flags.version);
  EXPECT_EQ(p.out + p.err, "");
}

TEST(ParseFlags, ValuesLandAsFlagValuesInTheFlagsOrder) {
  const Parsed p =
      parse({"--log.format=json", "--bpf.backend", "tracepoint", "--config.file=/etc/sle.yaml",
             "--web.config.file=/etc/web.yml", "--log.level=debug", "--web.telemetry-path=/m",
             "--web.listen-address=127.0.0.1:9000", "--config.check"});
  ASSERT_EQ(p.exit_code, std::nullopt) << p.err;
  EXPECT_EQ(p.flags.config_file, "/etc/sle.yaml");
  EXPECT_TRUE(p.flags.config_check);
  EXPECT_FALSE(p.flags.version);
  EXPECT_EQ(values(p.flags),
            (std::vector<Value>{{"--web.listen-address", "web.listen_address", "127.0.0.1:9000"},
                                {"--web.telemetry-path", "web.telemetry_path", "/m"},
                                {"--web.config.file", "web.config_file", "/etc/web.yml"},
                                {"--log.level", "log.level", "debug"},
                                {"--log.format", "log.format", "json"},
                                {"--bpf.backend", "bpf.backend", "tracepoint"}}));
}

TEST(ParseFlags, ValuesAreTakenAsGiven) {
  // Checked later, with the config (effective_config): any string is a value here, even empty.
  const Parsed p = parse({"--log.level=verbose", "--web.listen-address", ""});
  ASSERT_EQ(p.exit_code, std::nullopt) << p.err;
  EXPECT_EQ(values(p.flags), (std::vector<Value>{{"--web.listen-address", "web.listen_address", ""},
                                                 {"--log.level", "log.level", "verbose"}}));
}

TEST(ParseFlags, Version) {
  const Parsed p = parse({"--version"});
  EXPECT_EQ(p.exit_code, std::nullopt);
  EXPECT_TRUE(p.flags.version);
  EXPECT_FALSE(p.flags.config_check);
}

TEST(ParseFlags, HelpReturnsZeroAndListsEveryFlag) {
  for (const char* help : {"--help", "-h"}) {
    SCOPED_TRACE(help);
    const Parsed p = parse({help});
    EXPECT_EQ(p.exit_code, 0);
    EXPECT_EQ(p.err, "");
    for (const char* flag :
         {"--config.file", "--web.listen-address", "--web.telemetry-path", "--web.config.file",
          "--log.level", "--log.format", "--bpf.backend", "--config.check", "--version"})
      EXPECT_NE(p.out.find(flag), std::string::npos) << flag << " not in:\n" << p.out;
  }
}

TEST(ParseFlags, UnknownFlagReturnsTwo) {
  const Parsed p = parse({"--web.listen-adress=:9000"});
  EXPECT_EQ(p.exit_code, 2);
  EXPECT_EQ(p.out, "");
  EXPECT_EQ(p.err,
            "The following argument was not expected: --web.listen-adress=:9000\n"
            "Run with --help for more information.\n");
}

TEST(ParseFlags, MissingValueReturnsTwo) {
  for (const char* flag : {"--log.level", "--log.level="}) {
    SCOPED_TRACE(flag);
    const Parsed p = parse({flag});
    EXPECT_EQ(p.exit_code, 2);
    EXPECT_EQ(p.err,
              "--log.level: 1 required TEXT missing\nRun with --help for more information.\n");
  }
}

TEST(ParseFlags, RepeatedFlagReturnsTwo) {
  const Parsed p = parse({"--log.level=debug", "--log.level=info"});
  EXPECT_EQ(p.exit_code, 2);
  EXPECT_EQ(p.err,
            "--log.level: At Most 1 required but received 2\n"
            "Run with --help for more information.\n");
}

TEST(ParseFlags, PositionalArgumentReturnsTwo) {
  const Parsed p = parse({"config.yaml"});
  EXPECT_EQ(p.exit_code, 2);
  EXPECT_EQ(p.err,
            "The following argument was not expected: config.yaml\n"
            "Run with --help for more information.\n");
}

// --- effective_config --------------------------------------------------------------------------

TEST(EffectiveConfig, WithoutAFileTheDefaults) {
  EXPECT_EQ(config_of({}), default_config());
  Config expected = default_config();
  expected.log_level = log::Level::debug;
  expected.listen_address = {"127.0.0.1", 9000};
  expected.backend = Backend::tracepoint;
  EXPECT_EQ(config_of({"--log.level=debug", "--web.listen-address=127.0.0.1:9000",
                       "--bpf.backend=tracepoint"}),
            expected);
}

TEST(EffectiveConfig, AFlagWinsAndTheFileKeepsTheRest) {
  const test::TempDir dir;
  const std::string file = dir.write("sle.yaml",
                                     "read_interval: 10s\n"
                                     "log:\n"
                                     "  level: warn\n"
                                     "  format: json\n"
                                     "web:\n"
                                     "  telemetry_path: /custom\n");
  const Config c = config_of({"--config.file=" + file, "--log.level=debug"});
  EXPECT_EQ(c.log_level, log::Level::debug);   // the flag
  EXPECT_EQ(c.log_format, log::Format::json);  // the file's, same section
  EXPECT_EQ(c.telemetry_path, "/custom");      // the file's, another section
  EXPECT_EQ(c.read_interval, std::chrono::milliseconds(10000));
  EXPECT_EQ(c.listen_address, (ListenAddress{"", 10142}));  // neither: the default
}

TEST(EffectiveConfig, AFlagFillsASectionTheFileLeavesOutOrEmpty) {
  const test::TempDir dir;
  const std::string empty_section = dir.write("a.yaml", "web:\nlog:\n  format: json\n");
  const Config c = config_of(
      {"--config.file=" + empty_section, "--web.listen-address=:9000", "--bpf.backend=tracepoint"});
  EXPECT_EQ(c.listen_address, (ListenAddress{"", 9000}));
  EXPECT_EQ(c.backend, Backend::tracepoint);  // no bpf section in the file
  EXPECT_EQ(c.log_format, log::Format::json);
}

TEST(EffectiveConfig, AFlagReplacesABadFileValue) {
  const test::TempDir dir;
  const std::string file = dir.write("sle.yaml", "log:\n  level: verbose\n");
  EXPECT_EQ(config_of({"--config.file=" + file, "--log.level=error"}).log_level, log::Level::error);
  EXPECT_EQ(error_of({"--config.file=" + file}),
            file +
                ":2:10: log.level: unknown log level \"verbose\" (valid: debug, info, warn, "
                "error)");
}

TEST(EffectiveConfig, FlagErrorsNameTheFlag) {
  EXPECT_EQ(error_of({"--log.level=verbose"}),
            "--log.level: unknown log level \"verbose\" (valid: debug, info, warn, error)");
  EXPECT_EQ(error_of({"--web.listen-address=10142"}),
            "--web.listen-address: invalid listen address \"10142\" (expected [host]:port, e.g. "
            ":10142 or 127.0.0.1:10142)");
  EXPECT_EQ(error_of({"--web.telemetry-path=metrics"}),
            "--web.telemetry-path: telemetry path \"metrics\" must start with '/'");
  EXPECT_EQ(error_of({"--web.telemetry-path=/"}),
            "--web.telemetry-path: telemetry path \"/\" is not allowed (the landing page is "
            "served there)");
  EXPECT_EQ(error_of({"--log.format=text"}),
            "--log.format: unknown log format \"text\" (valid: logfmt, json)");
  EXPECT_EQ(error_of({"--bpf.backend=ebpf"}),
            "--bpf.backend: unknown backend \"ebpf\" (valid: auto, lsm, fentry, kprobe, "
            "tracepoint)");
}

TEST(EffectiveConfig, FlagErrorsNameTheFlagOverAFile) {
  const test::TempDir dir;
  const std::string file = dir.write("sle.yaml", "web:\n  listen_address: \":9000\"\n");
  EXPECT_EQ(error_of({"--config.file=" + file, "--web.listen-address=[::1:80"}),
            "--web.listen-address: invalid listen address \"[::1:80\" (expected [host]:port, e.g. "
            ":10142 or 127.0.0.1:10142)");
}

TEST(EffectiveConfig, FileErrorsNameTheFileEvenWithFlags) {
  const test::TempDir dir;
  const std::string file = dir.write("sle.yaml", "log:\n  format: text\n");
  EXPECT_EQ(error_of({"--config.file=" + file, "--log.level=debug"}),
            file + ":2:11: log.format: unknown log format \"text\" (valid: logfmt, json)");
}

TEST(EffectiveConfig, AFlagIntoASectionThatIsNotAMappingReportsTheFile) {
  const test::TempDir dir;
  const std::string scalar = dir.write("scalar.yaml", "web: 5\n");
  EXPECT_EQ(error_of({"--config.file=" + scalar, "--web.listen-address=:9000"}),
            scalar + ":1:6: web: expected a mapping, got \"5\"");
  const std::string list = dir.write("list.yaml", "log: [debug]\n");
  EXPECT_EQ(error_of({"--config.file=" + list, "--log.level=debug"}),
            list + ":1:6: log: expected a mapping, got a list");
  const std::string top = dir.write("top.yaml", "- web\n");
  EXPECT_EQ(error_of({"--config.file=" + top, "--log.level=debug"}),
            top + ":1:1: expected a mapping at the top level, got a list");
}

TEST(EffectiveConfig, UnreadableFile) {
  const test::TempDir dir;
  EXPECT_EQ(error_of({"--config.file=" + dir.file("missing.yaml"), "--log.level=debug"}),
            "cannot read " + dir.file("missing.yaml") + ": No such file or directory");
}

}  // namespace
}  // namespace sle
