// A plain HTTP GET over loopback and a parser for the Prometheus text format: the test reads the
// exporter the way Prometheus does.
#pragma once

#include <sys/types.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hooks/hook_table.h"
#include "workload.h"

namespace sle::test {

struct HttpResponse {
  int status = 0;
  std::string content_type;
  std::string body;
  std::map<std::string, std::string> headers;  // every header, names in lower case
};

// Seconds http_get() waits for connect, write and each read before giving up.
inline constexpr int kHttpTimeoutSeconds = 10;

// nullopt when nothing answers on the port, or the answer does not come in time.
std::optional<HttpResponse> http_get(std::uint16_t port, const std::string& path);
// The same with extra request header lines ("Authorization: Basic ...").
std::optional<HttpResponse> http_get(std::uint16_t port, const std::string& path,
                                     const std::vector<std::string>& request_headers);

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Every sample of a text exposition, keyed by series_key() (name and sorted labels).
std::map<std::string, Sample> parse_exposition(const std::string& text);

using Samples = std::map<std::string, Sample>;

// The hooks' names, in table order (hooks/hook_table.h).
inline std::vector<std::string> hook_names() {
  std::vector<std::string> out;
  for (const Hook hook : all_hooks()) out.emplace_back(hook.name());
  return out;
}

// GET /metrics, parsed; throws unless it answers 200.
Samples scrape(std::uint16_t port);

// One sample's value; throws naming the series when there is none.
double value(const Samples& samples, const std::string& name,
             const std::map<std::string, std::string>& labels);

// A cgroup's series, keyed by series_key() without the cgroup label.
Expected series_of(const Samples& samples, const std::string& cgroup);

// The backend the hooks attached with (socket_lsm_exporter_hook_attached), "" if none.
std::string attached_backend(const Samples& samples);

// "" when sum(labelled) + overflow + expired == calls for every hook, else what differs.
std::string invariant_broken(const Samples& samples);

// Scrapes /metrics in a process of its own, with `pause` between scrapes, until stop(),
// checking invariant_broken() and that no read failed at each: what a test runs beside a churn or
// a load. A process, not
// a thread: the tests fork workloads meanwhile, and a fork while another thread holds the
// allocator's lock (ASan's, with GCC 12) leaves the child waiting for that lock forever. So
// construct it while the test has no other thread.
class InvariantWatch {
 public:
  InvariantWatch(std::uint16_t port, std::chrono::milliseconds pause);
  ~InvariantWatch();
  InvariantWatch(const InvariantWatch&) = delete;
  InvariantWatch& operator=(const InvariantWatch&) = delete;

  void stop();
  int scrapes() const;
  // "" when every scrape so far added up, else how many did not and the first's reason.
  std::string broken() const;

 private:
  struct Shared;  // in a shared anonymous mapping, written by the scraper only
  Shared* shared_;
  pid_t pid_ = -1;
};

}  // namespace sle::test
