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

CommandOutput run(const std::string& args) { return run_command(exporter_path() + " " + args); }

TEST(Cli, ConfigCheckAcceptsTheDefaultConfig) {
  const CommandOutput r =
      run("--config.check --config.file=" SLE_SOURCE_DIR "/config/socket-lsm-exporter.yaml");
  EXPECT_EQ(r.code, 0) << r.text;
  EXPECT_EQ(r.text, "config OK: " SLE_SOURCE_DIR "/config/socket-lsm-exporter.yaml\n");
}

TEST(Cli, BadConfigExitsTwoNamingFileLineAndKey) {
  const std::string file =
      write_temp_file("hooks:\n  bind:\n    labels: [family, peer]\n", ".yaml");
  const CommandOutput r = run("--config.file=" + file);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.text, "socket_lsm_exporter: " + file +
                        ":3:22: hooks.bind.labels[1]: unknown label \"peer\" for hook bind "
                        "(supported: family, type, protocol, port, cgroup, pod_uid, "
                        "container_id, pod, namespace, container, outcome, errno)\n");
}

TEST(Cli, NotYamlExitsTwo) {
  const std::string file = write_temp_file("hooks: [unclosed\n", ".yaml");
  const CommandOutput r = run("--config.file=" + file);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.text.rfind("socket_lsm_exporter: " + file + ":", 0), 0u) << r.text;
  EXPECT_NE(r.text.find("not valid YAML"), std::string::npos) << r.text;
}

TEST(Cli, MissingConfigFileExitsTwo) {
  const CommandOutput r = run("--config.file=/nonexistent/sle.yaml");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.text,
            "socket_lsm_exporter: cannot read /nonexistent/sle.yaml: No such file or directory\n");
}

TEST(Cli, UnknownBackendFlagExitsTwo) {
  const CommandOutput r = run("--bpf.backend=ebpf");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.text.find("--bpf.backend"), std::string::npos) << r.text;
}

TEST(Cli, BadLifecycleSettingsExitTwoNamingFileLineAndKey) {
  const std::string file = write_temp_file("cgroups:\n  expire_after: -5s\n", ".yaml");
  CommandOutput r = run("--config.file=" + file);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.text, "socket_lsm_exporter: " + file +
                        ":2:17: cgroups.expire_after: invalid duration \"-5s\" (examples: 0, "
                        "500ms, 5s, 1m)\n");
  // A pin path off any bpf filesystem parses (--config.check reads the text alone); the exporter
  // refuses it before it loads anything, with the key's place.
  const std::string pins = write_temp_file("bpf:\n  pin_path: /proc/sle\n", ".yaml");
  EXPECT_EQ(run("--config.file=" + pins + " --config.check").code, 0);
  r = run("--config.file=" + pins);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.text, "socket_lsm_exporter: " + pins +
                        ":2:13: bpf.pin_path: \"/proc/sle\" is not on a bpf filesystem (/proc is "
                        "not; mount one with: mount -t bpf bpf /sys/fs/bpf)\n");
  r = run("--bpf.pin-path=/proc/sle");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.text,
            "socket_lsm_exporter: --bpf.pin-path: \"/proc/sle\" is not on a bpf filesystem "
            "(/proc is not; mount one with: mount -t bpf bpf /sys/fs/bpf)\n");
}

TEST(Cli, ABadBpfFeatureMaskExitsTwoLikeABadConfig) {
  // Checked with the config, so --config.check refuses it too, before the kernel is probed.
  const CommandOutput r =
      run_command("SLE_BPF_FEATURES=task_btf,bogus " + exporter_path() + " --config.check");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.text,
            "socket_lsm_exporter: SLE_BPF_FEATURES: unknown feature bogus (task_btf, "
            "rdonly_cast, cast_to_void, none)\n");
}

TEST(Cli, VersionNamesVersionAndLibbpf) {
  const CommandOutput r = run("--version");
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.text.rfind("socket_lsm_exporter, version " SLE_VERSION " (revision: ", 0), 0u)
      << r.text;
  EXPECT_NE(r.text.find("libbpf: "), std::string::npos);
}

}  // namespace
}  // namespace sle::test
