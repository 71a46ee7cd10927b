// Loads the real hook objects into the running kernel (root): the tracepoint backend, the one this
// kind of host can attach, and the failure of the others. Counts are made exact by keys no other
// process makes: setsockopt levels and options outside every real one, and a cgroup of the test's
// own (the cgroup id is part of the key).
#include "loader/hook_object.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "common/error.h"
#include "common/mounts.h"
#include "common/unique_fd.h"
#include "kernel_calls.h"
#include "loader/embedded_objects.h"
#include "loader/map_reader.h"
#include "test_cgroup.h"

namespace sle {
namespace {

using test::counts_now;
using test::entries_where;
using test::setsockopt_calls;
using test::sum_counts;
using test::unique_number;

constexpr std::uint32_t L(sle_label l) { return label_bit(l); }
constexpr int kSolSocket = 1;
constexpr std::uint16_t kAfInet = 2;
constexpr std::uint16_t kAfInet6 = 10;
constexpr std::uint16_t kSockDgram = 2;
constexpr std::uint16_t kIpprotoUdp = 17;

HookSettings settings_with(Hook hook, std::uint32_t max_entries = 10240) {
  HookSettings s;
  s.max_entries = max_entries;
  s.config.label_mask = hook.spec().labels;
  return s;
}

// The names of the embedded object's programs of one backend (with the default labels, which
// have the outcome), in object order.
std::vector<std::string> program_names(Hook hook, Backend backend) {
  const EmbeddedObject* embedded = find_embedded_object(hook.name());
  if (!embedded) return {};
  const std::string name(embedded->name);
  LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = name.c_str());
  bpf_object* obj = bpf_object__open_mem(embedded->elf.data(), embedded->elf.size(), &opts);
  if (!obj) return {};
  std::vector<std::string> out;
  bpf_program* prog = nullptr;
  bpf_object__for_each_program(prog, obj) {
    if (backend_loads(backend, true, bpf_program__name(prog)))
      out.emplace_back(bpf_program__name(prog));
  }
  bpf_object__close(obj);
  return out;
}

bpf_prog_info prog_info(int fd) {
  bpf_prog_info info{};
  __u32 len = sizeof info;
  EXPECT_EQ(bpf_obj_get_info_by_fd(fd, &info, &len), 0) << "prog fd " << fd;
  return info;
}

bpf_map_info map_info(int fd) {
  bpf_map_info info{};
  __u32 len = sizeof info;
  EXPECT_EQ(bpf_obj_get_info_by_fd(fd, &info, &len), 0) << "map fd " << fd;
  return info;
}

// Runs fn on a new thread named `name` (at most 15 characters) and waits for it.
void on_thread_named(const std::string& name, const std::function<void()>& fn) {
  std::thread([&] {
    ::prctl(PR_SET_NAME, name.c_str());
    fn();
  }).join();
}

template <typename Address>
void bind_once(int family, const Address& address) {
  const UniqueFd fd(::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  // The hook runs before the kernel decides: a port in use still counts.
  static_cast<void>(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address));
}

void bind_ipv4(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind_once(AF_INET, a);
}

void bind_ipv6(std::uint16_t port) {
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(port);
  a.sin6_addr = in6addr_loopback;
  bind_once(AF_INET6, a);
}

// What a bind entry says about the port, and its count.
struct Seen {
  std::uint16_t family;
  std::uint8_t port_class;
  std::uint16_t port;
  std::uint64_t count;
  friend bool operator==(const Seen&, const Seen&) = default;
  friend std::ostream& operator<<(std::ostream& os, const Seen& s) {
    return os << "{family " << s.family << ", class " << int{s.port_class} << ", port " << s.port
              << ": " << s.count << "}";
  }
};

class HookObjectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::is_root()) GTEST_SKIP() << "SKIPPED: loading BPF programs needs root";
    // As the hook set does before loading a tracepoint program (libbpf reads the ids there).
    ensure_mounted("tracefs", "/sys/kernel/tracing");
  }
};

