// The HTTP side: metrics on the telemetry path, /healthz and /readyz for probes, a landing page
// on /, 404 elsewhere; with a web config (--web.config.file), TLS, basic auth on every path and
// extra response headers.
#pragma once

#include <prometheus/collectable.h>

#include <functional>
#include <memory>
#include <string>

#include "config/config.h"
#include "config/web_config.h"

class CivetServer;

namespace sle {

// Why this process can't serve TLS, or "" when it can (the TlsSupport of
// load_web_config_file). civetweb (without NO_SSL_DL) dlopens OpenSSL as "libssl.so" and
// "libcrypto.so" and looks its functions up by name; Debian bookworm's civetweb 1.15 was built
// against the OpenSSL 1.1 API and asks for SSL_get_peer_certificate, which OpenSSL 3 only has as
// a macro: civetweb then calls a null pointer on the first TLS connection. This makes the same
// lookups.
std::string tls_unavailable_reason();

class HttpServer {
 public:
  // Starts serving at once; throws SystemError when the address can't be bound or TLS can't be
  // set up (civetweb's own message included). `ready` answers /readyz (200 or 503).
  HttpServer(const ListenAddress& listen_address, const std::string& telemetry_path,
             std::shared_ptr<prometheus::Collectable> collector, const WebConfig& web_config,
             std::function<bool()> ready);
  ~HttpServer();  // stops serving, waits for requests in flight
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

 private:
  struct Site;
  std::unique_ptr<Site> site_;
  std::unique_ptr<CivetServer> server_;
};

}  // namespace sle
