// What the exporter's hooks cost the process that makes socket calls, measured the way the field
// does: against an empty program on the same attach points (the floor, which no program there can
// undercut) and against what users would run instead (bpftrace's count(), keyed like the
// exporter, and bpftrace's printf per event, which stands for per-event streaming).
//
// For each variant (no BPF, floor, exporter, bpftrace count, bpftrace printf, and any extra ones
// asked for), every call's loop is timed; the variants take turns round by round (the order
// rotates), and the figures are medians over rounds. A loop's figure is the calling thread's CPU
// time per call (CLOCK_THREAD_CPUTIME_ID: the system call and the BPF programs it runs, not the
// time other processes hold the CPU), the fastest of --reps loops. "added" is the median over
// rounds of (variant - no BPF) in the same round. Then, with BPF stats on, the kernel's own run
// time of the variant's programs per call, next to the empty program's measured the same way
// (the stats' two clock reads are in both). Output: Markdown tables (docs/performance.md).
//
//   hook_bench [--backend=auto|lsm|fentry|kprobe|tracepoint] [--rounds=9] [--reps=3] [--ms=20]
//              [--bpftrace=bpftrace|none] [--features=LIST]... [--baseline=LABEL=EXPORTER]...
//              [--parts] [--cpu=N] [--clock=thread|wall] [--target-floor=1.35] [--quiet]
//              [--only=HOOKS] [--contention]
//
// --features=LIST adds the exporter loaded with $SLE_BPF_FEATURES=LIST (the slower read paths,
// measured in the same run); --baseline adds an exporter binary run as a process (another
// revision); --parts adds a table of what the parts of a hook program cost (tests/bench/bpf/
// parts.bpf.c) on the setsockopt attach point; --cpu pins the calling thread; --target-floor is
// the ratio exporter added / floor added the output judges against (docs/performance.md);
// --only=setsockopt,connect keeps the calls that go through exactly one of those hooks;
// --contention adds a table of one key hammered from every online CPU at once against a key of
// its own per CPU (setsockopt, one thread pinned per CPU): what sharing a key costs.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "common/logging.h"
#include "common/unique_fd.h"
#include "config/config.h"
#include "floor.skel.h"
#include "loader/bpf_stats.h"
#include "loader/hook_set.h"
#include "loader/kernel_features.h"
#include "parts.skel.h"

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "hook_bench: %s\n", what.c_str());
  std::exit(1);
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const std::size_t i = static_cast<std::size_t>(pos);
  const double frac = pos - static_cast<double>(i);
  return i + 1 < v.size() ? v[i] * (1 - frac) + v[i + 1] * frac : v[i];
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// --- the calls -------------------------------------------------------------------------------

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

struct Call {
  std::string name;   // as in the table
  std::string hooks;  // the exporter's hooks it goes through
  // Makes n calls; returns how many failed (a failed call still went through the hook, but the
  // bench reports it: the figures are for calls that worked).
  std::function<long(long n)> run;
};

class Calls {
 public:
  Calls() : udp_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    listener_ = sle::UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in any = loopback(0);
    socklen_t len = sizeof any;
    if (!udp_ || !listener_ || ::bind(listener_.get(), sa(&any), sizeof any) != 0 ||
        ::listen(listener_.get(), SOMAXCONN) != 0 ||
        ::getsockname(listener_.get(), sa(&any), &len) != 0)
      die(std::string("setting up the sockets: ") + sle::errno_text(errno));
    listen_addr_ = any;
  }

  std::vector<Call> list() {
    const sockaddr_in discard = loopback(9);
    const sockaddr_in listen_addr = listen_addr_;
    const int udp = udp_.get(), listener = listener_.get();
    return {
        {"setsockopt(SO_REUSEADDR)", "setsockopt",
         [udp](long n) {
           const int one = 1;
           long failed = 0;
           for (long i = 0; i < n; ++i)
             failed += ::setsockopt(udp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0;
           return failed;
         }},
        {"socket+close (udp)", "create",
         [](long n) {
           long failed = 0;
           for (long i = 0; i < n; ++i) {
             const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
             failed += fd < 0;
             ::close(fd);
           }
           return failed;
         }},
        {"socket+bind(port 0)+close (udp)", "create, bind",
         [](long n) {
           const sockaddr_in any = loopback(0);
           long failed = 0;
           for (long i = 0; i < n; ++i) {
             const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
             failed += ::bind(fd, sa(&any), sizeof any) != 0;
             ::close(fd);
           }
           return failed;
         }},
        {"connect (udp, 127.0.0.1:9)", "connect",
         [udp, discard](long n) {
           long failed = 0;
           for (long i = 0; i < n; ++i) failed += ::connect(udp, sa(&discard), sizeof discard) != 0;
           return failed;
         }},
        // The accepted side closes first: its TIME_WAIT does not hold the client's port, so a
        // long run does not run out of ephemeral ports.
        {"TCP socket+connect+accept+close", "create, connect, accept",
         [listener, listen_addr](long n) {
           long failed = 0;
           for (long i = 0; i < n; ++i) {
             const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
             if (::connect(c, sa(&listen_addr), sizeof listen_addr) != 0) {
               ++failed;
               ::close(c);
               continue;
             }
             const int s = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
             failed += s < 0;
             ::close(s);
             ::close(c);
           }
           return failed;
         }},
    };
  }

 private:
  static sockaddr* sa(const sockaddr_in* a) {
    return reinterpret_cast<sockaddr*>(const_cast<sockaddr_in*>(a));
  }
  sle::UniqueFd udp_;
  sle::UniqueFd listener_;
  sockaddr_in listen_addr_{};
};

// --- BPF programs, wherever they come from ---------------------------------------------------

struct ProgStats {
  std::uint64_t run_ns = 0, runs = 0;
};

ProgStats stats_of(const std::vector<int>& fds) {
  ProgStats s;
  for (const int fd : fds) {
    bpf_prog_info info{};
    __u32 len = sizeof info;
    if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) continue;
    s.run_ns += info.run_time_ns;
    s.runs += info.run_cnt;
  }
  return s;
}