TEST_F(HookObjectTest, EveryHookLoadsAndAttachesWithTracepoint) {
  for (const Hook hook : all_hooks()) {
    SCOPED_TRACE(hook.name());
    HookObject object(hook, Backend::tracepoint, settings_with(hook, 77));
    ASSERT_NO_THROW(object.attach());
    EXPECT_EQ(object.hook(), hook);
    EXPECT_EQ(object.backend(), Backend::tracepoint);
    EXPECT_EQ(object.capacity(), 77u);

    EXPECT_EQ(object.generation(), 0u);  // programs count into generation 0 at first
    for (std::uint32_t gen = 0; gen < 2; ++gen) {
      const bpf_map_info counts = map_info(object.counts_fd(gen));
      EXPECT_EQ(counts.type, BPF_MAP_TYPE_HASH);
      EXPECT_EQ(counts.max_entries, 77u);
      EXPECT_EQ(counts.key_size, sizeof(sle_key));
      EXPECT_EQ(counts.value_size, sizeof(std::uint64_t));
    }
    EXPECT_NE(object.counts_fd(0), object.counts_fd(1));
    const bpf_map_info totals = map_info(object.totals_fd());
    EXPECT_EQ(totals.type, BPF_MAP_TYPE_PERCPU_ARRAY);
    EXPECT_EQ(totals.max_entries, 2u);  // per generation
    EXPECT_EQ(totals.value_size, sizeof(sle_totals));
    const bpf_map_info cache = map_info(object.cache_fd());
    EXPECT_EQ(cache.type, BPF_MAP_TYPE_PERCPU_ARRAY);
    EXPECT_EQ(cache.max_entries, 2u);
    EXPECT_EQ(cache.value_size, sizeof(sle_cache));

    // Only the tracepoint programs, each loaded, under its full name (the kernel keeps 15
    // characters).
    const std::vector<std::string> expected = program_names(hook, Backend::tracepoint);
    ASSERT_FALSE(expected.empty());
    const auto programs = object.programs();
    ASSERT_EQ(programs.size(), expected.size());
    for (std::size_t i = 0; i < programs.size(); ++i) {
      EXPECT_EQ(programs[i].name, expected[i]);
      ASSERT_GE(programs[i].fd, 0) << programs[i].name;
      const bpf_prog_info info = prog_info(programs[i].fd);
      EXPECT_EQ(info.type, BPF_PROG_TYPE_TRACEPOINT) << programs[i].name;
      EXPECT_EQ(std::string(info.name), expected[i].substr(0, 15));
    }
  }
}

TEST_F(HookObjectTest, SetsockoptProgramIsTheSyscallTracepoint) {
  const Hook hook = hook_named("setsockopt");
  HookObject object(hook, Backend::tracepoint, settings_with(hook));
  const auto programs = object.programs();
  ASSERT_EQ(programs.size(), 1u);
  EXPECT_EQ(programs[0].name, "tp_sys_enter_setsockopt");
}

TEST_F(HookObjectTest, SelfTestHitsMoveOnlyForTheNamedThread) {
  const Hook hook = hook_named("setsockopt");
  HookObject object(hook, Backend::tracepoint, settings_with(hook));
  object.attach();
  char name[16];
  std::snprintf(name, sizeof name, "sle-ut-%x", static_cast<unsigned>(::getpid()) & 0xffffff);
  const int other = unique_number(1), named = unique_number(2), after = unique_number(3);
  const auto counted = [&](int optname) {
    return sum_counts(entries_where(test::counts_now(object), [&](const sle_key& k) {
      return k.optname == static_cast<std::uint32_t>(optname);
    }));
  };

  EXPECT_EQ(object.self_test_hits(), 0u);
  object.set_self_test_thread(name);
  // Another thread's calls are counted as usual while the self-test is on.
  on_thread_named("sle-ut-other", [&] { EXPECT_EQ(setsockopt_calls(kSolSocket, other, 3), 3); });
  EXPECT_EQ(object.self_test_hits(), 0u);
  EXPECT_EQ(counted(other), 3u);
  // The named thread's are hits, and not counted.
  on_thread_named(name, [&] { EXPECT_EQ(setsockopt_calls(kSolSocket, named, 2), 2); });
  EXPECT_EQ(object.self_test_hits(), 2u);
  EXPECT_EQ(counted(named), 0u);
  // Once the self-test ends, the named thread is counted like any other.
  object.set_self_test_thread(nullptr);
  on_thread_named(name, [&] { EXPECT_EQ(setsockopt_calls(kSolSocket, after, 4), 4); });
  EXPECT_EQ(object.self_test_hits(), 2u);
  EXPECT_EQ(counted(after), 4u);
}

