// What serving many series costs (docs/performance.md): the real exporter with 1,000, 10,000
// and 100,000 setsockopt series (distinct option numbers from this process), and for each the
// read cycle, scrape latency p50/p99 with 1 and with 8 concurrent clients, the body plain and
// gzip, the resident size after the scrapes and its peak over the run (a read's transient
// buffers show only there), and the CPU one read takes; then the idle CPU of the default config.
// Needs root. The header says how many CPUs are possible: what a per-CPU map holds and a read
// copies out grows with them.
//
//   sudo ./build/tests/bench/scale_bench [--series=1000,10000,100000] [--scrapes=200]
//                                        [--idle=yes|no] [--backend=auto]
//                                        [--cpu-axis=LABEL=EXPORTER,...]
//
// --cpu-axis measures, for each exporter binary given (this build, an older one), what its maps
// cost here with the default config and with a 100,000-series one (the default with setsockopt's
// capacity at 100,000, every series in both generations): the drop of MemAvailable once it runs,
// the growth of the kernel's per-CPU allocations (Percpu), the memlock its maps report (fdinfo;
// an estimate from their sizes before 6.4, real usage from 6.4), its resident size, and with
// 100,000 series the read cycle (median of nine reads). One line each, "cpu-axis exporter=LABEL
// ...", for scripts/bench.sh, which runs it in guests booted with 2, 64 and 256 possible CPUs.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "harness.h"
#include "scrape.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using sle::test::http_get;

std::string arg(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]).rfind("--" + name + "=", 0) == 0)
      return std::string(argv[i]).substr(name.size() + 3);
  return fallback;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

// A metric's value in an exposition ("name{labels} value" or "name value"); -1 when absent.
double metric(const std::string& body, const std::string& series) {
  const auto at = body.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(body.substr(at + series.size() + 2));
}

std::string scrape(std::uint16_t port) {
  const auto r = http_get(port, "/metrics");
  return r && r->status == 200 ? r->body : "";
}

// CPU seconds (user + system) the process has used, from /proc.
// The process's CPU time in ns resolution: the sum of its threads' schedstat run times (the
// stat file's clock ticks, 10 ms, are too coarse for an idle exporter). Threads that ended are
// left out; the exporter's live for its whole run.
double cpu_seconds(pid_t pid) {
  double ns = 0;
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& task : std::filesystem::directory_iterator(tasks)) {
    std::ifstream in(task.path() / "schedstat");
    double run_ns = 0;
    if (in >> run_ns) ns += run_ns;
  }
  return ns / 1e9;
}

// A size from /proc/PID/status in MiB: VmRSS (resident now) or VmHWM (the peak).
double status_mib(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1)) / 1024;
  return -1;
}

// Keys in each generation of the exporter's counts maps of the given capacity
// (docs/lifecycle.md: a read switches the generation the programs count into and reads the other):
// the maps the process holds open (their ids are in /proc/PID/fdinfo), by name and capacity.
std::vector<long> generation_entries(pid_t pid, std::uint32_t capacity) {
  std::vector<long> out;
  const std::filesystem::path fds = "/proc/" + std::to_string(pid) + "/fdinfo";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(fds, ec)) {
    std::ifstream in(entry.path());
    __u32 id = 0;
    for (std::string line; std::getline(in, line);)
      if (line.rfind("map_id:", 0) == 0) id = static_cast<__u32>(std::stoul(line.substr(7)));
    const int fd = id ? bpf_map_get_fd_by_id(id) : -1;
    if (fd < 0) continue;  // not a map, or gone meanwhile
    bpf_map_info info{};
    __u32 len = sizeof info;
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
        std::string_view(info.name).starts_with("sle_counts_") && info.max_entries == capacity) {
      std::vector<char> key(info.key_size), next(info.key_size);
      long n = 0;
      for (const void* prev = nullptr; bpf_map_get_next_key(fd, prev, next.data()) == 0;
           prev = key.data()) {
        key.swap(next);
        ++n;
      }
      out.push_back(n);
    }
    ::close(fd);
  }
  return out;
}

// Scrape latencies in ms from `clients` concurrent clients, `per_client` scrapes each.
std::vector<double> latencies(std::uint16_t port, int clients, int per_client) {
  std::vector<std::vector<double>> each(static_cast<std::size_t>(clients));
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&, c] {
      for (int i = 0; i < per_client; ++i) {
        const auto start = Clock::now();
        const auto r = http_get(port, "/metrics");
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
        each[static_cast<std::size_t>(c)].push_back(r && r->status == 200 ? ms : 1e9);
      }
    });
  for (auto& t : threads) t.join();
  std::vector<double> all;
  for (const auto& v : each) all.insert(all.end(), v.begin(), v.end());
  return all;
}

