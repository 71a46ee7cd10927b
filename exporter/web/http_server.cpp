#include "web/http_server.h"

#include <CivetServer.h>
#include <dlfcn.h>
#include <prometheus/text_serializer.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "common/error.h"
#include "common/logging.h"
#include "common/unique_fd.h"
#include "web/basic_auth.h"

namespace sle {
namespace {

constexpr const char* kRealm = "socket-lsm-exporter";

// extra_headers: complete "Name: value\r\n" lines (the web config's headers).
void respond(mg_connection* conn, int status, const char* content_type, const std::string& body,
             const std::string& extra_headers) {
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
            "Connection: close\r\n\r\n",
            status, mg_get_response_code_text(conn, status), content_type, body.size(),
            extra_headers.c_str());
  mg_write(conn, body.data(), body.size());
}

std::string header_lines(const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string out;
  for (const auto& [name, value] : headers) out += name + ": " + value + "\r\n";
  return out;
}

class MetricsHandler final : public CivetHandler {
 public:
  MetricsHandler(std::shared_ptr<prometheus::Collectable> c, std::string headers)
      : collector_(std::move(c)), headers_(std::move(headers)) {}
  bool handleGet(CivetServer*, mg_connection* conn) override {
    try {
      const std::string body = prometheus::TextSerializer().Serialize(collector_->Collect());
      respond(conn, 200, "text/plain; version=0.0.4; charset=utf-8", body, headers_);
    } catch (const std::exception& e) {
      log::error("Collecting metrics failed", {{"err", e.what()}});
      respond(conn, 500, "text/plain; charset=utf-8", std::string("error: ") + e.what() + "\n",
              headers_);
    }
    return true;
  }

 private:
  std::shared_ptr<prometheus::Collectable> collector_;
  const std::string headers_;
};

class LandingHandler final : public CivetHandler {
 public:
  LandingHandler(std::string telemetry_path, std::string headers)
      : path_(std::move(telemetry_path)), headers_(std::move(headers)) {}
  bool handleGet(CivetServer*, mg_connection* conn) override {
    const mg_request_info* info = mg_get_request_info(conn);
    if (std::string(info->local_uri ? info->local_uri : "") != "/") {
      respond(conn, 404, "text/plain; charset=utf-8", "404 page not found\n", headers_);
      return true;
    }
    respond(conn, 200, "text/html; charset=utf-8",
            "<!DOCTYPE html>\n<html><head><title>socket-lsm-exporter</title></head><body>\n"
            "<h1>socket-lsm-exporter</h1>\n"
            "<p>Counts the Linux kernel's socket security hooks (create, bind, connect, listen, "
            "accept, setsockopt) with eBPF.</p>\n"
            "<p><a href=\"" +
                path_ +
                "\">Metrics</a></p>\n<p>Version " SLE_VERSION " (" SLE_REVISION
                ")</p>\n</body></html>\n",
            headers_);
    return true;
  }

 private:
  std::string path_;
  const std::string headers_;
};

// /healthz: the process serves. /readyz: `ready` says whether it has something true to serve.
class ProbeHandler final : public CivetHandler {
 public:
  ProbeHandler(std::function<bool()> ready, std::string headers)
      : ready_(std::move(ready)), headers_(std::move(headers)) {}
  bool handleGet(CivetServer*, mg_connection* conn) override {
    const bool ok = !ready_ || ready_();
    respond(conn, ok ? 200 : 503, "text/plain; charset=utf-8", ok ? "ok\n" : "not ready\n",
            headers_);
    return true;
  }

 private:
  const std::function<bool()> ready_;
  const std::string headers_;
};

// Registered on "/", so civetweb runs it before every handler, whatever the path or method.
class AuthHandler final : public CivetAuthHandler {
 public:
  AuthHandler(BasicAuth& auth, std::string headers) : auth_(auth), headers_(std::move(headers)) {}
  bool authorize(CivetServer*, mg_connection* conn) override {
    // Probes carry no credentials (a kubelet's httpGet), and their answers tell nothing secret.
    const char* uri = mg_get_request_info(conn)->local_uri;
    if (uri && (std::strcmp(uri, "/healthz") == 0 || std::strcmp(uri, "/readyz") == 0)) return true;
    if (auth_.allows(mg_get_header(conn, "Authorization"))) return true;
    // Returning false tells civetweb that the response has been sent.
    respond(conn, 401, "text/plain; charset=utf-8", "401 Unauthorized\n",
            headers_ + "WWW-Authenticate: Basic realm=\"" + kRealm + "\"\r\n");
    return false;
  }