TEST_F(HookObjectTest, LabelMaskReachesTheKernel) {
  // A level no one else uses identifies the calls; whether optname is kept is the mask's choice.
  const Hook hook = hook_named("setsockopt");
  HookSettings without = settings_with(hook);
  without.config.label_mask = kSocketLabels | L(SLE_LABEL_LEVEL);
  HookObject collapsed(hook, Backend::tracepoint, without);
  HookObject full(hook, Backend::tracepoint, settings_with(hook));
  collapsed.attach();
  full.attach();

  const int level = unique_number(4);
  ASSERT_EQ(setsockopt_calls(level, 7, 5), 5);
  const auto mine = [&](const HookObject& o) {
    return entries_where(test::counts_now(o), [&](const sle_key& k) {
      return k.level == static_cast<std::uint32_t>(level);
    });
  };

  const auto c = mine(collapsed);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].second, 5u);
  EXPECT_EQ(c[0].first.optname, 0u);    // switched off: zeroed in the kernel
  EXPECT_EQ(c[0].first.cgroup_id, 0u);  // cgroup labels off too
  EXPECT_EQ(c[0].first.family, kAfInet);
  EXPECT_EQ(c[0].first.type, kSockDgram);
  EXPECT_EQ(c[0].first.protocol, kIpprotoUdp);
  EXPECT_EQ(c[0].first.port_class, SLE_PORT_NONE);
  EXPECT_EQ(c[0].first.peer, SLE_PEER_NONE);

  const auto f = mine(full);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].second, 5u);
  EXPECT_EQ(f[0].first.optname, 7u);
  EXPECT_NE(f[0].first.cgroup_id, 0u);
}

TEST_F(HookObjectTest, ExactPortsAndFamiliesReachTheKernel) {
  constexpr std::uint16_t kPort = 40123;  // registered range
  const Hook hook = hook_named("bind");
  HookSettings exact = settings_with(hook);
  exact.config.label_mask = kSocketLabels | kPortLabel | kCgroupLabels;
  exact.exact_ports[kPort / 64] |= std::uint64_t{1} << (kPort % 64);
  HookSettings classes = exact;
  classes.exact_ports = {};
  HookSettings inet6_only = exact;
  inet6_only.config.family_mask = std::uint64_t{1} << kAfInet6;
  HookObject with_port(hook, Backend::tracepoint, exact);
  HookObject without_port(hook, Backend::tracepoint, classes);
  HookObject filtered(hook, Backend::tracepoint, inet6_only);
  with_port.attach();
  without_port.attach();
  filtered.attach();

  const test::TestCgroup cgroup;
  EXPECT_EQ(cgroup.run([&] {
    bind_ipv4(kPort);
    bind_ipv4(kPort);
    bind_ipv4(80);     // system, not exact in either object
    bind_ipv4(50000);  // dynamic
    bind_ipv6(kPort);
    return std::string();
  }),
            "");
  const std::uint64_t id = cgroup.id();
  const auto seen = [&](const HookObject& o) {
    std::vector<Seen> out;
    for (const auto& [k, count] : test::counts_now(o)) {
      if (k.cgroup_id != id) continue;
      EXPECT_EQ(k.type, kSockDgram);
      EXPECT_EQ(k.protocol, kIpprotoUdp);
      out.push_back({k.family, k.port_class, k.port, count});
    }
    std::sort(out.begin(), out.end(), [](const Seen& a, const Seen& b) {
      return std::tie(a.family, a.port_class, a.port) < std::tie(b.family, b.port_class, b.port);
    });
    return out;
  };

  EXPECT_EQ(seen(with_port), (std::vector<Seen>{{kAfInet, SLE_PORT_EXACT, kPort, 2},
                                                {kAfInet, SLE_PORT_SYSTEM, 0, 1},
                                                {kAfInet, SLE_PORT_DYNAMIC, 0, 1},
                                                {kAfInet6, SLE_PORT_EXACT, kPort, 1}}));
  EXPECT_EQ(seen(without_port), (std::vector<Seen>{{kAfInet, SLE_PORT_SYSTEM, 0, 1},
                                                   {kAfInet, SLE_PORT_REGISTERED, 0, 2},
                                                   {kAfInet, SLE_PORT_DYNAMIC, 0, 1},
                                                   {kAfInet6, SLE_PORT_REGISTERED, 0, 1}}));
  EXPECT_EQ(seen(filtered), (std::vector<Seen>{{kAfInet6, SLE_PORT_EXACT, kPort, 1}}));
}