std::set<__u32> prog_ids() {
  std::set<__u32> ids;
  for (__u32 id = 0; bpf_prog_get_next_id(id, &id) == 0;) ids.insert(id);
  return ids;
}

// The programs loaded since `before` (another process's), opened by id.
std::vector<sle::UniqueFd> new_programs(const std::set<__u32>& before) {
  std::vector<sle::UniqueFd> out;
  for (const __u32 id : prog_ids())
    if (!before.contains(id)) {
      const int fd = bpf_prog_get_fd_by_id(id);
      if (fd >= 0) out.emplace_back(fd);
    }
  return out;
}

// Tracing programs other processes have loaded (another exporter, say): they run in every
// variant alike, "no BPF" included, so they shift no difference, but the reader should know. Any
// of them on a tracepoint (a syscall tracepoint, raw_tp sys_enter) sets every task's syscall
// tracepoint flag, which puts every system call on the kernel's slow path, "no BPF" included:
// the floor then looks far cheaper than it is (*on_tracepoint says whether one is).
std::string foreign_programs(bool* on_tracepoint) {
  *on_tracepoint = false;
  std::map<std::string, int> names;
  for (const __u32 id : prog_ids()) {
    const sle::UniqueFd fd(bpf_prog_get_fd_by_id(id));
    bpf_prog_info info{};
    __u32 len = sizeof info;
    if (!fd || bpf_obj_get_info_by_fd(fd.get(), &info, &len) != 0) continue;
    switch (info.type) {
      case BPF_PROG_TYPE_TRACEPOINT:
      case BPF_PROG_TYPE_RAW_TRACEPOINT:
      case BPF_PROG_TYPE_TRACING:  // tp_btf among them
        *on_tracepoint = true;
        ++names[info.name];
        break;
      case BPF_PROG_TYPE_KPROBE:
      case BPF_PROG_TYPE_LSM:
        ++names[info.name];
        break;
      default:
        break;
    }
  }
  std::string out;
  for (const auto& [name, n] : names)
    out += (out.empty() ? "" : ", ") + name + (n > 1 ? " x" + std::to_string(n) : "");
  return out;
}

// --- variants --------------------------------------------------------------------------------

class Variant {
 public:
  virtual ~Variant() = default;
  virtual std::string name() const = 0;
  virtual void start() = 0;
  virtual void stop() = 0;
  virtual std::vector<int> programs() const { return {}; }
  virtual std::string note() const { return ""; }
  // Fewer calls per loop for a variant tens of times slower than the others (streaming): its
  // figures need no precision, and the run stays short.
  virtual double ops_scale() const { return 1; }
};

class NoBpf : public Variant {
 public:
  std::string name() const override { return "no BPF"; }
  void start() override {}
  void stop() override {}
};

// Programs of an embedded object (floor.bpf.c, parts.bpf.c): loaded once, attached per round.
class ObjectPrograms : public Variant {
 public:
  // optional: a program this kernel refuses leaves the variant out (error() says why) instead of
  // ending the bench.
  ObjectPrograms(std::string name, std::span<const std::byte> elf,
                 const std::function<bool(bpf_program*)>& pick, std::uint32_t features = 0,
                 bool optional = false)
      : name_(std::move(name)) {
    LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "bench");
    obj_ = bpf_object__open_mem(elf.data(), elf.size(), &opts);
    if (!obj_) die("opening the BPF object of " + name_);
    // parts.bpf.c reads through socket_read.bpf.h: give it the features the exporter gets.
    if (bpf_map* rodata = bpf_object__find_map_by_name(obj_, ".rodata")) {
      std::size_t size = 0;
      auto* data = static_cast<char*>(const_cast<void*>(bpf_map__initial_value(rodata, &size)));
      if (data && size >= sizeof features) std::memcpy(data, &features, sizeof features);
    }
    bpf_program* prog = nullptr;
    int picked = 0;
    bpf_object__for_each_program(prog, obj_) {
      const bool mine = pick(prog);
      bpf_program__set_autoload(prog, mine);
      picked += mine;
    }
    if (picked == 0) die("no program picked for " + name_);
    if (const int err = bpf_object__load(obj_)) {
      if (!optional) die("loading " + name_ + ": " + sle::errno_text(-err));
      error_ = sle::errno_text(-err);
    }
  }
  const std::string& error() const { return error_; }
  ~ObjectPrograms() override {
    stop();
    bpf_object__close(obj_);
  }
  std::string name() const override { return name_; }
  void start() override {
    bpf_program* prog = nullptr;
    bpf_object__for_each_program(prog, obj_) {
      if (!bpf_program__autoload(prog)) continue;
      bpf_link* link = bpf_program__attach(prog);
      if (!link) die("attaching " + std::string(bpf_program__name(prog)) + " of " + name_);
      links_.push_back(link);
    }
  }
  void stop() override {
    for (bpf_link* l : links_) bpf_link__destroy(l);
    links_.clear();
  }
  std::vector<int> programs() const override {
    std::vector<int> fds;
    bpf_program* prog = nullptr;
    bpf_object__for_each_program(prog, obj_) {
      if (bpf_program__autoload(prog)) fds.push_back(bpf_program__fd(prog));
    }
    return fds;
  }

 private:
  std::string name_;
  std::string error_;
  bpf_object* obj_ = nullptr;
  std::vector<bpf_link*> links_;
};

std::span<const std::byte> elf_of(const void* (*bytes)(std::size_t*)) {
  std::size_t size = 0;
  const void* data = bytes(&size);
  return {static_cast<const std::byte*>(data), size};
}

// Whether the backend loads a program of this name (the exporter's rule: hooks/backend.h), with
// the outcome labels on (counting at the return) or off.
constexpr const char* kFloorAtEntry = "floor at entry (empty program)";

bool loaded_by(bpf_program* prog, sle::Backend backend, bool outcome) {
  return sle::backend_loads(backend, outcome, bpf_program__name(prog));
}