// n distinct setsockopt keys (option numbers nobody uses, at SOL_SOCKET: the call fails, the hook
// counts) in both generations of the exporter's setsockopt maps (of that capacity), then a call
// every 50 ms from the returned thread, so that every read reads n keys; returns once the
// exporter says it holds them.
std::jthread fill_both_generations(std::uint16_t port, pid_t pid, std::uint32_t capacity, int fd,
                                   long n) {
  const auto call_every_key = [fd, n] {
    const int one = 1;
    for (long i = 0; i < n; ++i)
      ::setsockopt(fd, SOL_SOCKET, static_cast<int>(100000 + i), &one, sizeof one);
  };
  // Every key in both generations, as when workloads keep calling: a key called once sits in
  // one generation only, and every other read would find its map nearly empty. Between two
  // rounds of calls, one read (which switches the generation).
  const std::string last_read = "socket_lsm_exporter_last_read_timestamp_seconds";
  call_every_key();
  for (int round = 0;; ++round) {
    const std::vector<long> gens = generation_entries(pid, capacity);
    if (gens.size() == 2 && std::min(gens[0], gens[1]) >= n) break;
    if (round == 10) {
      std::fprintf(stderr, "scale_bench: after %d rounds the generations hold %ld and %ld keys\n",
                   round, gens.empty() ? -1 : gens[0], gens.size() < 2 ? -1 : gens[1]);
      break;
    }
    const double before = metric(scrape(port), last_read);
    for (int i = 0; i < 600 && metric(scrape(port), last_read) == before; ++i)
      std::this_thread::sleep_for(100ms);
    call_every_key();
  }
  // Then a call every 50 ms: a read skips a generation whose calls total has not moved since it
  // was last read (an idle hook), and the reads measured here are those of a busy one.
  std::jthread heartbeat([fd](const std::stop_token& stop) {
    const int one = 1;
    while (!stop.stop_requested()) {
      ::setsockopt(fd, SOL_SOCKET, 100000, &one, sizeof one);
      std::this_thread::sleep_for(50ms);
    }
  });
  const std::string entries = "socket_lsm_exporter_map_entries{hook=\"setsockopt\"}";
  for (int i = 0; i < 600 && metric(scrape(port), entries) < static_cast<double>(n); ++i)
    std::this_thread::sleep_for(200ms);
  return heartbeat;
}

// The read cycle as the exporter reports it, median over `count` reads told apart by their
// timestamps (a slow read is seen several times), and the CPU the process used per read from
// the first to the last of them (the polls' scrapes included). A read follows the previous one's
// end by read_interval, so under emulation there are fewer reads than seconds.
std::pair<double, double> read_ms_and_cpu(std::uint16_t port, pid_t pid, std::size_t count) {
  const std::string last_read = "socket_lsm_exporter_last_read_timestamp_seconds";
  const std::string duration = "socket_lsm_exporter_read_duration_seconds";
  std::vector<double> reads;
  double last_seen = -1, cpu_first = 0, cpu_last = 0;
  for (int i = 0; i < 600 && reads.size() < count; ++i) {
    std::this_thread::sleep_for(1s);
    const std::string body = scrape(port);
    const double at = metric(body, last_read);
    if (at == last_seen) continue;
    last_seen = at;
    reads.push_back(metric(body, duration) * 1000);
    (reads.size() == 1 ? cpu_first : cpu_last) = cpu_seconds(pid);
  }
  const double cpu =
      reads.size() > 1 ? (cpu_last - cpu_first) * 1000 / static_cast<double>(reads.size() - 1) : -1;
  return {percentile(reads, 0.5), cpu};
}

struct Row {
  long series = 0;
  double read_ms = 0, p50_1 = 0, p99_1 = 0, p50_8 = 0, p99_8 = 0, plain_mib = 0, gzip_mib = 0,
         rss_mib = 0, peak_rss_mib = 0, cpu_ms_per_read = 0;
};

