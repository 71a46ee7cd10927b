// A cgroup v2 directory of the test's own, so that what a child process does there can be told
// apart in the kernel's counts from every other process on the machine (the cgroup id is in the
// hook maps' keys). Needs root.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>

#include "common/error.h"
#include "common/mounts.h"

namespace sle::test {

// A fresh cgroup v2 directory under the cgroup2 mount (found in /proc/self/mountinfo).
class TestCgroup {
 public:
  // /sle-test-<pid>, or /sle-test-<pid>-<name>.
  explicit TestCgroup(const std::string& name = "") {
    const auto mount = find_mount(read_mountinfo(), "cgroup2");
    if (!mount) throw std::runtime_error("no cgroup2 mount in /proc/self/mountinfo");
    path_ = "/sle-test-" + std::to_string(::getpid()) + (name.empty() ? "" : "-" + name);
    dir_ = *mount + path_;
    if (::mkdir(dir_.c_str(), 0755) != 0 && errno != EEXIST)
      throw std::runtime_error("mkdir " + dir_ + ": " + sle::errno_text(errno));
  }
  ~TestCgroup() { ::rmdir(dir_.c_str()); }  // empty again once run()'s children have exited
  TestCgroup(const TestCgroup&) = delete;
  TestCgroup& operator=(const TestCgroup&) = delete;

  const std::string& path() const { return path_; }  // relative to the mount, e.g. /sle-test-42

  // The id bpf_get_current_cgroup_id() gives for tasks in it: on 64-bit kernels the inode number
  // of its directory.
  std::uint64_t id() const {
    struct stat st {};
    if (::stat(dir_.c_str(), &st) != 0)
      throw std::runtime_error("stat " + dir_ + ": " + sle::errno_text(errno));
    return st.st_ino;
  }

  // Forks a child, moves it into the cgroup, runs fn there; returns fn's message ("" = ok).
  std::string run(const std::function<std::string()>& fn) const {
    // Opened before fork(): the child joins by writing "0" (the writing process itself) to it.
    const std::string procs_path = dir_ + "/cgroup.procs";
    const int procs = ::open(procs_path.c_str(), O_WRONLY | O_CLOEXEC);
    if (procs < 0) return "cannot open " + procs_path + ": " + sle::errno_text(errno);
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0) {
      ::close(procs);
      return "pipe failed";
    }
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(pipefd[0]);
      std::string msg;
      if (::write(procs, "0", 1) != 1)
        msg = "cannot join " + dir_ + ": " + sle::errno_text(errno);
      else
        msg = fn();
      // A message that does not get through must not read as "ok": the parent sees the status.
      const bool sent =
          ::write(pipefd[1], msg.data(), msg.size()) == static_cast<ssize_t>(msg.size());
      ::_exit(sent ? 0 : 1);
    }
    ::close(procs);
    ::close(pipefd[1]);
    if (pid < 0) {
      ::close(pipefd[0]);
      return "fork failed";
    }
    std::string msg;
    char buf[512];
    for (ssize_t n; (n = ::read(pipefd[0], buf, sizeof buf)) > 0;)
      msg.append(buf, static_cast<std::size_t>(n));
    ::close(pipefd[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      msg += " (child status " + std::to_string(status) + ")";
    return msg;
  }

 private:
  std::string dir_;
  std::string path_;
};

}  // namespace sle::test