// The exporter, loaded by its own loader (HookSet::attach) with its default config.
class Exporter : public Variant {
 public:
  // outcome: the default labels, with outcome and errno (counting at the hook's return where the
  // backend sees the verdict); without, the entry programs.
  Exporter(sle::Backend backend, std::optional<std::string> features, bool outcome = true)
      : features_(std::move(features)), outcome_(outcome) {
    config_ = sle::default_config();
    config_.backend = backend;
    if (!outcome)
      for (sle::HookConfig& hc : config_.hooks) hc.label_mask &= ~sle::kOutcomeLabels;
  }
  std::string name() const override {
    if (!outcome_) return kAtEntry;
    return features_ ? "exporter [features=" + *features_ + "]" : "exporter";
  }
  static constexpr const char* kAtEntry = "exporter, outcome labels off";
  void start() override {
    if (features_) ::setenv("SLE_BPF_FEATURES", features_->c_str(), 1);
    hooks_.emplace(sle::HookSet::attach(config_));
    if (features_) ::unsetenv("SLE_BPF_FEATURES");
  }
  void stop() override { hooks_.reset(); }
  std::vector<int> programs() const override {
    std::vector<int> fds;
    if (!hooks_) return fds;
    for (const sle::Hook hook : sle::all_hooks())
      if (const sle::HookObject* object = hooks_->object(hook))
        for (const auto& p : object->programs()) fds.push_back(p.fd);
    return fds;
  }

 private:
  sle::Config config_;
  std::optional<std::string> features_;
  bool outcome_ = true;
  std::optional<sle::HookSet> hooks_;
};

// A process that loads programs (bpftrace, an exporter binary): started per round, ready when
// `ready` says so; its programs are those that appeared while it started.
class Process : public Variant {
 public:
  Process(std::string name, std::vector<std::string> argv, double ops_scale = 1)
      : name_(std::move(name)), argv_(std::move(argv)), ops_scale_(ops_scale) {}
  double ops_scale() const override { return ops_scale_; }
  ~Process() override { stop(); }
  std::string name() const override { return name_; }

  void start() override {
    const auto before = prog_ids();
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) die("pipe");
    pid_ = ::fork();
    if (pid_ < 0) die("fork");
    if (pid_ == 0) {
      // Not pinned like the bench: the process runs wherever the scheduler puts it.
      cpu_set_t all;
      CPU_ZERO(&all);
      for (int c = 0; c < CPU_SETSIZE; ++c) CPU_SET(c, &all);
      ::sched_setaffinity(0, sizeof all, &all);
      ::dup2(out[1], 1);
      const int err = ::open(log_path().c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (err >= 0) ::dup2(err, 2);
      std::vector<char*> args;
      for (auto& a : argv_) args.push_back(a.data());
      args.push_back(nullptr);
      ::execvp(args[0], args.data());
      _exit(127);
    }
    ::close(out[1]);
    ready_ = false;
    lines_ = 0;
    reader_ = std::thread([this, fd = out[0]] { read_output(fd); });
    const auto deadline = Clock::now() + std::chrono::seconds(300);
    while (!is_ready()) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        reader_.join();
        throw std::runtime_error(name_ + " exited before it was ready: " + log_tail());
      }
      if (Clock::now() > deadline) {
        stop();
        throw std::runtime_error(name_ + " not ready after 300 s: " + log_tail());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    programs_ = new_programs(before);
  }

  void stop() override {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGINT);
    int status = 0;
    for (int i = 0; i < 500 && ::waitpid(pid_, &status, WNOHANG) != pid_; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (::kill(pid_, 0) == 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    pid_ = -1;
    reader_.join();
    programs_.clear();
  }

  std::vector<int> programs() const override {
    std::vector<int> fds;
    for (const auto& p : programs_) fds.push_back(p.get());
    return fds;
  }

  std::string note() const override {
    return lost_ ? std::to_string(lost_) + " events lost (bpftrace's own count)" : "";
  }

 protected:
  virtual bool is_ready() { return ready_.load(); }
  // The last lines of the process's stderr, on one line.
  std::string log_tail() const {
    std::ifstream in(log_path());
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);)
      if (!l.empty()) lines.push_back(l);
    std::string out;
    for (std::size_t i = lines.size() > 4 ? lines.size() - 4 : 0; i < lines.size(); ++i)
      out += (out.empty() ? "" : " / ") + lines[i];
    return out.empty() ? "(no output)" : out;
  }
  std::string log_path() const {
    std::string file = "/tmp/hook_bench-";
    for (const char ch : name_) file += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
    return file + ".log";
  }

 private:
  // Reads stdout to the end, as a consumer of a stream would, counting lines.
  void read_output(int fd) {
    std::string partial;
    char buf[65536];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) {
      partial.append(buf, static_cast<std::size_t>(n));
      std::size_t start = 0;
      for (std::size_t nl; (nl = partial.find('\n', start)) != std::string::npos; start = nl + 1) {
        const std::string_view line(partial.data() + start, nl - start);
        ++lines_;
        if (line == "SLE-READY") ready_ = true;
        if (line.starts_with("Lost ")) lost_ += std::strtoull(line.data() + 5, nullptr, 10);
      }
      partial.erase(0, start);
    }
    ::close(fd);
  }

  std::string name_;
  std::vector<std::string> argv_;
  double ops_scale_;
  pid_t pid_ = -1;
  std::thread reader_;
  std::atomic<bool> ready_{false};
  std::atomic<std::uint64_t> lines_{0};
  std::uint64_t lost_ = 0;
  std::vector<sle::UniqueFd> programs_;
};

// An exporter binary (--baseline): ready when /readyz answers 200.
class ExporterProcess : public Process {
 public:
  ExporterProcess(std::string name, const std::string& binary, sle::Backend backend, int port)
      : Process(std::move(name),
                {binary, "--bpf.backend=" + std::string(sle::backend_name(backend)),
                 "--web.listen-address=127.0.0.1:" + std::to_string(port), "--log.level=warn"}),
        port_(port) {}

 protected:
  bool is_ready() override {
    sle::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const sockaddr_in a = loopback(static_cast<std::uint16_t>(port_));
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) return false;
    const char req[] = "GET /readyz HTTP/1.0\r\n\r\n";
    if (::write(fd.get(), req, sizeof req - 1) < 0) return false;
    char buf[64] = {};
    return ::read(fd.get(), buf, sizeof buf - 1) > 0 && std::strstr(buf, " 200 ");
  }

 private:
  int port_;
};

