// The binary's command line, run for real: config errors stop it with exit code 2 and a message
// naming file, line and key before anything is loaded; --config.check; --version.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include "harness.h"

namespace sle::test {
namespace {

struct Result {
  int code;
  std::string output;
};

Result run(const std::string& args) {
  const CommandOutput out = run_command(exporter_path() + " " + args);
  return {out.code, out.text};
}

TEST(Cli, ConfigCheckAcceptsTheDefaultConfig) {
  const Result r =
      run("--config.check --config.file=" SLE_SOURCE_DIR "/config/socket-lsm-exporter.yaml");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output, "config OK: " SLE_SOURCE_DIR "/config/socket-lsm-exporter.yaml\n");
}

TEST(Cli, BadConfigExitsTwoNamingFileLineAndKey) {
  const std::string file =
      write_temp_file("hooks:\n  bind:\n    labels: [family, peer]\n", ".yaml");
  const Result r = run("--config.file=" + file);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.output, "socket_lsm_exporter: " + file +
                          ":3:22: hooks.bind.labels[1]: unknown label \"peer\" for hook bind "
                          "(supported: family, type, protocol, port, cgroup, pod_uid, "
                          "container_id)\n");
}

TEST(Cli, NotYamlExitsTwo) {
  const std::string file = write_temp_file("hooks: [unclosed\n", ".yaml");
  const Result r = run("--config.file=" + file);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.output.rfind("socket_lsm_exporter: " + file + ":", 0), 0u) << r.output;
  EXPECT_NE(r.output.find("not valid YAML"), std::string::npos) << r.output;
}

TEST(Cli, MissingConfigFileExitsTwo) {
  const Result r = run("--config.file=/nonexistent/sle.yaml");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.output,
            "socket_lsm_exporter: cannot read /nonexistent/sle.yaml: No such file or directory\n");
}

TEST(Cli, UnknownBackendFlagExitsTwo) {
  const Result r = run("--bpf.backend=ebpf");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("--bpf.backend"), std::string::npos) << r.output;
}

TEST(Cli, VersionNamesVersionAndLibbpf) {
  const Result r = run("--version");
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.output.rfind("socket_lsm_exporter, version " SLE_VERSION " (revision: ", 0), 0u)
      << r.output;
  EXPECT_NE(r.output.find("libbpf: "), std::string::npos);
}

}  // namespace
}  // namespace sle::test
