#include "web/http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <vector>

#include "common/error.h"
#include "common/logging.h"
#include "hooks/hook_table.h"
#include "web/basic_auth.h"
#include "web/tls.h"

namespace sle {
namespace {

constexpr const char* kRealm = "socket-lsm-exporter";
constexpr unsigned kThreads = 2;

// "create, bind, ...": the hooks, for the landing page.
std::string hook_list() {
  std::string out;
  for (const Hook hook : all_hooks()) out += std::string(out.empty() ? "" : ", ") += hook.name();
  return out;
}

// Whether an Accept-Encoding value takes gzip: the token, without q=0.
bool accepts_gzip(const char* value) {
  if (!value) return false;
  std::string_view rest = value;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    const auto semicolon = item.find(';');
    std::string_view coding = item.substr(0, semicolon);
    while (!coding.empty() && coding.back() == ' ') coding.remove_suffix(1);
    if (coding.size() != 4 || ::strncasecmp(coding.data(), "gzip", 4) != 0) continue;
    if (semicolon == std::string_view::npos) return true;
    std::string_view q = item.substr(semicolon + 1);
    while (!q.empty() && q.front() == ' ') q.remove_prefix(1);
    return !(q.starts_with("q=0") && q.find_first_not_of("0.", 2) == std::string_view::npos);
  }
  return false;
}

}  // namespace

UniqueFd listen_on(const ListenAddress& listen) {
  const std::string what = "cannot listen on " + listen.str();
  const std::string& host = listen.host;
  sockaddr_storage address{};
  socklen_t length = 0;
  if (host.empty()) {
    // Every address, IPv6 and IPv4 both.
    auto* any = reinterpret_cast<sockaddr_in6*>(&address);
    any->sin6_family = AF_INET6;
    any->sin6_addr = in6addr_any;
    any->sin6_port = htons(listen.port);
    length = sizeof *any;
  } else {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(listen.port);
    if (const int err = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); err != 0)
      throw SystemError(what + ": " + ::gai_strerror(err));
    std::memcpy(&address, found->ai_addr, found->ai_addrlen);
    length = found->ai_addrlen;
    ::freeaddrinfo(found);
  }
  UniqueFd fd(::socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) throw SystemError(what, errno);
  const int on = 1, off = 0;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (host.empty()) ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), length) != 0 ||
      ::listen(fd.get(), 1024) != 0)
    throw SystemError(what, errno);
  return fd;
}

void require_tls_support() {
  if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
    throw SystemError("libmicrohttpd was built without TLS");
  if (MHD_is_feature_supported(MHD_FEATURE_HTTPS_CERT_CALLBACK) != MHD_YES)
    throw SystemError("libmicrohttpd was built without certificate callbacks");
}

struct HttpServer::Impl {
  Impl(const std::string& path, Body b, const WebConfig& web, std::function<bool()> is_ready)
      : telemetry_path(path),
        body(std::move(b)),
        ready(std::move(is_ready)),
        headers(web.headers),
        auth(web.basic_auth_users) {}

  // Adds the configured headers and queues the response; takes it over.
  MHD_Result send(MHD_Connection* conn, unsigned status, MHD_Response* response,
                  const char* content_type) const {
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    for (const auto& [name, value] : headers)
      MHD_add_response_header(response, name.c_str(), value.c_str());
    const MHD_Result result = MHD_queue_response(conn, status, response);
    MHD_destroy_response(response);
    return result;
  }

  MHD_Result send_text(MHD_Connection* conn, unsigned status, const std::string& text,
                       const char* content_type = "text/plain; charset=utf-8") const {
    MHD_Response* response = MHD_create_response_from_buffer(
        text.size(), const_cast<char*>(text.data()), MHD_RESPMEM_MUST_COPY);
    return send(conn, status, response, content_type);
  }