// The message of the SystemError that loading (and, with attach, attaching) throws; "" if none.
std::string failure(Hook hook, Backend backend, bool attach) {
  try {
    HookObject object(hook, backend, settings_with(hook));
    if (attach) object.attach();
  } catch (const SystemError& e) {
    return e.what();
  }
  return "";
}

TEST_F(HookObjectTest, LsmAndFentryLoadsFailWithTheKernelsReason) {
  // This host's kernel (6.18, bpf in the LSM list) refuses the load itself.
  const Hook hook = hook_named("setsockopt");
  const std::string lsm = failure(hook, Backend::lsm, false);
  const std::string fentry = failure(hook, Backend::fentry, false);
  if (lsm.empty() || fentry.empty())
    GTEST_SKIP() << "SKIPPED: this kernel loads lsm or fentry programs";
  EXPECT_EQ(lsm, "loading setsockopt (lsm): Operation not permitted");
  EXPECT_EQ(fentry, "loading setsockopt (fentry): Operation not permitted");
}

TEST_F(HookObjectTest, KprobeAttachFailsWithTheKernelsReason) {
  // kprobe programs load anywhere; this kernel has no kprobes to attach them to. With the
  // outcome labels (the default) a kprobe stashes and a kretprobe counts.
  const Hook hook = hook_named("setsockopt");
  HookObject object(hook, Backend::kprobe, settings_with(hook));
  const auto programs = object.programs();
  ASSERT_EQ(programs.size(), 3u);
  EXPECT_EQ(programs[0].name, "kret_thread_exit");
  EXPECT_EQ(programs[1].name, "kret_entry_socket_setsockopt");
  EXPECT_EQ(programs[2].name, "kret_exit_socket_setsockopt");
  HookSettings at_entry = settings_with(hook);
  at_entry.config.label_mask &= ~kOutcomeLabels;
  const HookObject entry_only(hook, Backend::kprobe, at_entry);
  ASSERT_EQ(entry_only.programs().size(), 1u);
  EXPECT_EQ(entry_only.programs()[0].name, "kprobe_socket_setsockopt");
  const std::string message = failure(hook, Backend::kprobe, true);
  if (message.empty()) GTEST_SKIP() << "SKIPPED: this kernel attaches kprobes";
  // The return first: a stash needs its taker attached before it.
  EXPECT_EQ(message,
            "attaching kret_exit_socket_setsockopt of setsockopt (kprobe): No such file or "
            "directory");
}

// A map a loaded program uses, by name (the kernel's copy of it).
UniqueFd map_of(int prog_fd, const std::string& name) {
  std::uint32_t ids[16] = {};
  bpf_prog_info info{};
  info.nr_map_ids = 16;
  info.map_ids = reinterpret_cast<std::uint64_t>(ids);
  std::uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) != 0) return UniqueFd();
  for (std::uint32_t i = 0; i < std::min<std::uint32_t>(info.nr_map_ids, 16); ++i) {
    UniqueFd fd(bpf_map_get_fd_by_id(ids[i]));
    bpf_map_info map{};
    std::uint32_t map_len = sizeof map;
    if (fd && bpf_obj_get_info_by_fd(fd.get(), &map, &map_len) == 0 && name == map.name) return fd;
  }
  return UniqueFd();
}