// --- bpftrace, keyed like the exporter -------------------------------------------------------

// One probe per exporter hook; `fields` are the exporter's labels for it (bpftrace reads the raw
// values: the port in network order, the peer's address instead of its class).
struct Probe {
  std::string attach, fields;
  std::string map;
};

std::vector<Probe> bpftrace_probes(sle::Backend backend) {
  // The struct sock of the socket behind fd (tracepoint) or of the hook's socket argument.
  const std::string fd_sk =
      "$sk = ((struct socket *)(*(curtask->files->fdt->fd + args->fd))->private_data)->sk; ";
  const std::string sk = "$sk->__sk_common.skc_family, $sk->sk_type, $sk->sk_protocol";
  switch (backend) {
    case sle::Backend::tracepoint:
      return {
          {"tracepoint:syscalls:sys_enter_socket,tracepoint:syscalls:sys_enter_socketpair", "",
           "@create[args->family, args->type & 15, args->protocol, cgroup]"},
          {"tracepoint:syscalls:sys_enter_bind",
           fd_sk + "$sa = (struct sockaddr_in *)uptr(args->umyaddr); ",
           "@bind[" + sk + ", $sa->sin_port, cgroup]"},
          {"tracepoint:syscalls:sys_enter_connect",
           fd_sk + "$sa = (struct sockaddr_in *)uptr(args->uservaddr); ",
           "@connect[" + sk + ", $sa->sin_port, $sa->sin_addr.s_addr, cgroup]"},
          {"tracepoint:syscalls:sys_enter_listen", fd_sk,
           "@listen[" + sk + ", $sk->__sk_common.skc_num, cgroup]"},
          {"tracepoint:syscalls:sys_enter_accept,tracepoint:syscalls:sys_enter_accept4", fd_sk,
           "@accept[" + sk + ", $sk->__sk_common.skc_num, cgroup]"},
          {"tracepoint:syscalls:sys_enter_setsockopt", fd_sk,
           "@setsockopt[" + sk + ", args->level, args->optname, cgroup]"},
      };
    case sle::Backend::kprobe:
      return {
          {"kprobe:security_socket_create", "", "@create[arg0, arg1, arg2, cgroup]"},
          {"kprobe:security_socket_bind",
           "$sk = ((struct socket *)arg0)->sk; $sa = (struct sockaddr_in *)arg1; ",
           "@bind[" + sk + ", $sa->sin_port, cgroup]"},
          {"kprobe:security_socket_connect",
           "$sk = ((struct socket *)arg0)->sk; $sa = (struct sockaddr_in *)arg1; ",
           "@connect[" + sk + ", $sa->sin_port, $sa->sin_addr.s_addr, cgroup]"},
          {"kprobe:security_socket_listen", "$sk = ((struct socket *)arg0)->sk; ",
           "@listen[" + sk + ", $sk->__sk_common.skc_num, cgroup]"},
          {"kprobe:security_socket_accept", "$sk = ((struct socket *)arg0)->sk; ",
           "@accept[" + sk + ", $sk->__sk_common.skc_num, cgroup]"},
          {"kprobe:security_socket_setsockopt", "$sk = ((struct socket *)arg0)->sk; ",
           "@setsockopt[" + sk + ", arg1, arg2, cgroup]"},
      };
    case sle::Backend::fentry:  // bpftrace 0.17 calls fentry "kfunc"
      return {
          {"kfunc:security_socket_create", "",
           "@create[args->family, args->type, args->protocol, cgroup]"},
          {"kfunc:security_socket_bind",
           "$sk = args->sock->sk; $sa = (struct sockaddr_in *)args->address; ",
           "@bind[" + sk + ", $sa->sin_port, cgroup]"},
          {"kfunc:security_socket_connect",
           "$sk = args->sock->sk; $sa = (struct sockaddr_in *)args->address; ",
           "@connect[" + sk + ", $sa->sin_port, $sa->sin_addr.s_addr, cgroup]"},
          {"kfunc:security_socket_listen", "$sk = args->sock->sk; ",
           "@listen[" + sk + ", $sk->__sk_common.skc_num, cgroup]"},
          {"kfunc:security_socket_accept", "$sk = args->sock->sk; ",
           "@accept[" + sk + ", $sk->__sk_common.skc_num, cgroup]"},
          {"kfunc:security_socket_setsockopt", "$sk = args->sock->sk; ",
           "@setsockopt[" + sk + ", args->level, args->optname, cgroup]"},
      };
    case sle::Backend::lsm:
      return {};  // bpftrace 0.17 has no lsm probes
  }
  return {};
}

// count(): the maps; printf: one line per event with the same fields.
std::string bpftrace_script(sle::Backend backend, bool streaming) {
  std::string script = "BEGIN { printf(\"SLE-READY\\n\"); }\n";
  for (const auto& p : bpftrace_probes(backend)) {
    if (!streaming) {
      script += p.attach + " { " + p.fields + p.map + " = count(); }\n";
      continue;
    }
    const std::string values =
        p.map.substr(p.map.find('[') + 1, p.map.size() - p.map.find('[') - 2);
    std::string format = p.map.substr(1, p.map.find('[') - 1);
    for (std::size_t i = 0, n = std::count(values.begin(), values.end(), ',') + 1; i < n; ++i)
      format += " %d";
    script += p.attach + " { " + p.fields + "printf(\"" + format + "\\n\", " + values + "); }\n";
  }
  // The maps would be printed at exit: nobody reads them here.
  script += "END { clear(@create); clear(@bind); clear(@connect); clear(@listen); ";
  script += "clear(@accept); clear(@setsockopt); }\n";
  if (streaming) script = std::string(script.substr(0, script.rfind("END")));
  return script;
}

// --- the run ---------------------------------------------------------------------------------

struct Options {
  sle::Backend backend = sle::Backend::tracepoint;
  bool auto_backend = false;  // --backend=auto: the one the exporter's auto picks here
  int rounds = 9;
  int reps = 3;
  double ms = 20;
  std::string bpftrace = "bpftrace";
  std::vector<std::string> features;
  std::vector<std::pair<std::string, std::string>> baselines;
  bool parts = false;
  int cpu = -1;
  double target_floor = 1.35;     // exporter added / floor added: 1.35 on hosts, 1.5 in the VM
  std::vector<std::string> only;  // hooks whose calls are measured; empty: every call
  bool contention = false;
};

