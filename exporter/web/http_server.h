// The HTTP side (docs/metrics.md, "Serving /metrics", and docs/security.md): the latest read's body
// on the telemetry path (gzip when the client takes it), /healthz and /readyz for probes, a landing
// page on /, 404 elsewhere; with a web config, TLS, basic auth on every path but the probes, and
// extra response headers.
//
// libmicrohttpd serves it with epoll on a small pool of threads: a connection is a state in an
// event loop, not a thread of its own, so slow or idle clients cost a socket each rather than a
// worker, and one address can hold only so many (kMaxConnectionsPerAddress). civetweb, which
// runs a thread per connection, was measured to let 4 half-sent requests hold a scrape for 10 s.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/unique_fd.h"
#include "config/config.h"
#include "config/web_config.h"
#include "metrics/exposition.h"

namespace sle {

// What the server accepts (docs/security.md). Above them a client gets a 4xx or is closed.
inline constexpr unsigned kMaxConnections = 1024;           // in all
inline constexpr unsigned kMaxConnectionsPerAddress = 128;  // 64 concurrent scrapers fit easily
inline constexpr unsigned kIdleTimeoutSeconds = 10;         // a connection idle this long closes
inline constexpr std::size_t kMaxRequestBytes = std::size_t{16} * 1024;  // request line and headers

// Returns when TLS can be served here (the TlsSupport of load_web_config_file); else throws
// SystemError saying why.
void require_tls_support();

// A socket listening on the address, bound now: before the exporter drops its capabilities, so a
// port below 1024 can be had too. Throws SystemError ("cannot listen on ...: Address already in
// use").
UniqueFd listen_on(const ListenAddress& listen);

class HttpServer {
 public:
  // The body of /metrics: the latest read's (null before the first read: 503).
  using Body = std::function<std::shared_ptr<const Exposition>()>;

  // Starts serving on the listening socket at once; throws SystemError when TLS can't be set up.
  // `ready` answers /readyz (200 or 503).
  HttpServer(UniqueFd listener, const std::string& telemetry_path, Body body,
             const WebConfig& web_config, std::function<bool()> ready);
  ~HttpServer();  // stops serving, waits for requests in flight
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sle