Row measure(long n, int scrapes, const std::string& backend) {
  const std::uint16_t port = sle::test::free_listen_port();
  const std::string config = sle::test::write_temp_file(
      "read_interval: 1s\nweb:\n  listen_address: \"127.0.0.1:" + std::to_string(port) +
          "\"\nhooks:\n  create: {enabled: false}\n  bind: {enabled: false}\n"
          "  connect: {enabled: false}\n  listen: {enabled: false}\n  accept: {enabled: false}\n"
          "  setsockopt:\n    max_entries: " +
          std::to_string(n + 4096) + "\n    labels: [level, optname]\n",
      ".yaml");
  sle::test::ExporterProcess exporter(port,
                                      {"--config.file=" + config, "--bpf.backend=" + backend});
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  std::jthread heartbeat =
      fill_both_generations(port, exporter.pid(), static_cast<std::uint32_t>(n + 4096), fd, n);

  Row row;
  row.series = n;
  std::tie(row.read_ms, row.cpu_ms_per_read) = read_ms_and_cpu(port, exporter.pid(), 10);

  const auto one_client = latencies(port, 1, scrapes);
  row.p50_1 = percentile(one_client, 0.5);
  row.p99_1 = percentile(one_client, 0.99);
  const auto eight = latencies(port, 8, scrapes / 4);
  row.p50_8 = percentile(eight, 0.5);
  row.p99_8 = percentile(eight, 0.99);
  const auto plain = http_get(port, "/metrics");
  const auto gzip = http_get(port, "/metrics", {"Accept-Encoding: gzip"});
  row.plain_mib = plain ? static_cast<double>(plain->body.size()) / 1048576 : -1;
  row.gzip_mib = gzip ? static_cast<double>(gzip->body.size()) / 1048576 : -1;
  row.rss_mib = status_mib(exporter.pid(), "VmRSS");
  row.peak_rss_mib = status_mib(exporter.pid(), "VmHWM");
  exporter.stop();
  heartbeat.request_stop();
  heartbeat.join();
  ::close(fd);
  return row;
}

// What /proc/meminfo says, in MiB: MemAvailable after the page cache and the slab caches that
// can go went (what the kernel could still give, without the noise of caches that come and go),
// and Percpu (every per-CPU allocation: what grows with the possible CPUs). Each the median of
// three readings a second apart.
struct Memory {
  double available = 0, percpu = 0;
};
Memory memory_mib() {
  std::vector<double> available, percpu;
  for (int i = 0; i < 3; ++i) {
    if (i > 0) std::this_thread::sleep_for(1s);
    ::sync();
    std::ofstream("/proc/sys/vm/drop_caches") << "3\n";
    std::ifstream in("/proc/meminfo");
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("MemAvailable:", 0) == 0)
        available.push_back(std::stod(line.substr(13)) / 1024);
      if (line.rfind("Percpu:", 0) == 0) percpu.push_back(std::stod(line.substr(7)) / 1024);
    }
  }
  return {percentile(available, 0.5), percentile(percpu, 0.5)};
}

// What the BPF maps the process holds report as their memlock (fdinfo), in MiB.
double maps_memlock_mib(pid_t pid) {
  double bytes = 0;
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fdinfo", ec)) {
    std::ifstream in(entry.path());
    bool map = false;
    double memlock = 0;
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("map_id:", 0) == 0) map = true;
      if (line.rfind("memlock:", 0) == 0) memlock = std::stod(line.substr(8));
    }
    if (map) bytes += memlock;
  }
  return bytes / 1048576;
}

// One exporter binary, one config: the cpu-axis line (see the top of this file).
void cpu_axis(const std::string& label, const std::string& binary, long series) {
  const std::uint16_t port = sle::test::free_listen_port();
  std::string yaml =
      "read_interval: 1s\nweb:\n  listen_address: \"127.0.0.1:" + std::to_string(port) + "\"\n";
  if (series > 0)
    yaml += "hooks:\n  setsockopt:\n    max_entries: " + std::to_string(series) + "\n";
  const std::string config = sle::test::write_temp_file(yaml, ".yaml");
  std::this_thread::sleep_for(2s);
  const Memory before = memory_mib();
  ::setenv("SLE_EXPORTER", binary.c_str(), 1);
  sle::test::ExporterProcess exporter(port, {"--config.file=" + config});
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  std::jthread heartbeat;
  double read_ms = -1, cpu_ms = -1;
  if (series > 0) {
    // The calls come from this process: its own memory must not count, so a margin under the
    // series: keys of 1,000 calls fewer (the rest of the capacity stays empty, as in use).
    heartbeat = fill_both_generations(port, exporter.pid(), static_cast<std::uint32_t>(series), fd,
                                      series - 1000);
    std::tie(read_ms, cpu_ms) = read_ms_and_cpu(port, exporter.pid(), 9);
  }
  std::this_thread::sleep_for(2s);
  const Memory after = memory_mib();
  const double memlock = maps_memlock_mib(exporter.pid());
  const double rss = status_mib(exporter.pid(), "VmRSS");
  std::printf(
      "cpu-axis exporter=%s config=%s possible_cpus=%d mem_available_drop_mib=%.1f "
      "percpu_mib=%.1f maps_memlock_mib=%.1f rss_mib=%.1f read_ms=%.1f cpu_ms_per_read=%.1f\n",
      label.c_str(), series > 0 ? "100k" : "default", libbpf_num_possible_cpus(),
      before.available - after.available, after.percpu - before.percpu, memlock, rss, read_ms,
      cpu_ms);
  std::fflush(stdout);
  exporter.stop();
  if (heartbeat.joinable()) {
    heartbeat.request_stop();
    heartbeat.join();
  }
  ::close(fd);
}

