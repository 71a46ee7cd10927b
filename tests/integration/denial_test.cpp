// Calls a real, non-BPF LSM refuses, counted with their outcome: Landlock's network rules (ABI 4,
// Linux 6.7+) refusing connects and binds to given ports, and an AppArmor profile refusing a
// socket type. Each sequence of calls runs twice in a cgroup of its own, without the exporter and
// with it: the results (return values and errno) must be the same and the expected ones, which
// proves the exporter only observes. Then every call is in its series exactly, with outcome
// denied and errno EACCES under the backends that see the verdict (lsm, fentry, kprobe), and
// outcome unknown under tracepoint, whose counts are the same.
//
// Under the lsm backend this is the undercount the outcome work fixed: a BPF LSM program runs
// after Landlock and AppArmor and never saw the calls they refused (it counted 0 of them).
//
// A BPF LSM program of the test's own (bpf/refuse_connect.bpf.c), an operator's BPF policy, refuses
// connects with EPERM: another errno, from the last LSM in the list.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "common/error.h"
#include "harness.h"
#include "refuse_connect.skel.h"
#include "scrape.h"
#include "test_cgroup.h"
#include "workload.h"

namespace sle::test {
namespace {

// Landlock's ABI, as the kernel's uapi has it (linux/landlock.h); Debian bookworm's headers
// predate network rules (6.7), so the numbers are here.
constexpr long kSysCreateRuleset = 444, kSysAddRule = 445, kSysRestrictSelf = 446;
constexpr std::uint32_t kCreateRulesetVersion = 1u << 0;
constexpr int kRuleNetPort = 2;
constexpr std::uint64_t kAccessNetBindTcp = 1u << 0, kAccessNetConnectTcp = 1u << 1;
struct RulesetAttr {
  std::uint64_t handled_access_fs;
  std::uint64_t handled_access_net;
};
struct NetPortAttr {
  std::uint64_t allowed_access;
  std::uint64_t port;
};

// The Landlock ABI version the kernel offers; 0 with the reason when it offers none.
int landlock_abi(std::string* why) {
  const long abi = ::syscall(kSysCreateRuleset, nullptr, 0, kCreateRulesetVersion);
  if (abi >= 0) return static_cast<int>(abi);
  *why = errno == EOPNOTSUPP ? "Landlock is not in the active LSM list"
                             : "no Landlock: " + sle::errno_text(errno);
  return 0;
}

std::string result(int rc) { return rc == 0 ? "ok" : std::string(::strerrorname_np(errno)); }

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

int connect_to(int fd, std::uint16_t port) {
  const sockaddr_in a = loopback(port);
  return ::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a);
}

int bind_to(int fd, std::uint16_t port) {
  sockaddr_in a = loopback(port);
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  return ::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a);
}

// In the child: Landlock allows TCP connects to `open` and binds to `open` only, then 7 connects
// to port 25 and 3 binds to port 81 (refused), a connect to `open` (allowed; nothing listens
// there, so ECONNREFUSED) and a bind to it (allowed). Returns the calls' results.
std::string landlock_sequence(std::uint16_t open) {
  const RulesetAttr ruleset{0, kAccessNetBindTcp | kAccessNetConnectTcp};
  const long fd = ::syscall(kSysCreateRuleset, &ruleset, sizeof ruleset, 0);
  if (fd < 0) return "landlock_create_ruleset: " + sle::errno_text(errno);
  const NetPortAttr rule{kAccessNetBindTcp | kAccessNetConnectTcp, open};
  if (::syscall(kSysAddRule, fd, kRuleNetPort, &rule, 0) != 0)
    return "landlock_add_rule: " + sle::errno_text(errno);
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return "no_new_privs: " + sle::errno_text(errno);
  if (::syscall(kSysRestrictSelf, fd, 0) != 0)
    return "landlock_restrict_self: " + sle::errno_text(errno);
  ::close(static_cast<int>(fd));

  std::string out;
  const int refused_connects = ::socket(AF_INET, SOCK_STREAM, 0);
  for (int i = 0; i < 7; ++i)
    out += "connect 25 " + result(connect_to(refused_connects, 25)) + "\n";
  const int refused_binds = ::socket(AF_INET, SOCK_STREAM, 0);
  for (int i = 0; i < 3; ++i) out += "bind 81 " + result(bind_to(refused_binds, 81)) + "\n";
  const int allowed_connect = ::socket(AF_INET, SOCK_STREAM, 0);
  out += "connect open " + result(connect_to(allowed_connect, open)) + "\n";
  const int allowed_bind = ::socket(AF_INET, SOCK_STREAM, 0);
  out += "bind open " + result(bind_to(allowed_bind, open)) + "\n";
  for (const int s : {refused_connects, refused_binds, allowed_connect, allowed_bind}) ::close(s);
  return out;
}

