#include "scrape.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <new>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "common/error.h"
#include "workload.h"

namespace sle::test {

std::optional<HttpResponse> http_get(std::uint16_t port, const std::string& path) {
  return http_get(port, path, {});
}

std::optional<HttpResponse> http_get(std::uint16_t port, const std::string& path,
                                     const std::vector<std::string>& request_headers) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  // A hung exporter fails the test instead of hanging it: connect, write and every read time
  // out (a timed-out exchange is no answer).
  const timeval timeout{kHttpTimeoutSeconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n";
  for (const auto& h : request_headers) req += h + "\r\n";
  req += "\r\n";
  if (::write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return std::nullopt;
  }
  std::string raw;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      raw.append(buf, static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {  // timed out
      ::close(fd);
      return std::nullopt;
    } else {
      break;  // end of stream (or a reset: what came before it is the answer)
    }
  }
  ::close(fd);
  const auto header_end = raw.find("\r\n\r\n");
  if (header_end == std::string::npos) return std::nullopt;
  HttpResponse r;
  std::istringstream head(raw.substr(0, header_end));
  std::string line, version;
  std::getline(head, line);
  std::istringstream(line) >> version >> r.status;
  while (std::getline(head, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    if (!value.empty() && value.back() == '\r') value.pop_back();
    r.headers[key] = value;
    if (key == "content-type") {
      r.content_type = line.substr(colon + 1);
      r.content_type.erase(0, r.content_type.find_first_not_of(' '));
      if (!r.content_type.empty() && r.content_type.back() == '\r') r.content_type.pop_back();
    }
  }
  r.body = raw.substr(header_end + 4);
  return r;
}

std::map<std::string, Sample> parse_exposition(const std::string& text) {
  std::map<std::string, Sample> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    Sample s;
    std::size_t i = line.find_first_of("{ ");
    s.name = line.substr(0, i);
    if (i != std::string::npos && line[i] == '{') {
      ++i;
      while (line[i] != '}') {
        const auto eq = line.find('=', i);
        const std::string key = line.substr(i, eq - i);
        std::string value;
        std::size_t j = eq + 2;  // past ="
        for (; line[j] != '"'; ++j) {
          if (line[j] == '\\') ++j;
          value += line[j];
        }
        s.labels[key] = value;
        i = j + 1;
        if (line[i] == ',') ++i;
      }
      ++i;
    }
    s.value = std::stod(line.substr(i + 1));
    out[series_key(s.name, s.labels)] = s;
  }
  return out;
}

Samples scrape(std::uint16_t port) {
  const auto r = http_get(port, "/metrics");
  if (!r || r->status != 200) throw std::runtime_error("scrape failed");
  return parse_exposition(r->body);
}

double value(const Samples& samples, const std::string& name,
             const std::map<std::string, std::string>& labels) {
  const auto it = samples.find(series_key(name, labels));
  if (it == samples.end()) throw std::runtime_error("no series " + series_key(name, labels));
  return it->second.value;
}

Expected series_of(const Samples& samples, const std::string& cgroup) {
  Expected out;
  for (const auto& [key, s] : samples) {
    const auto it = s.labels.find("cgroup");
    if (it == s.labels.end() || it->second != cgroup) continue;
    auto labels = s.labels;
    labels.erase("cgroup");
    out[series_key(s.name, labels)] = static_cast<std::uint64_t>(s.value);
  }
  return out;
}

std::string attached_backend(const Samples& samples) {
  for (const auto& [key, s] : samples)
    if (s.name == "socket_lsm_exporter_hook_attached" && s.value == 1)
      return s.labels.at("backend");
  return "";
}

std::string invariant_broken(const Samples& samples) {
  std::string out;
  for (const std::string& hook : hook_names()) {
    double labelled = 0;
    for (const auto& [key, s] : samples)
      if (s.name == std::string("socket_lsm_") + hook + "_total") labelled += s.value;
    const double overflow =
        value(samples, "socket_lsm_exporter_map_overflow_total", {{"hook", hook}});
    const double expired = value(samples, "socket_lsm_exporter_expired_total", {{"hook", hook}});
    const double calls = value(samples, "socket_lsm_hook_calls_total", {{"hook", hook}});
    if (labelled + overflow + expired != calls)
      out.append(hook)
          .append(": labelled ")
          .append(std::to_string(labelled))
          .append(" + overflow ")
          .append(std::to_string(overflow))
          .append(" + expired ")
          .append(std::to_string(expired))
          .append(" != calls ")
          .append(std::to_string(calls))
          .append("; ");
  }
  return out;
}

struct InvariantWatch::Shared {
  std::atomic<bool> stop{false};
  std::atomic<int> scrapes{0};
  std::atomic<int> broken{0};
  char first[2048] = {};  // the first broken scrape's reason, written before broken turns 1
};
// Atomics shared between processes must not hide a lock.
static_assert(std::atomic<int>::is_always_lock_free && std::atomic<bool>::is_always_lock_free);

InvariantWatch::InvariantWatch(std::uint16_t port, std::chrono::milliseconds pause) {
  void* const mem =
      ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) throw std::runtime_error(std::string("mmap: ") + sle::errno_text(errno));
  shared_ = new (mem) Shared;
  pid_ = ::fork();
  if (pid_ < 0) {
    const int err = errno;
    ::munmap(mem, sizeof(Shared));
    throw std::runtime_error(std::string("fork: ") + sle::errno_text(err));
  }
  if (pid_ > 0) return;
  // The scraper: dies with the test, and leaves by _exit (no atexit handlers of the test's).
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  while (!shared_->stop) {
    std::string why;
    try {
      const Samples samples = scrape(port);
      why = invariant_broken(samples);
      // A failed read keeps the last good snapshot, which adds up: count the failures too.
      const double errors = value(samples, "socket_lsm_exporter_read_errors_total", {});
      if (why.empty() && errors != 0) why = std::to_string(errors) + " failed reads";
    } catch (const std::exception& e) {
      why = e.what();
    }
    if (!why.empty() && shared_->broken == 0) why.copy(shared_->first, sizeof shared_->first - 1);
    if (!why.empty()) ++shared_->broken;
    ++shared_->scrapes;
    std::this_thread::sleep_for(pause);
  }
  ::_exit(0);
}

InvariantWatch::~InvariantWatch() {
  stop();
  shared_->~Shared();
  ::munmap(shared_, sizeof(Shared));
}

void InvariantWatch::stop() {
  if (pid_ <= 0) return;
  shared_->stop = true;
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

int InvariantWatch::scrapes() const { return shared_->scrapes; }

std::string InvariantWatch::broken() const {
  const int broken = shared_->broken;
  if (broken == 0) return "";
  return std::to_string(broken) + " of " + std::to_string(shared_->scrapes.load()) +
         " scrapes broke the invariant, the first: " + shared_->first;
}

}  // namespace sle::test