clockid_t bench_clock = CLOCK_THREAD_CPUTIME_ID;  // --clock=wall: CLOCK_MONOTONIC
bool quiet = false;                               // --quiet: no progress on stderr

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    std::string v;
    const auto is = [&](const char* name) {
      const std::string prefix = std::string("--") + name + "=";
      if (a.rfind(prefix, 0) != 0) return false;
      v = a.substr(prefix.size());
      return true;
    };
    if (is("backend")) {
      const auto b = sle::backend_from_name(v);
      if (!b && v != "auto") die("unknown backend " + v);
      o.auto_backend = !b;
      if (b) o.backend = *b;
    } else if (is("rounds")) {
      o.rounds = std::stoi(v);
    } else if (is("reps")) {
      o.reps = std::stoi(v);
    } else if (is("ms")) {
      o.ms = std::stod(v);
    } else if (is("bpftrace")) {
      o.bpftrace = v;
    } else if (is("features")) {
      o.features.push_back(v);
    } else if (is("baseline")) {
      const auto eq = v.find('=');
      if (eq == std::string::npos) die("--baseline=LABEL=BINARY");
      o.baselines.emplace_back(v.substr(0, eq), v.substr(eq + 1));
    } else if (is("clock")) {
      if (v != "wall" && v != "thread") die("--clock=thread|wall");
      bench_clock = v == "wall" ? CLOCK_MONOTONIC : CLOCK_THREAD_CPUTIME_ID;
    } else if (a == "--quiet") {
      quiet = true;
    } else if (a == "--parts") {
      o.parts = true;
    } else if (a == "--contention") {
      o.contention = true;
    } else if (is("target-floor")) {
      o.target_floor = std::stod(v);
    } else if (is("cpu")) {
      o.cpu = std::stoi(v);
    } else if (is("only")) {
      std::stringstream list(v);
      for (std::string hook; std::getline(list, hook, ',');) o.only.push_back(hook);
    } else {
      die("unknown argument " + a + " (see the comment at the top of hook_bench.cpp)");
    }
  }
  return o;
}

struct Cell {
  std::vector<double> ns;      // per round
  std::vector<double> added;   // per round, minus no BPF in the same round
  std::vector<double> run_ns;  // BPF stats: program run time per call
  long failed = 0;
};

using Table = std::map<std::string, std::map<std::string, Cell>>;  // call -> variant -> cell

