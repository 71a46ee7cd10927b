// Running the real exporter binary and a child process in a cgroup of the test's own.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "test_cgroup.h"

namespace sle::test {

// The exporter binary: $SLE_EXPORTER, else the one this build made.
std::string exporter_path();

// The backend the tests force (--bpf.backend): $SLE_TEST_BACKEND, else tracepoint, the one the
// development machines load (the VM suite sets the others).
std::string test_backend();

// The backend the hooks must end up with: test_backend() unless that is auto, else
// $SLE_EXPECT_BACKEND; "" when neither says.
std::string expected_backend();

// A free TCP port on loopback for the exporter to listen on.
std::uint16_t free_listen_port();

class ExporterProcess {
 public:
  // Starts `exporter_path() args...` with stderr to a log file; waits until /metrics answers.
  // Throws std::runtime_error (with the exporter's log) when it exits or does not answer in time.
  ExporterProcess(std::uint16_t port, const std::vector<std::string>& args);
  // The same, but serving means `ready()` returns true (with basic auth or TLS a plain GET
  // /metrics never gets 200); `env` sets NAME=value entries in the exporter's environment (an
  // entry replaces a variable of the same name the test's environment has).
  ExporterProcess(std::uint16_t port, const std::vector<std::string>& args,
                  const std::function<bool()>& ready, const std::vector<std::string>& env = {});
  ~ExporterProcess();  // SIGKILL if still running
  ExporterProcess(const ExporterProcess&) = delete;
  ExporterProcess& operator=(const ExporterProcess&) = delete;

  // Sends `sig` (SIGTERM by default), then waits; returns the exit code (or 128+signal).
  int stop(int sig = 15);
  std::string log() const;
  pid_t pid() const { return pid_; }  // -1 once stopped

 private:
  pid_t pid_ = -1;
  std::string log_path_;
};

// Writes `text` to a new temporary file and returns its path.
std::string write_temp_file(const std::string& text, const std::string& suffix);

// Runs a shell command; its exit code (-1 if it did not exit) and its stdout and stderr.
struct CommandOutput {
  int code = -1;
  std::string text;
};
CommandOutput run_command(const std::string& command);

// A BPF program loaded in the kernel.
struct LoadedProgram {
  std::uint32_t id;
  std::string name;
};

// The BPF programs loaded in the kernel right now.
std::vector<LoadedProgram> loaded_programs();

// The ids of the BPF programs process `pid` refers to through its file descriptors (program and
// link fds, from /proc/PID/fdinfo).
std::set<std::uint32_t> program_ids_held_by(pid_t pid);

}  // namespace sle::test
