#include "harness.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "mounts.h"
#include "scrape.h"
#include "workload.h"

namespace sle::test {

std::string exporter_path() {
  if (const char* env = std::getenv("SLE_EXPORTER")) return env;
  return SLE_EXPORTER_BIN;
}

std::uint16_t free_listen_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

std::string write_temp_file(const std::string& text, const std::string& suffix) {
  std::string path = "/tmp/sle-test-XXXXXX" + suffix;
  const int fd = ::mkstemps(path.data(), static_cast<int>(suffix.size()));
  if (fd < 0) throw std::runtime_error("mkstemps: " + std::string(std::strerror(errno)));
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
  std::vector<std::string> argv_s = {exporter_path()};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<std::string> env_s;
  for (char** e = environ; *e; ++e) env_s.emplace_back(*e);
  env_s.insert(env_s.end(), env.begin(), env.end());
  pid_ = ::fork();
  if (pid_ == 0) {
    const int log = ::open(log_path_.c_str(), O_WRONLY | O_TRUNC);
    ::dup2(log, STDERR_FILENO);
    ::dup2(log, STDOUT_FILENO);
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);
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

TestCgroup::TestCgroup() {
  const auto mount = find_mount(read_mountinfo(), "cgroup2");
  if (!mount) throw std::runtime_error("no cgroup2 mount in /proc/self/mountinfo");
  path_ = "/sle-test-" + std::to_string(::getpid());
  dir_ = *mount + path_;
  if (::mkdir(dir_.c_str(), 0755) != 0 && errno != EEXIST)
    throw std::runtime_error("mkdir " + dir_ + ": " + std::strerror(errno));
}

TestCgroup::~TestCgroup() { ::rmdir(dir_.c_str()); }

std::string TestCgroup::run(const std::function<std::string()>& fn) const {
  int pipefd[2];
  if (::pipe(pipefd) != 0) return "pipe failed";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(pipefd[0]);
    std::string msg;
    std::ofstream procs(dir_ + "/cgroup.procs");
    procs << "0" << std::flush;  // "0": the writing process itself
    if (!procs)
      msg = "cannot join " + dir_;
    else
      msg = fn();
    ::write(pipefd[1], msg.data(), msg.size());
    ::_exit(0);
  }
  ::close(pipefd[1]);
  std::string msg;
  char buf[512];
  for (ssize_t n; (n = ::read(pipefd[0], buf, sizeof buf)) > 0;) msg.append(buf, static_cast<std::size_t>(n));
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) msg += " (child status " + std::to_string(status) + ")";
  return msg;
}

std::vector<std::string> loaded_program_names() {
  std::vector<std::string> names;
  for (__u32 id = 0; bpf_prog_get_next_id(id, &id) == 0;) {
    const int fd = bpf_prog_get_fd_by_id(id);
    if (fd < 0) continue;
    bpf_prog_info info{};
    __u32 len = sizeof info;
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) names.emplace_back(info.name);
    ::close(fd);
  }
  return names;
}

}  // namespace sle::test
