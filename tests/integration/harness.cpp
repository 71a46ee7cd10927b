#include "harness.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "common/error.h"
#include "common/mounts.h"
#include "scrape.h"
#include "workload.h"

namespace sle::test {

std::string test_backend() {
  const char* env = std::getenv("SLE_TEST_BACKEND");
  return env ? env : "tracepoint";
}

std::string expected_backend() {
  if (test_backend() != "auto") return test_backend();
  const char* env = std::getenv("SLE_EXPECT_BACKEND");
  return env ? env : "";
}

std::string exporter_path() {
  if (const char* env = std::getenv("SLE_EXPORTER")) return env;
  return SLE_EXPORTER_BIN;
}

std::uint16_t free_listen_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  static_cast<void>(::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a));
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

std::string write_temp_file(const std::string& text, const std::string& suffix) {
  std::string path = "/tmp/sle-test-XXXXXX" + suffix;
  const int fd = ::mkstemps(path.data(), static_cast<int>(suffix.size()));
  if (fd < 0) throw std::runtime_error("mkstemps: " + std::string(sle::errno_text(errno)));
  ::close(fd);
  std::ofstream(path) << text;
  return path;
}

ExporterProcess::ExporterProcess(std::uint16_t port, const std::vector<std::string>& args)
    : ExporterProcess(port, args, [port] {
        const auto r = http_get(port, "/metrics");
        return r && r->status == 200;
      }) {}

ExporterProcess::ExporterProcess(std::uint16_t port, const std::vector<std::string>& args,
                                 const std::function<bool()>& ready,
                                 const std::vector<std::string>& env)
    : log_path_(write_temp_file("", ".log")) {
  // Everything the child needs is built here: after fork() it only opens, dups and execs.
  std::vector<std::string> argv_s = {exporter_path()};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<std::string> env_s;
  for (char** e = environ; *e; ++e) env_s.emplace_back(*e);
  for (const std::string& entry : env) {
    // NAME=value replaces NAME (getenv() would find the first of two entries).
    const std::string prefix = entry.substr(0, entry.find('=')) + "=";
    std::erase_if(env_s, [&](const std::string& e) { return e.starts_with(prefix); });
    env_s.push_back(entry);
  }
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  const char* const log_path = log_path_.c_str();
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork: " + std::string(sle::errno_text(errno)));
  if (pid_ == 0) {
    const int log = ::open(log_path, O_WRONLY | O_TRUNC);
    ::dup2(log, STDERR_FILENO);
    ::dup2(log, STDOUT_FILENO);
    if (log > STDERR_FILENO) ::close(log);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  // Loading and attaching six objects takes a while under TCG: be patient.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("exporter exited with status " + std::to_string(status) +
                               " before serving:\n" + log());
    }
    if (ready()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const std::string message =
      "exporter did not answer on port " + std::to_string(port) + ":\n" + log();
  // No destructor runs for an object whose constructor throws: don't leave it running.
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
  throw std::runtime_error(message);
}

ExporterProcess::~ExporterProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

int ExporterProcess::stop(int sig) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, sig);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string ExporterProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<LoadedProgram> loaded_programs() {
  std::vector<LoadedProgram> programs;
  for (__u32 id = 0; bpf_prog_get_next_id(id, &id) == 0;) {
    const int fd = bpf_prog_get_fd_by_id(id);
    if (fd < 0) continue;  // unloaded meanwhile
    bpf_prog_info info{};
    __u32 len = sizeof info;
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) programs.push_back({id, info.name});
    ::close(fd);
  }
  return programs;
}

std::set<std::uint32_t> program_ids_held_by(pid_t pid) {
  std::set<std::uint32_t> ids;
  const std::filesystem::path dir = "/proc/" + std::to_string(pid) + "/fdinfo";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::ifstream in(entry.path());
    for (std::string line; std::getline(in, line);)
      if (line.starts_with("prog_id:"))
        ids.insert(static_cast<std::uint32_t>(std::stoul(line.substr(8))));
  }
  return ids;
}

CommandOutput run_command(const std::string& command) {
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return {};
  CommandOutput out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.text.append(buf, n);
  const int status = ::pclose(p);
  out.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

}  // namespace sle::test