// Idle CPU of the default config (read every 5 s), as a share of one core over 30 s.
double idle_cpu_percent() {
  const std::uint16_t port = sle::test::free_listen_port();
  const std::string config = sle::test::write_temp_file(
      "web:\n  listen_address: \"127.0.0.1:" + std::to_string(port) + "\"\n", ".yaml");
  sle::test::ExporterProcess exporter(port, {"--config.file=" + config});
  std::this_thread::sleep_for(2s);
  const double before = cpu_seconds(exporter.pid());
  std::this_thread::sleep_for(30s);
  const double used = cpu_seconds(exporter.pid()) - before;
  exporter.stop();
  return used / 30 * 100;
}

}  // namespace

int main(int argc, char** argv) {
  if (::geteuid() != 0) {
    std::fprintf(stderr, "scale_bench: needs root (BPF)\n");
    return 2;
  }
  if (const std::string axis = arg(argc, argv, "cpu-axis", ""); !axis.empty()) {
    // What the kernel allocates once, for whichever exporter comes first (the packs BPF
    // programs are compiled into, the buffers of perf trace events), would count against the
    // first: a run of the first exporter, unmeasured, takes it.
    {
      const std::string first =
          axis.substr(axis.find('=') + 1, axis.find(',') - axis.find('=') - 1);
      const std::uint16_t port = sle::test::free_listen_port();
      ::setenv("SLE_EXPORTER", first.c_str(), 1);
      sle::test::ExporterProcess warm_up(
          port, {"--web.listen-address=127.0.0.1:" + std::to_string(port)});
      warm_up.stop();
    }
    std::stringstream exporters(axis);
    for (std::string item; std::getline(exporters, item, ',');) {
      const auto eq = item.find('=');
      if (eq == std::string::npos) {
        std::fprintf(stderr, "scale_bench: --cpu-axis=LABEL=EXPORTER,...\n");
        return 2;
      }
      for (const long series : {0L, 100000L})
        cpu_axis(item.substr(0, eq), item.substr(eq + 1), series);
    }
    return 0;
  }
  std::vector<long> sizes;
  std::stringstream list(arg(argc, argv, "series", "1000,10000,100000"));
  for (std::string item; std::getline(list, item, ',');) sizes.push_back(std::stol(item));
  const int scrapes = std::stoi(arg(argc, argv, "scrapes", "200"));
  const std::string backend = arg(argc, argv, "backend", "auto");
  std::printf(
      "serving at scale: setsockopt series, read every 1 s; %d scrapes with 1 client, %d with 8;"
      " backend %s; %d possible CPUs\n"
      "%9s %9s %11s %11s %11s %11s %10s %10s %9s %9s %13s\n",
      scrapes, scrapes / 4 * 8, backend.c_str(), libbpf_num_possible_cpus(), "series", "read ms",
      "p50 1c ms", "p99 1c ms", "p50 8c ms", "p99 8c ms", "body MiB", "gzip MiB", "RSS MiB",
      "peak MiB", "CPU ms/read");
  for (const long n : sizes) {
    const Row r = measure(n, scrapes, backend);
    std::printf("%9ld %9.1f %11.2f %11.2f %11.2f %11.2f %10.2f %10.2f %9.1f %9.1f %13.1f\n",
                r.series, r.read_ms, r.p50_1, r.p99_1, r.p50_8, r.p99_8, r.plain_mib, r.gzip_mib,
                r.rss_mib, r.peak_rss_mib, r.cpu_ms_per_read);
    std::fflush(stdout);
  }
  if (arg(argc, argv, "idle", "yes") == "yes")
    std::printf("idle CPU, default config (read every 5 s): %.4f%% of a core over 30 s\n",
                idle_cpu_percent());
  return 0;
}