// The results the kernel gives, exporter or not.
std::string landlock_results() {
  std::string out;
  for (int i = 0; i < 7; ++i) out += "connect 25 EACCES\n";
  for (int i = 0; i < 3; ++i) out += "bind 81 EACCES\n";
  return out + "connect open ECONNREFUSED\nbind open ok\n";
}

// The series the sequence counts in: denied with EACCES where the backend sees the verdict,
// unknown (and so merged with the allowed ones of the same labels) where it does not.
Expected landlock_series(const std::string& backend, const std::string& open_class) {
  const bool sees = outcome_under(backend) == "allowed";
  using Labels = std::map<std::string, std::string>;
  const Labels tcp = {{"family", "inet"}, {"type", "stream"}, {"protocol", "tcp"}};
  const auto key = [&](const std::string& hook, const Labels& more, const std::string& outcome) {
    Labels l = tcp;
    for (const auto& [k, v] : more) l[k] = v;
    if (sees && outcome == "denied") {
      l["outcome"] = "denied";
      l["errno"] = "EACCES";
    } else {
      l["outcome"] = sees ? outcome : "unknown";
    }
    return series_key("socket_lsm_" + hook + "_total", l);
  };
  Expected out;
  out[key("create", {}, "allowed")] += 4;
  out[key("connect", {{"port", "25"}, {"peer", "loopback"}}, "denied")] += 7;
  out[key("connect", {{"port", open_class}, {"peer", "loopback"}}, "allowed")] += 1;
  out[key("bind", {{"port", "81"}}, "denied")] += 3;
  out[key("bind", {{"port", open_class}}, "allowed")] += 1;
  return out;
}

// AppArmor: a profile that allows everything but inet6 stream sockets.
constexpr const char* kProfileName = "sle-test-deny-inet6-stream";
constexpr const char* kProfile =
    "profile sle-test-deny-inet6-stream {\n"
    "  file,\n  capability,\n  network,\n  unix,\n  signal,\n"
    "  deny network inet6 stream,\n"
    "}\n";

// Why AppArmor cannot refuse calls here, or "".
std::string apparmor_missing() {
  if (::access("/sys/kernel/security/apparmor", F_OK) != 0)
    return "AppArmor is not in the active LSM list";
  if (run_command("command -v apparmor_parser").code != 0)
    return "apparmor_parser is not installed (Debian's apparmor package)";
  return "";
}

// In the child: confined by the profile, 5 inet6 stream sockets (refused), 2 inet6 datagram
// sockets and an inet stream one (allowed). Returns the calls' results.
std::string apparmor_sequence() {
  {
    std::ofstream attr("/proc/thread-self/attr/current");
    attr << "changeprofile " << kProfileName;
    attr.flush();
    if (!attr) return "changeprofile: " + sle::errno_text(errno);
  }
  std::string out;
  const auto create = [&](const char* what, int family, int type) {
    const int fd = ::socket(family, type, 0);
    out += std::string(what) + " " + result(fd >= 0 ? 0 : -1) + "\n";
    if (fd >= 0) ::close(fd);
  };
  for (int i = 0; i < 5; ++i) create("inet6 stream", AF_INET6, SOCK_STREAM);
  for (int i = 0; i < 2; ++i) create("inet6 dgram", AF_INET6, SOCK_DGRAM);
  create("inet stream", AF_INET, SOCK_STREAM);
  return out;
}

std::string apparmor_results() {
  std::string out;
  for (int i = 0; i < 5; ++i) out += "inet6 stream EACCES\n";
  return out + "inet6 dgram ok\ninet6 dgram ok\ninet stream ok\n";
}

Expected apparmor_series(const std::string& backend) {
  const bool sees = outcome_under(backend) == "allowed";
  const auto key = [&](const char* family, const char* type, const char* protocol,
                       const std::string& outcome) {
    std::map<std::string, std::string> l = {
        {"family", family}, {"type", type}, {"protocol", protocol}};
    l["outcome"] = sees ? outcome : "unknown";
    if (sees && outcome == "denied") l["errno"] = "EACCES";
    return series_key("socket_lsm_create_total", l);
  };
  return {{key("inet6", "stream", "tcp", "denied"), 5},
          {key("inet6", "dgram", "udp", "allowed"), 2},
          {key("inet", "stream", "tcp", "allowed"), 1}};
}

