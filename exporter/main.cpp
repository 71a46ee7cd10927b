// socket_lsm_exporter: attach the hook programs, read their maps, serve /metrics, and on SIGINT
// or SIGTERM stop serving and detach everything.
//
// Exit codes: 0 clean stop, --version, --config.check success; 1 the kernel side could not be set
// up (a hook could not attach, a filesystem could not be mounted, the port is taken); 2 bad flags
// or config. Errors are reported once, with what was being done, and nothing is left loaded.
#include <bpf/libbpf.h>
#include <signal.h>

#include <iostream>
#include <memory>

#include "bpf_stats.h"
#include "cli.h"
#include "collector.h"
#include "hook_set.h"
#include "http_server.h"
#include "logging.h"
#include "mounts.h"
#include "web_config.h"

namespace {

// The cgroup resolver needs the cgroup2 mount; without one the cgroup label reads "unknown".
std::unique_ptr<sle::CgroupResolver> make_resolver(const sle::Config& config) {
  const auto root = sle::find_mount(sle::read_mountinfo(), "cgroup2");
  if (!root) {
    sle::log::warn("No cgroup2 mount found: the cgroup labels will read \"unknown\"");
    return nullptr;
  }
  sle::log::info("Resolving cgroups", {{"cgroup2_mount", *root}});
  // A miss re-walks the tree at most once per read: misses are new ids, resolved as they appear.
  return std::make_unique<sle::CgroupResolver>(*root, config.read_interval);
}

int run(const sle::Config& config, const sle::WebConfig& web_config) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  // Blocked in every thread started from here on; delivered to sigwait below.
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  const sle::HookSet hooks = sle::HookSet::attach(config);
  std::optional<sle::StatsEnabler> stats;
  if (config.bpf_stats) {
    stats.emplace();
    sle::log::info("BPF run-time stats enabled while the exporter runs");
  }

  const auto resolver = make_resolver(config);
  sle::SnapshotReader reader(hooks, config, resolver.get());
  reader.start();
  auto collector = std::make_shared<sle::Collector>(reader, hooks, stats.has_value());
  {
    const sle::HttpServer server(config.listen_address, config.telemetry_path, collector,
                                 web_config);
    sle::log::info("Listening",
                   {{"address", config.listen_address}, {"telemetry_path", config.telemetry_path}});
    int sig = 0;
    sigwait(&stop_signals, &sig);
    sle::log::info("Stopping", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
  }
  reader.stop();
  return 0;  // hooks go out of scope: every program detached, every map freed
}

}  // namespace

int main(int argc, char** argv) {
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
    sle::log::setup(config.log_level, config.log_format);
    // Read now, so a bad web config stops us with exit code 2 before anything is loaded.
    if (!config.web_config_file.empty())
      web_config = sle::load_web_config_file(config.web_config_file);
  } catch (const std::exception& e) {
    std::cerr << "socket_lsm_exporter: " << e.what() << "\n";
    return 2;
  }
  if (flags.config_check) {
    std::cout << "config OK: " << flags.config_file.value_or("(built-in defaults)") << "\n";
    return 0;
  }
  try {
    return run(config, web_config);
  } catch (const std::exception& e) {
    sle::log::error("Cannot start", {{"err", e.what()}});
    return 1;
  }
}
