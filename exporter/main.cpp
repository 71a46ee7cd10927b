// socket_lsm_exporter: attach the hook programs, read their maps, serve /metrics, and on SIGINT
// or SIGTERM stop serving and detach everything.
//
// Exit codes follow the error rule (common/error.h): 0 clean stop, --version, --config.check
// success; 2 a ConfigError (bad flags or config), before anything is loaded; 1 a SystemError (a
// hook could not attach, a filesystem could not be mounted, the port is taken). Errors are
// reported once, with what was being done, and nothing is left loaded.
#include <bpf/libbpf.h>
#include <malloc.h>
#include <signal.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <iostream>
#include <memory>

#include "cgroups/fanotify_events.h"
#include "common/capabilities.h"
#include "common/error.h"
#include "common/logging.h"
#include "common/mounts.h"
#include "common/unique_fd.h"
#include "config/flags.h"
#include "config/web_config.h"
#include "loader/bpf_stats.h"
#include "loader/cgroup_tracepoint.h"
#include "loader/hook_set.h"
#include "loader/kernel_features.h"
#include "loader/pinning.h"
#include "metrics/snapshot.h"
#include "web/http_server.h"

namespace {

// libbpf's messages go to our log at debug level: under auto, failures are expected and their
// reasons are logged by the loader; the detail is there for --log.level=debug.
int libbpf_log(libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char buf[1024];
  const int n = std::vsnprintf(buf, sizeof buf, format, args);
  std::string line(buf, static_cast<std::size_t>(std::clamp(n, 0, int{sizeof buf} - 1)));
  while (!line.empty() && line.back() == '\n') line.pop_back();
  sle::log::debug("libbpf", {{"output", line}});
  return n;
}

// Where cgroup births and deaths come from: the cgroup tracepoints, else fanotify, else none (a
// walk at each read), or the one the config names.
std::unique_ptr<sle::CgroupEventSource> cgroup_events(const sle::Config& config,
                                                      const std::string& mount_point) {
  using sle::CgroupNaming;
  const CgroupNaming naming = config.cgroup_naming;
  if (naming == CgroupNaming::walk) return nullptr;
  if (naming == CgroupNaming::automatic || naming == CgroupNaming::tracepoint) {
    try {
      return std::make_unique<sle::CgroupTracepoint>();
    } catch (const sle::SystemError& e) {
      if (naming == CgroupNaming::tracepoint) throw;
      sle::log::info("Cgroup naming not usable", {{"method", "tracepoint"}, {"reason", e.what()}});
    }
  }
  try {
    return std::make_unique<sle::FanotifyEvents>(mount_point);
  } catch (const sle::SystemError& e) {
    if (naming == CgroupNaming::fanotify) throw;
    sle::log::info("Cgroup naming not usable", {{"method", "fanotify"}, {"reason", e.what()}});
  }
  return nullptr;
}

// The cgroups, named at birth; null without a cgroup2 mount (the cgroup labels read "unknown").
std::unique_ptr<sle::CgroupTracker> make_tracker(const sle::Config& config) {
  const auto mount = sle::find_mount_entry(sle::read_mountinfo(), "cgroup2");
  if (!mount) {
    sle::log::warn("No cgroup2 mount found: the cgroup labels will read \"unknown\"");
    return nullptr;
  }
  auto tracker = std::make_unique<sle::CgroupTracker>(mount->mount_point, mount->root,
                                                      cgroup_events(config, mount->mount_point),
                                                      config.runtime_dirs);
  sle::log::info("Naming cgroups", {{"method", tracker->method()},
                                    {"cgroup2_mount", mount->mount_point},
                                    {"live", std::to_string(tracker->counts().live)}});
  return tracker;
}

int run(const sle::Config& config, const sle::WebConfig& web_config) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  // Blocked in every thread started from here on; delivered to sigwait below.
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // What the config names on this machine, before anything is loaded (a ConfigError: exit 2).
  if (!config.pin_path.empty())
    sle::require_bpf_filesystem(config.pin_path, config.pin_path_source);
  // Everything that needs privileges, first. Cgroups before the hooks: the walk at start and
  // the events after it leave no cgroup unnamed.
  const auto tracker = make_tracker(config);
  std::optional<sle::PinnedBlob> state;
  if (!config.pin_path.empty()) {
    sle::convert_old_state(config.pin_path);
    state.emplace(sle::layout_dir(config.pin_path) + "/state");
  }
  sle::HookSet hooks = sle::HookSet::attach(config);  // converts v1's and v2's maps of each hook
  if (!config.pin_path.empty()) {
    sle::remove_old_dirs_if_empty(config.pin_path);
    sle::warn_other_layouts(config.pin_path);
  }
  std::optional<sle::StatsEnabler> stats;
  if (config.bpf_stats) {
    stats.emplace();
    sle::log::info("BPF run-time stats enabled while the exporter runs");
  }
  sle::UniqueFd listener = sle::listen_on(config.listen_address);