  MHD_Result metrics(MHD_Connection* conn) const {
    std::shared_ptr<const Exposition> exposition = body();
    if (!exposition) return send_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "no read yet\n");
    const bool gzip =
        accepts_gzip(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Encoding"));
    // The response reads from the body, which lives until the response is done with it: the
    // response owns `held` once made, and frees it through `release`.
    using Held = std::shared_ptr<const Exposition>;
    auto held = std::make_unique<Held>(std::move(exposition));
    const auto release = [](void* h) { const std::unique_ptr<Held> owned(static_cast<Held*>(h)); };
    MHD_Response* response = nullptr;
    if (gzip) {
      const std::string& bytes = (*held)->gzip();
      response = MHD_create_response_from_buffer_with_free_callback_cls(
          bytes.size(), const_cast<char*>(bytes.data()), release, held.get());
    } else {
      // Plain: the body's parts one after the other, without a copy of either.
      const auto read = [](void* h, std::uint64_t pos, char* buf, std::size_t max) -> ssize_t {
        const auto& page = **static_cast<Held*>(h);
        std::size_t done = 0;
        std::uint64_t at = pos;
        for (const std::string_view part : page.parts()) {
          if (at >= part.size()) {
            at -= part.size();
            continue;
          }
          const std::size_t n = std::min<std::size_t>(max - done, part.size() - at);
          std::memcpy(buf + done, part.data() + at, n);
          done += n;
          at = 0;
          if (done == max) break;
        }
        return done == 0 ? MHD_CONTENT_READER_END_OF_STREAM : static_cast<ssize_t>(done);
      };
      response = MHD_create_response_from_callback((*held)->size(), std::size_t{64} * 1024, read,
                                                   held.get(), release);
    }
    if (!response) return MHD_NO;
    static_cast<void>(held.release());
    if (gzip) MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    MHD_add_response_header(response, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    return send(conn, MHD_HTTP_OK, response, "text/plain; version=0.0.4; charset=utf-8");
  }

  MHD_Result handle(MHD_Connection* conn, std::string_view url, std::string_view method) {
    const bool probe = url == "/healthz" || url == "/readyz";
    if (auth.enabled() && !probe &&
        !auth.allows(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"))) {
      MHD_Response* response = MHD_create_response_from_buffer(
          17, const_cast<char*>("401 Unauthorized\n"), MHD_RESPMEM_PERSISTENT);
      MHD_add_response_header(response, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                              (std::string("Basic realm=\"") + kRealm + "\"").c_str());
      return send(conn, MHD_HTTP_UNAUTHORIZED, response, "text/plain; charset=utf-8");
    }
    if (method != "GET" && method != "HEAD") {
      MHD_Response* response = MHD_create_response_from_buffer(
          23, const_cast<char*>("405 Method Not Allowed\n"), MHD_RESPMEM_PERSISTENT);
      MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
      return send(conn, MHD_HTTP_METHOD_NOT_ALLOWED, response, "text/plain; charset=utf-8");
    }
    if (url == telemetry_path) return metrics(conn);
    if (url == "/healthz") return send_text(conn, MHD_HTTP_OK, "ok\n");
    if (url == "/readyz") {
      const bool ok = !ready || ready();
      return send_text(conn, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
                       ok ? "ok\n" : "not ready\n");
    }
    if (url == "/")
      return send_text(conn, MHD_HTTP_OK,
                       "<!DOCTYPE html>\n<html><head><title>socket-lsm-exporter</title></head>"
                       "<body>\n<h1>socket-lsm-exporter</h1>\n<p>Counts the Linux kernel's socket "
                       "security hooks (" +
                           hook_list() + ") with eBPF.</p>\n<p><a href=\"" + telemetry_path +
                           "\">Metrics</a></p>\n<p>Version " SLE_VERSION " (" SLE_REVISION
                           ")</p>\n</body></html>\n",
                       "text/html; charset=utf-8");
    return send_text(conn, MHD_HTTP_NOT_FOUND, "404 page not found\n");
  }

  // libmicrohttpd's callbacks; `cls` is this Impl.

  static MHD_Result on_request(void* cls, MHD_Connection* conn, const char* url, const char* method,
                               const char*, const char*, std::size_t* upload_data_size,
                               void** request) {
    // First call: the headers are in. Answering only once the request has been read through
    // (whatever body comes is dropped) lets the connection be kept alive for the next one.
    static char seen;
    if (!*request) {
      *request = &seen;
      return MHD_YES;
    }
    if (*upload_data_size != 0) {
      *upload_data_size = 0;
      return MHD_YES;
    }
    return static_cast<Impl*>(cls)->handle(conn, url ? url : "", method ? method : "");
  }

  static void on_log(void* cls, const char* format, va_list args) {
    auto* impl = static_cast<Impl*>(cls);
    char buf[512];
    std::vsnprintf(buf, sizeof buf, format, args);
    std::string text = buf;
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    {
      const std::lock_guard lock(impl->log_mutex);
      if (impl->starting) impl->startup_errors += (impl->startup_errors.empty() ? "" : "; ") + text;
    }
    // Once serving, these are per-connection troubles (a plain request on the TLS port, a client
    // certificate that does not verify, a client over its limits): for debugging only.
    log::debug("libmicrohttpd", {{"msg", text}});
  }

  // The certificate callback has no user pointer of its own, so each TLS connection carries its
  // server: the connection's socket context is this Impl, and the TLS session points at the
  // connection (libmicrohttpd does that too; it is set here so as not to depend on it).
  static void on_connection(void* cls, MHD_Connection* conn, void** socket_context,
                            MHD_ConnectionNotificationCode code) {
    if (code != MHD_CONNECTION_NOTIFY_STARTED) return;
    *socket_context = cls;
    if (const MHD_ConnectionInfo* info =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
        info && info->tls_session)
      gnutls_session_set_ptr(static_cast<gnutls_session_t>(info->tls_session), conn);
  }

  static int select_certificate(gnutls_session_t session, const gnutls_datum_t*, int,
                                const gnutls_pk_algorithm_t*, int, gnutls_pcert_st** pcert,
                                unsigned int* pcert_length, gnutls_privkey_t* privkey) {
    auto* conn = static_cast<MHD_Connection*>(gnutls_session_get_ptr(session));
    const MHD_ConnectionInfo* info =
        conn ? MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT) : nullptr;
    const auto* impl = info ? static_cast<const Impl*>(info->socket_context) : nullptr;
    return impl && impl->tls ? impl->tls->select(session, pcert, pcert_length, privkey) : -1;
  }

  const std::string telemetry_path;
  const Body body;
  const std::function<bool()> ready;
  const std::vector<std::pair<std::string, std::string>> headers;
  BasicAuth auth;
  std::unique_ptr<TlsCredentials> tls;
  std::string priorities;
  MHD_Daemon* daemon = nullptr;
  UniqueFd listener;

  std::mutex log_mutex;
  std::string startup_errors;  // what libmicrohttpd said while starting
  bool starting = true;
};

HttpServer::HttpServer(UniqueFd listener, const std::string& telemetry_path, Body body,
                       const WebConfig& web, std::function<bool()> ready)
    : impl_(std::make_unique<Impl>(telemetry_path, std::move(body), web, std::move(ready))) {
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
  std::vector<MHD_OptionItem> options = {
      {MHD_OPTION_LISTEN_SOCKET, listener.get(), nullptr},
      {MHD_OPTION_EXTERNAL_LOGGER, reinterpret_cast<intptr_t>(&Impl::on_log), impl_.get()},
      {MHD_OPTION_NOTIFY_CONNECTION, reinterpret_cast<intptr_t>(&Impl::on_connection), impl_.get()},
      {MHD_OPTION_THREAD_POOL_SIZE, kThreads, nullptr},
      {MHD_OPTION_CONNECTION_LIMIT, kMaxConnections, nullptr},
      {MHD_OPTION_PER_IP_CONNECTION_LIMIT, kMaxConnectionsPerAddress, nullptr},
      {MHD_OPTION_CONNECTION_TIMEOUT, kIdleTimeoutSeconds, nullptr},
      {MHD_OPTION_CONNECTION_MEMORY_LIMIT, kMaxRequestBytes, nullptr},
      {MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, nullptr},
      {MHD_OPTION_STRICT_FOR_CLIENT, 1, nullptr},
  };
  if (web.tls) {
    impl_->tls = std::make_unique<TlsCredentials>(*web.tls);
    impl_->priorities = impl_->tls->priorities();
    flags |= MHD_USE_TLS;
    options.push_back(
        {MHD_OPTION_HTTPS_CERT_CALLBACK, 0, reinterpret_cast<void*>(&Impl::select_certificate)});
    options.push_back(
        {MHD_OPTION_HTTPS_PRIORITIES, 0, const_cast<char*>(impl_->priorities.c_str())});
    if (!impl_->tls->client_ca_pem().empty())
      options.push_back(
          {MHD_OPTION_HTTPS_MEM_TRUST, 0, const_cast<char*>(impl_->tls->client_ca_pem().c_str())});
  }
  options.push_back({MHD_OPTION_END, 0, nullptr});
  impl_->daemon = MHD_start_daemon(flags, 0, nullptr, nullptr, &Impl::on_request, impl_.get(),
                                   MHD_OPTION_ARRAY, options.data(), MHD_OPTION_END);
  {
    const std::lock_guard lock(impl_->log_mutex);
    impl_->starting = false;
  }
  if (!impl_->daemon) {
    (void)listener.release();  // whether libmicrohttpd closed it is not said: never twice
    const std::lock_guard lock(impl_->log_mutex);
    throw SystemError("cannot serve HTTP: " + (impl_->startup_errors.empty()
                                                   ? std::string("libmicrohttpd refused")
                                                   : impl_->startup_errors));
  }
  impl_->listener = std::move(listener);  // libmicrohttpd closes it when it stops
  log::info("Web security", {{"tls", web.tls ? "on" : "off"},
                             {"basic_auth_users", std::to_string(web.basic_auth_users.size())},
                             {"extra_headers", std::to_string(web.headers.size())}});
}

HttpServer::~HttpServer() {
  if (impl_ && impl_->daemon) MHD_stop_daemon(impl_->daemon);
  // libmicrohttpd closed the listening socket when it stopped: do not close it a second time.
  if (impl_) (void)impl_->listener.release();
}

}  // namespace sle