 private:
  BasicAuth& auth_;
  const std::string headers_;
};

// civetweb reports why mg_start failed (a port in use, a key that doesn't match the certificate)
// only through the log callback; the exception it throws just says "null context".
struct CivetLog {
  std::mutex mutex;
  std::string startup_errors;
  bool starting = true;
};

int log_civetweb(const mg_connection* conn, const char* message) {
  const mg_context* ctx = conn ? mg_get_context(conn) : nullptr;
  const auto* server = ctx ? static_cast<const CivetServer*>(mg_get_user_data(ctx)) : nullptr;
  auto* civet_log =
      server ? static_cast<CivetLog*>(const_cast<void*>(server->getUserContext())) : nullptr;
  std::string text(message ? message : "");
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (civet_log) {
    const std::lock_guard lock(civet_log->mutex);
    if (civet_log->starting) {
      if (!civet_log->startup_errors.empty()) civet_log->startup_errors += "; ";
      civet_log->startup_errors += text;
    }
  }
  // Once serving, these are per-connection troubles (a plain HTTP request on the TLS port, a
  // client certificate that does not verify): worth a look when debugging, not more.
  log::debug("civetweb", {{"msg", text}});
  return 1;  // handled: civetweb prints nothing itself
}

// civetweb's ssl_protocol_version: the lowest version accepted (2 = TLS 1.0 ... 5 = TLS 1.3).
const char* civet_protocol_version(TlsVersion min) {
  switch (min) {
    case TlsVersion::kTls10:
      return "2";
    case TlsVersion::kTls11:
      return "3";
    case TlsVersion::kTls12:
      return "4";
    case TlsVersion::kTls13:
      return "5";
  }
  return "4";
}

std::string read_secret_file(const std::string& path) {
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                             &std::fclose);
  if (!file) throw SystemError("cannot read " + path, errno);
  std::string text;
  char buffer[4096];
  for (std::size_t n = 0; (n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0;)
    text.append(buffer, n);
  const bool failed = std::ferror(file.get());
  ::explicit_bzero(buffer, sizeof buffer);
  if (failed) throw SystemError("cannot read " + path, errno);
  return text;
}

// civetweb wants the key and the certificate (chain) in one PEM file. They go into an anonymous
// memory file that civetweb opens as /proc/self/fd/N, so the key is never copied to a disk or
// left behind, and is gone when the descriptor closes.
UniqueFd key_and_certificate_memfd(const TlsServerConfig& tls) {
  std::string pem = read_secret_file(tls.key_file);
  pem += '\n';
  pem += read_secret_file(tls.cert_file);
  UniqueFd fd(::memfd_create("sle-tls-key-and-cert", MFD_CLOEXEC));
  const bool written =
      fd && ::write(fd.get(), pem.data(), pem.size()) == static_cast<ssize_t>(pem.size());
  const int err = errno;
  ::explicit_bzero(pem.data(), pem.size());
  if (!written) throw SystemError("cannot pass the TLS key to civetweb: memfd", err);
  return fd;
}

}  // namespace

struct HttpServer::Site {
  Site(const WebConfig& web, const std::string& telemetry_path,
       std::shared_ptr<prometheus::Collectable> collector, std::function<bool()> is_ready)
      : auth(web.basic_auth_users),
        headers(header_lines(web.headers)),
        metrics(std::move(collector), headers),
        landing(telemetry_path, headers),
        healthy({}, headers),
        ready(std::move(is_ready), headers),
        auth_handler(auth, headers) {}

  BasicAuth auth;
  const std::string headers;
  MetricsHandler metrics;
  LandingHandler landing;
  ProbeHandler healthy;
  ProbeHandler ready;
  AuthHandler auth_handler;
  CivetLog log;
};