  // Then none: no thread has started yet, so none that starts from here on has any
  // (docs/security.md).
  const bool keep_bpf = sle::capabilities::map_reads_need_cap_bpf();
  sle::capabilities::drop_all(keep_bpf);
  sle::log::info("Dropped every capability",
                 {{"kept_permitted", keep_bpf ? "CAP_BPF (kernel before 5.19)" : "none"}});

  if (tracker) tracker->start();
  sle::SnapshotReader reader(hooks, config, tracker.get(), state ? &*state : nullptr);
  reader.start();  // the first read is done when this returns
  {
    const sle::HttpServer server(
        std::move(listener), config.telemetry_path,
        [&reader] {
          const auto snap = reader.latest();
          return snap ? snap->exposition : nullptr;
        },
        web_config, [&reader] { return reader.latest() != nullptr; });
    sle::log::info("Listening", {{"address", config.listen_address.str()},
                                 {"telemetry_path", config.telemetry_path}});
    int sig = 0;
    sigwait(&stop_signals, &sig);
    sle::log::info("Stopping", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
  }
  reader.stop();
  return 0;  // hooks go out of scope: every program detached, every map freed
}

}  // namespace

int main(int argc, char** argv) {
  // One malloc arena for all threads: a few threads that rarely allocate at once gain nothing
  // from more, and memory freed after a churn goes back to the system from one arena
  // (metrics/heap_trim.cpp trims it), where per-thread arenas would keep their peak.
  // NOLINTBEGIN(concurrency-mt-unsafe): before any thread starts.
  ::mallopt(M_ARENA_MAX, 1);
  // Blocks of 1 MiB and more (a large read's texts and tables) are mapped on their own, so that
  // freeing one gives it back whole: in the heap, they would leave holes that small blocks keep
  // from being returned. The texts are reused from read to read (metrics/text_pool.cpp), so this
  // does not fault pages in at every read.
  ::mallopt(M_MMAP_THRESHOLD, 1 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 4 << 20);
  // NOLINTEND(concurrency-mt-unsafe)
  sle::Flags flags;
  if (const auto code = sle::parse_flags(argc, argv, flags)) return *code;
  if (flags.version) {
    std::cout << "socket_lsm_exporter, version " SLE_VERSION " (revision: " SLE_REVISION ")\n"
              << "  libbpf: " << libbpf_major_version() << "." << libbpf_minor_version() << "\n";
    return 0;
  }
  sle::Config config;
  sle::WebConfig web_config;
  try {
    config = sle::effective_config(flags);
    sle::check_feature_mask();
    // Read now, so a bad web config stops us with exit code 2 before anything is loaded.
    if (!config.web_config_file.empty())
      web_config = sle::load_web_config_file(config.web_config_file, sle::require_tls_support);
  } catch (const sle::ConfigError& e) {
    std::cerr << "socket_lsm_exporter: " << e.what() << "\n";
    return 2;
  }
  if (flags.config_check) {
    std::cout << "config OK: " << flags.config_file.value_or("(built-in defaults)") << "\n";
    return 0;
  }
  sle::log::setup(config.log_level, config.log_format);
  libbpf_set_print(libbpf_log);
  try {
    return run(config, web_config);
  } catch (const sle::ConfigError& e) {  // the config names what this machine does not have
    std::cerr << "socket_lsm_exporter: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {  // a SystemError, or a bug: reported the same way
    sle::log::error("Cannot start", {{"err", e.what()}});
    return 1;
  }
}