// The test's BPF LSM program, refusing IPv4 connects to `port` from one cgroup with EPERM, loaded
// and attached; detached when it goes.
struct RefusingProgram {
  struct Destroy {
    void operator()(refuse_connect_bpf* object) const { refuse_connect_bpf__destroy(object); }
  };
  std::unique_ptr<refuse_connect_bpf, Destroy> skel;
};

// Loads it, or says in `why` why this kernel runs no BPF LSM program.
RefusingProgram refusing_program(std::uint64_t cgroup_id, std::uint16_t port, std::string* why) {
  std::ifstream lsm_file("/sys/kernel/security/lsm");
  std::string lsms;
  std::getline(lsm_file, lsms);
  if (("," + lsms + ",").find(",bpf,") == std::string::npos) {
    *why = "bpf is not in the active LSM list (" + lsms + ")";
    return {};
  }
  RefusingProgram out{
      std::unique_ptr<refuse_connect_bpf, RefusingProgram::Destroy>(refuse_connect_bpf__open())};
  if (!out.skel) {
    *why = "opening refuse_connect.bpf.o: " + sle::errno_text(errno);
    return {};
  }
  out.skel->rodata->refused_cgroup = cgroup_id;
  out.skel->rodata->refused_port = port;
  if (const int err = refuse_connect_bpf__load(out.skel.get())) {
    *why =
        "this kernel lists bpf but refuses BPF LSM programs: loading one: " + sle::errno_text(-err);
    return {};
  }
  if (const int err = refuse_connect_bpf__attach(out.skel.get())) {
    *why = "attaching the BPF LSM program: " + sle::errno_text(-err);
    return {};
  }
  return out;
}

// In the child: 4 connects to port 25 (refused by the program) and one to `open` (allowed;
// nothing listens there, so ECONNREFUSED). Returns the calls' results.
std::string bpf_lsm_sequence(std::uint16_t open) {
  std::string out;
  const int refused = ::socket(AF_INET, SOCK_STREAM, 0);
  for (int i = 0; i < 4; ++i) out += "connect 25 " + result(connect_to(refused, 25)) + "\n";
  const int allowed = ::socket(AF_INET, SOCK_STREAM, 0);
  out += "connect open " + result(connect_to(allowed, open)) + "\n";
  for (const int s : {refused, allowed}) ::close(s);
  return out;
}

std::string bpf_lsm_results() {
  std::string out;
  for (int i = 0; i < 4; ++i) out += "connect 25 EPERM\n";
  return out + "connect open ECONNREFUSED\n";
}

Expected bpf_lsm_series(const std::string& backend, const std::string& open_class) {
  const bool sees = outcome_under(backend) == "allowed";
  std::map<std::string, std::string> tcp = {
      {"family", "inet"}, {"type", "stream"}, {"protocol", "tcp"}, {"peer", "loopback"}};
  const auto key = [&](const std::string& hook, const std::string& port,
                       const std::string& outcome) {
    auto l = tcp;
    if (hook == "create") {
      l.erase("peer");
    } else {
      l["port"] = port;
    }
    l["outcome"] = sees ? outcome : "unknown";
    if (sees && outcome == "denied") l["errno"] = "EPERM";
    return series_key("socket_lsm_" + hook + "_total", l);
  };
  Expected out;
  out[key("create", "", "allowed")] += 2;
  out[key("connect", "25", "denied")] += 4;
  out[key("connect", open_class, "allowed")] += 1;
  return out;
}