std::string tls_unavailable_reason() {
  if (!mg_check_feature(MG_FEATURES_TLS)) return "civetweb was built without TLS support";
  struct DlClose {
    void operator()(void* handle) const { ::dlclose(handle); }
  };
  // The names civetweb opens, and the function it needs that OpenSSL 3 no longer exports.
  for (const char* library : {"libcrypto.so", "libssl.so"}) {
    const std::unique_ptr<void, DlClose> handle(::dlopen(library, RTLD_LAZY));
    if (!handle)
      return std::string("civetweb loads OpenSSL as ") + library +
             ", which can't be opened (it comes with libssl-dev): " + ::dlerror();
    if (std::strcmp(library, "libssl.so") == 0 &&
        !::dlsym(handle.get(), "SSL_get_peer_certificate"))
      return "this civetweb was built for OpenSSL 1.1 and needs SSL_get_peer_certificate, which "
             "the installed OpenSSL (3.x) no longer exports: it would crash on the first TLS "
             "connection. Put a TLS-terminating proxy in front of the exporter, or remove "
             "cert_file and key_file to serve plain HTTP";
  }
  return "";
}

HttpServer::HttpServer(const ListenAddress& listen_address, const std::string& telemetry_path,
                       std::shared_ptr<prometheus::Collectable> collector, const WebConfig& web,
                       std::function<bool()> ready)
    : site_(std::make_unique<Site>(web, telemetry_path, std::move(collector), std::move(ready))) {
  std::vector<std::string> options;
  const auto set = [&options](std::string name, std::string value) {
    options.push_back(std::move(name));
    options.push_back(std::move(value));
  };
  // civetweb's syntax: "10142" for every address, else "127.0.0.1:10142" or "[::1]:10142".
  const std::string port = std::to_string(listen_address.port);
  set("listening_ports",
      (listen_address.host.empty() ? port : listen_address.str()) + (web.tls ? "s" : ""));
  set("num_threads", "4");
  set("request_timeout_ms", "10000");
  UniqueFd pem;  // open until civetweb has read it, in the CivetServer constructor
  std::string pem_path;
  if (web.tls) {
    pem = key_and_certificate_memfd(*web.tls);
    pem_path = "/proc/self/fd/" + std::to_string(pem.get());
    set("ssl_certificate", pem_path);
    set("ssl_protocol_version", civet_protocol_version(web.tls->min_version));
    // Only the configured CA may vouch for clients, never the system's trust store.
    set("ssl_default_verify_paths", "no");
    if (web.tls->client_auth != ClientAuth::kNone) {
      set("ssl_verify_peer",
          web.tls->client_auth == ClientAuth::kRequireAndVerify ? "yes" : "optional");
      set("ssl_ca_file", web.tls->client_ca_file);
    }
  }
  CivetCallbacks callbacks;
  callbacks.log_message = log_civetweb;
  try {
    server_ = std::make_unique<CivetServer>(options, &callbacks, &site_->log);
  } catch (const CivetException& e) {
    const std::lock_guard lock(site_->log.mutex);
    std::string why = site_->log.startup_errors.empty() ? e.what() : site_->log.startup_errors;
    // civetweb names the memory file; the user knows the files it was made from.
    if (web.tls)
      for (auto at = why.find(pem_path); at != std::string::npos; at = why.find(pem_path, at))
        why.replace(at, pem_path.size(), web.tls->key_file + " + " + web.tls->cert_file);
    throw SystemError("cannot listen on " + listen_address.str() + ": " + why);
  }
  {
    const std::lock_guard lock(site_->log.mutex);
    site_->log.starting = false;
  }
  // The auth handler goes first: no request may reach the metrics before it is in place.
  if (site_->auth.enabled()) server_->addAuthHandler("/", site_->auth_handler);
  server_->addHandler(telemetry_path, site_->metrics);
  server_->addHandler("/healthz$", site_->healthy);
  server_->addHandler("/readyz$", site_->ready);
  server_->addHandler("/", site_->landing);
  log::info("Web security", {{"tls", web.tls ? "on" : "off"},
                             {"basic_auth_users", std::to_string(web.basic_auth_users.size())},
                             {"extra_headers", std::to_string(web.headers.size())}});
}

HttpServer::~HttpServer() {
  if (server_) server_->close();
}

}  // namespace sle