// The kprobe backend's stash (bpf/stash.bpf.h), without kprobes: a call this thread left pending,
// as when the kretprobe missed its return, is counted once, as unknown, when the thread exits.
// The thread-exit program (a raw tracepoint) runs here through BPF_PROG_TEST_RUN, in this thread;
// the slot is this thread's hash entry (kernels before 5.11) or its task storage (5.11+).
TEST_F(HookObjectTest, AThreadsExitCountsTheCallItLeftPendingAsUnknown) {
  const Hook hook = hook_named("setsockopt");
  const int optname = unique_number(11);
  for (const std::uint32_t features : {0u, static_cast<std::uint32_t>(SLE_FEAT_TASK_BTF)}) {
    SCOPED_TRACE(features ? "task storage" : "hash");
    HookSettings settings = settings_with(hook);
    settings.kernel_features = features;
    const HookObject object(hook, Backend::kprobe, settings);
    int exit_prog = -1;
    for (const auto& p : object.programs())
      if (p.name == "kret_thread_exit") exit_prog = p.fd;
    ASSERT_GE(exit_prog, 0);
    const UniqueFd stash = map_of(exit_prog, "sle_stash");
    ASSERT_TRUE(stash);
    // The key: this thread's id in the hash; a pidfd of this process (whose main thread this
    // test runs in) for the task storage.
    const UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, ::getpid(), 0)));
    ASSERT_EQ(::gettid(), ::getpid()) << "the test must run in the main thread";
    const int key = features ? pidfd.get() : ::gettid();
    sle_stash_slot slot{};
    slot.call.cgroup_id = 4242;
    slot.call.family = kAfInet;
    slot.call.type = kSockDgram;
    slot.call.protocol = kIpprotoUdp;
    slot.call.level = kSolSocket;
    slot.call.optname = static_cast<std::uint32_t>(optname);
    slot.pending = 1;
    ASSERT_EQ(bpf_map_update_elem(stash.get(), &key, &slot, BPF_ANY), 0) << errno_text(errno);

    std::uint64_t args[1] = {};
    LIBBPF_OPTS(bpf_test_run_opts, run, .ctx_in = args, .ctx_size_in = sizeof args);
    ASSERT_EQ(bpf_prog_test_run_opts(exit_prog, &run), 0) << errno_text(errno);
    const auto counted = counts_now(object);
    ASSERT_EQ(counted.size(), 1u);
    EXPECT_EQ(counted[0].first.cgroup_id, 4242u);
    EXPECT_EQ(counted[0].first.optname, static_cast<std::uint32_t>(optname));
    EXPECT_EQ(counted[0].first.outcome, SLE_OUTCOME_UNKNOWN);
    EXPECT_EQ(counted[0].first.err, 0);
    EXPECT_EQ(counted[0].second, 1u);
    EXPECT_EQ(read_totals(object.totals_fd(), object.generation()).calls, 1u);
    EXPECT_EQ(object.lost_verdicts(), 1u);
    // Taken: a second exit counts nothing more.
    ASSERT_EQ(bpf_prog_test_run_opts(exit_prog, &run), 0);
    EXPECT_EQ(sum_counts(counts_now(object)), 1u);
    EXPECT_EQ(object.lost_verdicts(), 1u);
    sle_stash_slot left{};
    const int found = bpf_map_lookup_elem(stash.get(), &key, &left);
    if (features) {
      EXPECT_EQ(found, 0);
      EXPECT_EQ(left.pending, 0u);
    } else {
      EXPECT_NE(found, 0) << "the hash entry of the thread is given back";
    }
  }
}

TEST_F(HookObjectTest, DestroyingReleasesThePrograms) {
  std::vector<std::uint32_t> ids;
  {
    const Hook hook = hook_named("create");
    HookObject object(hook, Backend::tracepoint, settings_with(hook));
    object.attach();
    for (const auto& program : object.programs()) ids.push_back(prog_info(program.fd).id);
    ASSERT_EQ(ids.size(), program_names(hook, Backend::tracepoint).size());
    ASSERT_FALSE(ids.empty());
    for (const std::uint32_t id : ids) {
      const UniqueFd fd(bpf_prog_get_fd_by_id(id));
      EXPECT_TRUE(fd) << "program " << id << " not loaded";
    }
  }
  // The kernel frees a program once its last reference (fd, link) is gone, after an RCU grace
  // period.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::vector<std::uint32_t> left = ids;
  while (!left.empty() && std::chrono::steady_clock::now() < deadline) {
    std::erase_if(left, [](std::uint32_t id) {
      const UniqueFd fd(bpf_prog_get_fd_by_id(id));
      return !fd && errno == ENOENT;
    });
    if (!left.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(left.empty()) << left.size() << " program(s) still loaded after 5 s";
}

}  // namespace
}  // namespace sle