// Scrapes until the cgroup's series add up to `calls`, or 5 s pass.
Samples scrape_until(std::uint16_t port, const std::string& cgroup, std::uint64_t calls) {
  Samples samples;
  for (int i = 0; i < 50; ++i) {
    samples = scrape(port);
    std::uint64_t sum = 0;
    for (const auto& [key, count] : series_of(samples, cgroup)) sum += count;
    if (sum >= calls) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return samples;
}

class DenialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: needs root to load BPF programs";
  }
  // Starts the exporter with the backend under test, reading at each scrape.
  void start_exporter() {
    port_ = free_listen_port();
    const std::string config = write_temp_file(
        "read_interval: 0s\nweb:\n  listen_address: \"127.0.0.1:" + std::to_string(port_) + "\"\n",
        ".yaml");
    exporter_.emplace(port_, std::vector<std::string>{"--config.file=" + config,
                                                      "--bpf.backend=" + test_backend()});
  }
  // Once the cgroup's series add up to `calls`: they are exactly what `expected` says for the
  // attached backend, and the invariant holds.
  void expect_series(const TestCgroup& cgroup, std::uint64_t calls,
                     const std::function<Expected(const std::string& backend)>& expected) const {
    const Samples samples = scrape_until(port_, cgroup.path(), calls);
    const std::string backend =
        expected_backend().empty() ? attached_backend(samples) : expected_backend();
    EXPECT_EQ(series_of(samples, cgroup.path()), expected(backend));
    EXPECT_EQ(invariant_broken(samples), "");
  }

  std::uint16_t port_ = 0;
  std::optional<ExporterProcess> exporter_;
};

TEST_F(DenialTest, LandlockRefusalsAreCountedDeniedWithTheirErrnoAndUnchanged) {
  std::string why;
  const int abi = landlock_abi(&why);
  if (abi < 4)
    GTEST_SKIP() << "SKIPPED: Landlock network rules need ABI 4 (Linux 6.7+); "
                 << (abi ? "this kernel has ABI " + std::to_string(abi) : why);
  const Ports ports = find_free_ports();
  const std::string open_class = "registered";  // ports.registered
  const auto sequence = [&] { return landlock_sequence(ports.registered); };

  const TestCgroup before("landlock-before");
  EXPECT_EQ(before.run(sequence), landlock_results()) << "without the exporter";

  start_exporter();
  const TestCgroup cgroup("landlock");
  EXPECT_EQ(cgroup.run(sequence), landlock_results()) << "with the exporter attached";
  expect_series(cgroup, 16,
                [&](const std::string& backend) { return landlock_series(backend, open_class); });
}

TEST_F(DenialTest, AppArmorRefusalsAreCountedDeniedWithTheirErrnoAndUnchanged) {
  if (const std::string why = apparmor_missing(); !why.empty()) GTEST_SKIP() << "SKIPPED: " << why;
  const std::string profile = write_temp_file(kProfile, ".apparmor");
  // Compiled against the kernel's own features: without an abi rule and with no parser.conf
  // (the VM's initramfs has neither), apparmor_parser 3.0 compiles against a default feature set
  // without network_v8 and silently leaves every network rule out.
  const CommandOutput load = run_command(
      "apparmor_parser --policy-features /sys/kernel/security/apparmor/features -r -K " + profile +
      " 2>&1");
  ASSERT_EQ(load.code, 0) << load.text;

  const TestCgroup before("apparmor-before");
  EXPECT_EQ(before.run(apparmor_sequence), apparmor_results()) << "without the exporter";

  start_exporter();
  const TestCgroup cgroup("apparmor");
  EXPECT_EQ(cgroup.run(apparmor_sequence), apparmor_results()) << "with the exporter attached";
  expect_series(cgroup, 8, apparmor_series);
}

TEST_F(DenialTest, ABpfLsmRefusalIsCountedDeniedWithItsErrnoAndUnchanged) {
  const Ports ports = find_free_ports();
  const auto sequence = [&] { return bpf_lsm_sequence(ports.registered); };
  std::string why;
  const TestCgroup before("bpf-lsm-before");
  {
    const RefusingProgram program = refusing_program(before.id(), 25, &why);
    if (!program.skel) {
      // The tracepoint runs are the host's, whose kernel refuses lsm programs; where trampolines
      // load (fentry, kprobe and lsm run in the guests), BPF LSM programs load too.
      if (expected_backend() == "tracepoint" || why.starts_with("bpf is not in the active"))
        GTEST_SKIP() << "SKIPPED: " << why;
      FAIL() << why;
    }
    EXPECT_EQ(before.run(sequence), bpf_lsm_results()) << "without the exporter";
  }

  start_exporter();
  const TestCgroup cgroup("bpf-lsm");
  const RefusingProgram program = refusing_program(cgroup.id(), 25, &why);
  ASSERT_TRUE(program.skel) << why;
  EXPECT_EQ(cgroup.run(sequence), bpf_lsm_results()) << "with the exporter attached";
  expect_series(cgroup, 7,
                [](const std::string& backend) { return bpf_lsm_series(backend, "registered"); });
}

}  // namespace
}  // namespace sle::test