// The calling thread's CPU time (user and system, BPF programs included: they run in its system
// calls), not wall time: another process taking the CPU does not count, which on a shared
// 2-core machine is most of the noise.
double thread_ns() {
  timespec ts{};
  ::clock_gettime(bench_clock, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

double ns_per_call(const Call& call, long n, long* failed) {
  const double t0 = thread_ns();
  *failed += call.run(n);
  return (thread_ns() - t0) / static_cast<double>(n);
}

// Interleaved rounds: each variant attaches, runs every call's loop, then the loops again with
// BPF stats on, and detaches; the order rotates every round.
Table measure(const std::vector<Variant*>& variants, const std::vector<Call>& calls,
              const std::map<std::string, long>& ops, int rounds, int reps, const char* title) {
  Table table;
  for (int r = 0; r < rounds; ++r) {
    if (!quiet) std::fprintf(stderr, "hook_bench: %s round %d/%d\r", title, r + 1, rounds);
    std::map<std::string, double> none;
    std::vector<Variant*> order(variants);
    std::rotate(order.begin(), order.begin() + r % static_cast<int>(order.size()), order.end());
    std::map<std::string, std::map<std::string, double>> this_round;
    for (Variant* v : order) {
      v->start();
      for (const Call& c : calls) {
        Cell& cell = table[c.name][v->name()];
        const long n =
            std::max(100L, static_cast<long>(static_cast<double>(ops.at(c.name)) * v->ops_scale()));
        // The fastest of a few loops: other processes on the CPU only ever add time.
        double ns = ns_per_call(c, n, &cell.failed);
        for (int i = 1; i < reps; ++i) ns = std::min(ns, ns_per_call(c, n, &cell.failed));
        cell.ns.push_back(ns);
        this_round[c.name][v->name()] = ns;
      }
      const auto programs = v->programs();
      if (!programs.empty()) {
        const sle::StatsEnabler stats;
        for (const Call& c : calls) {
          const long n = std::max(
              100L, static_cast<long>(static_cast<double>(ops.at(c.name)) * v->ops_scale()));
          const ProgStats before = stats_of(programs);
          long ignored = 0;
          ns_per_call(c, n, &ignored);
          const ProgStats after = stats_of(programs);
          table[c.name][v->name()].run_ns.push_back(
              static_cast<double>(after.run_ns - before.run_ns) / static_cast<double>(n));
        }
      }
      v->stop();
    }
    for (const Call& c : calls)
      for (Variant* v : variants)
        table[c.name][v->name()].added.push_back(this_round[c.name][v->name()] -
                                                 this_round[c.name]["no BPF"]);
  }
  if (!quiet) std::fprintf(stderr, "%60s\r", "");
  return table;
}

std::string fmt(double v, int decimals = 0) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

void print_table(const Table& table, const std::vector<Call>& calls,
                 const std::vector<Variant*>& variants) {
  std::printf(
      "| call | variant | ns/call | added ns | added, middle half of rounds | BPF run ns/call |\n");
  std::printf("|---|---|--:|--:|--:|--:|\n");
  for (const Call& c : calls) {
    bool first = true;
    for (Variant* v : variants) {
      const Cell& cell = table.at(c.name).at(v->name());
      const bool base = v->name() == "no BPF";
      std::string note = cell.failed ? " (" + std::to_string(cell.failed) + " calls failed)" : "";
      if (!v->note().empty()) note += " (" + v->note() + ")";
      const std::string spread =
          base ? "" : fmt(quantile(cell.added, 0.25)) + " .. " + fmt(quantile(cell.added, 0.75));
      std::printf("| %s | %s%s | %s | %s | %s | %s |\n",
                  first ? (c.name + " [" + c.hooks + "]").c_str() : "", v->name().c_str(),
                  note.c_str(), fmt(median(cell.ns)).c_str(),
                  base ? "" : fmt(median(cell.added)).c_str(), spread.c_str(),
                  cell.run_ns.empty() ? "" : fmt(median(cell.run_ns), 1).c_str());
      first = false;
    }
  }
}

// One thread per online CPU, pinned, each making n setsockopt calls at once with option number
// optname(thread) (unknown to the kernel: each fails after the hook ran); the mean of their
// CPU time per call.
double ns_per_call_on_every_cpu(long n, const std::function<int(int)>& optname) {
  std::vector<double> ns(static_cast<std::size_t>(::sysconf(_SC_NPROCESSORS_ONLN)));
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < ns.size(); ++t)
    threads.emplace_back([&, t] {
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(static_cast<int>(t), &one);
      ::sched_setaffinity(0, sizeof one, &one);
      const sle::UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
      const int value = 1, name = optname(static_cast<int>(t));
      ++ready;
      while (ready < static_cast<int>(ns.size())) {
      }  // all start together: both CPUs busy for the whole loop
      const double t0 = thread_ns();
      for (long i = 0; i < n; ++i) ::setsockopt(fd.get(), SOL_SOCKET, name, &value, sizeof value);
      ns[t] = (thread_ns() - t0) / static_cast<double>(n);
    });
  for (auto& t : threads) t.join();
  double sum = 0;
  for (const double v : ns) sum += v;
  return sum / static_cast<double>(ns.size());
}

// The contention table (--contention): per variant, one hot key from every CPU against a key
// per CPU, medians over rounds (the two orders alternate).
void contention(const std::vector<Variant*>& variants, int rounds, long n) {
  constexpr int kOptname = 9'100'000;  // unknown to the kernel, used by nobody else
  std::map<std::string, std::vector<double>> hot, own;
  for (int r = 0; r < rounds; ++r) {
    for (Variant* v : variants) {
      if (!quiet) std::fprintf(stderr, "\rhook_bench: contention round %d/%d", r + 1, rounds);
      v->start();
      const auto one_key = [&] {
        return ns_per_call_on_every_cpu(n, [](int) { return kOptname; });
      };
      const auto own_keys = [&] {
        return ns_per_call_on_every_cpu(n, [](int t) { return kOptname + 1 + t; });
      };
      if (r % 2 == 0) {
        hot[v->name()].push_back(one_key());
        own[v->name()].push_back(own_keys());
      } else {
        own[v->name()].push_back(own_keys());
        hot[v->name()].push_back(one_key());
      }
      v->stop();
    }
  }
  if (!quiet) std::fprintf(stderr, "\r%60s\r", "");
  const double base_hot = median(hot["no BPF"]), base_own = median(own["no BPF"]);
  std::printf(
      "\nOne key from every CPU at once against a key per CPU (setsockopt, %ld online CPUs, a "
      "thread pinned to each, all calling together; CPU time per call, medians of %d rounds):"
      "\n\n| variant | one key ns/call | a key per CPU ns/call | one key / a key per CPU "
      "(target <= 1.20) | added: one key / a key per CPU |\n|---|--:|--:|--:|--:|\n",
      ::sysconf(_SC_NPROCESSORS_ONLN), rounds);
  for (Variant* v : variants) {
    const double h = median(hot[v->name()]), o = median(own[v->name()]);
    const bool none = v->name() == "no BPF";
    std::printf("| %s | %s | %s | %s | %s |\n", v->name().c_str(), fmt(h).c_str(), fmt(o).c_str(),
                fmt(h / o, 2).c_str(), none ? "" : fmt((h - base_hot) / (o - base_own), 2).c_str());
  }
}

double added(const Table& t, const std::string& call, const std::string& variant) {
  return median(t.at(call).at(variant).added);
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  sle::log::setup(sle::log::Level::warn, sle::log::Format::logfmt);
  libbpf_set_print(nullptr);
  if (o.auto_backend) {
    const sle::HookSet hooks = sle::HookSet::attach(sle::default_config());
    o.backend = hooks.object(sle::hook_named("create"))->backend();
  }
  if (o.cpu >= 0) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(o.cpu, &one);
    if (::sched_setaffinity(0, sizeof one, &one) != 0)
      die("pinning to CPU " + std::to_string(o.cpu));
  }

  bool slow_path = false;
  const std::string other = foreign_programs(&slow_path);  // before any of ours is loaded
  Calls socket_calls;
  std::vector<Call> calls = socket_calls.list();
  if (!o.only.empty())
    std::erase_if(calls, [&](const Call& c) {
      return std::find(o.only.begin(), o.only.end(), c.hooks) == o.only.end();
    });
  if (calls.empty()) die("--only matches no call");
  const std::string backend(sle::backend_name(o.backend));

  // Variants. bpftrace only where it has the attach point (0.17: no lsm probes).
  std::vector<std::unique_ptr<Variant>> owned;
  owned.push_back(std::make_unique<NoBpf>());
  owned.push_back(std::make_unique<ObjectPrograms>(
      "floor (empty program)", elf_of(floor_bpf__elf_bytes),
      [&](bpf_program* p) { return loaded_by(p, o.backend, true); }));
  owned.push_back(std::make_unique<Exporter>(o.backend, std::nullopt));
  // Where the outcome changes the programs (all but tracepoint): the same at the entry, with its
  // own floor, for what counting at the return costs (the outcome table below).
  const bool entry_programs_differ =
      sle::kBackendInfo[static_cast<std::size_t>(o.backend)].programs !=
      sle::kBackendInfo[static_cast<std::size_t>(o.backend)].programs_with_outcome;
  if (entry_programs_differ) {
    owned.push_back(std::make_unique<ObjectPrograms>(
        kFloorAtEntry, elf_of(floor_bpf__elf_bytes),
        [&](bpf_program* p) { return loaded_by(p, o.backend, false); }));
    owned.push_back(std::make_unique<Exporter>(o.backend, std::nullopt, false));
  }
  for (const auto& f : o.features) owned.push_back(std::make_unique<Exporter>(o.backend, f));
  int port = 19150;
  for (const auto& [label, binary] : o.baselines)
    owned.push_back(
        std::make_unique<ExporterProcess>("exporter " + label, binary, o.backend, port++));
  std::string bpftrace_note;
  if (o.bpftrace == "none") {
    bpftrace_note = "bpftrace not run (--bpftrace=none)";
  } else if (bpftrace_probes(o.backend).empty()) {
    bpftrace_note = "bpftrace not run: bpftrace 0.17 (Debian bookworm) has no lsm probes";
  } else {
    owned.push_back(std::make_unique<Process>(
        "bpftrace count()",
        std::vector<std::string>{o.bpftrace, "-e", bpftrace_script(o.backend, false)}));
    owned.push_back(std::make_unique<Process>(
        "bpftrace printf",
        std::vector<std::string>{o.bpftrace, "-e", bpftrace_script(o.backend, true)}, 0.1));
  }
  // A process that cannot start here (bpftrace without its libraries, a kernel it cannot
  // handle) is left out, and the output says why.
  std::vector<Variant*> variants;
  for (auto& v : owned) {
    if (auto* p = dynamic_cast<Process*>(v.get())) {
      try {
        p->start();
        p->stop();
      } catch (const std::exception& e) {
        bpftrace_note += std::string(bpftrace_note.empty() ? "" : "\n") + "not run: " + e.what();
        continue;
      }
    }
    variants.push_back(v.get());
  }

  // Loop lengths: about --ms each without BPF.
  std::map<std::string, long> ops;
  for (const Call& c : calls) {
    long failed = 0;
    ns_per_call(c, 200, &failed);  // warm up
    const double ns = ns_per_call(c, 2000, &failed);
    ops[c.name] = std::max(1000L, static_cast<long>(o.ms * 1e6 / ns));
  }

  utsname u{};
  ::uname(&u);
  char date[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d", std::gmtime(&now));
  std::printf(
      "hook_bench: %s, kernel %s, backend %s, %ld CPUs%s; %d rounds, loops of about %.0f ms, "
      "medians; kernel features %s\n\n",
      date, u.release, backend.c_str(), ::sysconf(_SC_NPROCESSORS_ONLN),
      o.cpu >= 0 ? (", bench pinned to CPU " + std::to_string(o.cpu)).c_str() : "", o.rounds, o.ms,
      sle::feature_names(sle::kernel_features()).c_str());
  if (!bpftrace_note.empty()) std::printf("%s\n\n", bpftrace_note.c_str());
  if (!other.empty())
    std::printf(
        "Already loaded by other processes (in every variant alike, \"no BPF\" too): %s\n\n",
        other.c_str());
  else
    std::printf("Nothing else loaded: \"no BPF\" is the kernel's fast path for system calls.\n\n");
  if (slow_path)
    std::printf(
        "**Slow path**: a program of another process is on a tracepoint, which puts every system "
        "call on the kernel's slow path, \"no BPF\" included; the floor ratios below are marked "
        "(slow path) and understate the floor.\n\n");

  const Table table = measure(variants, calls, ops, o.rounds, o.reps, "main");
  print_table(table, calls, variants);

  const bool have_bpftrace = table.begin()->second.contains("bpftrace count()") &&
                             table.begin()->second.contains("bpftrace printf");
  // A ratio of two differences means something only when they stand out of the noise: each
  // above "no BPF" in three quarters of the rounds, and the middle halves of their rounds apart.
  // Otherwise the cell says "noise" (the BPF run times in the last column are steady even then).
  const auto q = [&](const std::string& call, const std::string& variant, double at) {
    return quantile(table.at(call).at(variant).added, at);
  };
  const auto apart = [&](const std::string& call, const std::string& a, const std::string& b) {
    return q(call, a, 0.25) > 0 && q(call, b, 0.25) > 0 &&
           (q(call, a, 0.25) > q(call, b, 0.75) || q(call, b, 0.25) > q(call, a, 0.75));
  };
  const auto judged = [](double r, double target, bool at_most) {
    const bool met = at_most ? r <= target : r >= target;
    return fmt(r, 2) + (met ? " (met)" : " (missed)");
  };
  const std::string floor_name = "floor (empty program)";
  std::printf(
      "\n| call | exporter added / floor added (target <= %.2f) | exporter added / bpftrace "
      "count() added (target <= 1) | bpftrace printf added / exporter added (target >= "
      "20) | BPF run ns/call: exporter - empty program |\n",
      o.target_floor);
  std::printf("|---|--:|--:|--:|--:|\n");
  for (const Call& c : calls) {
    const double e = added(table, c.name, "exporter"), f = added(table, c.name, floor_name);
    const auto& cells = table.at(c.name);
    const double body = median(cells.at("exporter").run_ns) - median(cells.at(floor_name).run_ns);
    std::string vs_floor =
        apart(c.name, "exporter", floor_name) ? judged(e / f, o.target_floor, true) : "noise";
    if (slow_path) vs_floor += " (slow path)";
    std::string vs_count = "n/a", vs_printf = "n/a";
    if (have_bpftrace) {
      const double b = added(table, c.name, "bpftrace count()");
      const double p = added(table, c.name, "bpftrace printf");
      vs_count = apart(c.name, "exporter", "bpftrace count()") ? judged(e / b, 1, true) : "noise";
      vs_printf = apart(c.name, "exporter", "bpftrace printf") ? judged(p / e, 20, false) : "noise";
    }
    std::printf("| %s | %s | %s | %s | %s |\n", c.name.c_str(), vs_floor.c_str(), vs_count.c_str(),
                vs_printf.c_str(), fmt(body).c_str());
  }
  std::printf(
      "\nThe last column is the exporter's own work per call beyond an empty program's, from the "
      "kernel's BPF stats (both include the stats' clock reads, which cancel).\n\n");

  if (table.begin()->second.contains(Exporter::kAtEntry)) {
    // Counting at the return (the outcome labels) against counting at the entry, each against
    // its own floor (fexit: an empty fexit; kprobe: an empty kprobe and kretprobe pair).
    std::printf(
        "\n| call | at entry: added, ns | at return: added, ns | return / entry, added | BPF run "
        "ns/call at entry: exporter - empty | at return: exporter - empty | return / entry, "
        "program (target <= 1.15) |\n|---|--:|--:|--:|--:|--:|--:|\n");
    for (const Call& c : calls) {
      const auto& cells = table.at(c.name);
      const double entry = added(table, c.name, Exporter::kAtEntry);
      const double ret = added(table, c.name, "exporter");
      const double body_entry =
          median(cells.at(Exporter::kAtEntry).run_ns) - median(cells.at(kFloorAtEntry).run_ns);
      const double body_ret =
          median(cells.at("exporter").run_ns) - median(cells.at(floor_name).run_ns);
      std::printf("| %s | %s | %s | %s | %s | %s | %s |\n", c.name.c_str(), fmt(entry).c_str(),
                  fmt(ret).c_str(), fmt(ret / entry, 2).c_str(), fmt(body_entry).c_str(),
                  fmt(body_ret).c_str(), judged(body_ret / body_entry, 1.15, true).c_str());
    }
    std::printf(
        "\nThe program's own work beyond its floor, from the kernel's BPF stats; for kprobe both "
        "halves (the entry's stash, the return's count) summed.\n\n");
  }

  if (o.contention) {
    std::vector<Variant*> shared;
    for (Variant* v : variants)
      if (v->name() == "no BPF" || v->name() == "exporter" || v->name().rfind("exporter ", 0) == 0)
        shared.push_back(v);
    contention(shared, o.rounds, ops.count(calls[0].name) ? ops[calls[0].name] : 20000);
  }

  if (o.parts) {
    // What the parts of a program cost, each alone on the setsockopt attach point.
    std::vector<std::unique_ptr<Variant>> parts_owned;
    parts_owned.push_back(std::make_unique<NoBpf>());
    parts_owned.push_back(std::make_unique<ObjectPrograms>(
        "floor (empty program)", elf_of(floor_bpf__elf_bytes), [&](bpf_program* p) {
          return loaded_by(p, o.backend, false) &&
                 std::string_view(bpf_program__name(p)).ends_with("setsockopt");
        }));
    // The parts' programs are named like the backend's programs at the entry, without the '_'.
    std::string prefix(sle::kBackendInfo[static_cast<std::size_t>(o.backend)].programs);
    prefix.pop_back();
    const std::vector<std::pair<std::string, std::string>> parts = {
        {"hash32", "percpu hash lookup + add, 32-byte key (today's sle_key)"},
        {"hash16", "percpu hash lookup + add, 16-byte key"},
        {"hash8", "percpu hash lookup + add, 8-byte key"},
        {"total", "percpu array lookup + add (a total)"},
        {"selftest", "the self-test check (a .bss flag)"},
        {"hash32plain", "percpu hash lookup + plain add (no lock prefix), 32-byte key"},
        {"totalplain", "percpu array lookup + plain add"},
        {"slot16", "direct-mapped per-CPU slot (16-byte key) in front of the hash, a hit"},
        {"cgroup", "bpf_get_current_cgroup_id()"},
        {"cgroupbtf", "cgroup id by BTF loads (task->cgroups->dfl_cgrp->kn->id)"},
    };
    std::vector<std::string> refused;
    const auto add = [&](std::unique_ptr<ObjectPrograms> v) {
      if (v->error().empty()) {
        parts_owned.push_back(std::move(v));
      } else {
        refused.push_back(v->name() + " (" + v->error() + ")");
      }
    };
    for (const auto& [part, what] : parts)
      add(std::make_unique<ObjectPrograms>(
          what, elf_of(parts_bpf__elf_bytes),
          [&, name = prefix + "_" + part](bpf_program* p) { return bpf_program__name(p) == name; },
          sle::kernel_features(), true));
    if (o.backend == sle::Backend::tracepoint) {
      add(std::make_unique<ObjectPrograms>(
          "bpf_probe_read_user(16 bytes)", elf_of(parts_bpf__elf_bytes),
          [](bpf_program* p) { return std::string_view(bpf_program__name(p)) == "tp_user16"; }, 0,
          true));
      for (const std::uint32_t f : {sle::kernel_features(), 0u})
        add(std::make_unique<ObjectPrograms>(
            "fd -> socket -> family, features " + sle::feature_names(f),
            elf_of(parts_bpf__elf_bytes),
            [](bpf_program* p) { return std::string_view(bpf_program__name(p)) == "tp_fdsocket"; },
            f, true));
      // The alternative backend: one program on every system call's entry.
      add(std::make_unique<ObjectPrograms>(
          "raw_tp/sys_enter, empty (runs on every system call)", elf_of(parts_bpf__elf_bytes),
          [](bpf_program* p) { return std::string_view(bpf_program__name(p)) == "rawtp_empty"; }, 0,
          true));
      add(std::make_unique<ObjectPrograms>(
          "tp_btf/sys_enter, empty (runs on every system call)", elf_of(parts_bpf__elf_bytes),
          [](bpf_program* p) { return std::string_view(bpf_program__name(p)) == "tpbtf_empty"; }, 0,
          true));
    }
    std::vector<Variant*> pv;
    for (auto& v : parts_owned) pv.push_back(v.get());
    std::vector<Call> parts_calls = {calls[0]};
    parts_calls.push_back({"getppid() (no hook)", "none", [](long n) {
                             for (long i = 0; i < n; ++i) ::getppid();
                             return 0L;
                           }});
    {
      long failed = 0;
      ops[parts_calls[1].name] = std::max(
          1000L, static_cast<long>(o.ms * 1e6 / ns_per_call(parts_calls[1], 2000, &failed)));
    }
    const Table t = measure(pv, parts_calls, ops, o.rounds, o.reps, "parts");
    std::printf("\nParts of a program, each alone on the setsockopt attach point (%s):\n\n",
                backend.c_str());
    print_table(t, parts_calls, pv);
    for (const auto& r : refused) std::printf("\nnot loadable on this kernel: %s\n", r.c_str());
  }
  return 0;
}
