// The HTTP server in-process (no root needed): basic auth and headers on every response, probes,
// and a clear error when the port is taken.
#include "web/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <prometheus/metric_family.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "common/error.h"
#include "common/unique_fd.h"
#include "credentials.h"
#include "temp_dir.h"

namespace sle {
namespace {

using test::kAliceAuthorization;
using test::kAliceHash;

// What /metrics serves in these tests: one gauge, as a read would have rendered it.
HttpServer::Body one_gauge() {
  auto exposition = std::make_shared<const Exposition>(
      "# HELP sle_test_gauge A test gauge.\n# TYPE sle_test_gauge gauge\nsle_test_gauge 42\n");
  return [exposition] { return exposition; };
}

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  static_cast<void>(::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a));
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

// One request, its answer read to the end. `request_headers`: whole lines without CRLF.
Response request(std::uint16_t port, const std::string& method, const std::string& path,
                 const std::vector<std::string>& request_headers, const std::string& body = "") {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  Response r;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return r;
  }
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n";
  for (const auto& h : request_headers) req += h + "\r\n";
  req += "\r\n" + body;
  std::string raw;
  if (::write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
    char buf[8192];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
      raw.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  const auto end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return r;
  std::size_t line_end = raw.find("\r\n");
  r.status = std::atoi(raw.substr(9, 3).c_str());
  while (line_end < end) {
    const std::size_t next = raw.find("\r\n", line_end + 2);
    const std::string line = raw.substr(line_end + 2, next - line_end - 2);
    const auto colon = line.find(':');
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (colon != std::string::npos)
      r.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    line_end = next;
  }
  r.body = raw.substr(end + 4);
  return r;
}

Response get(std::uint16_t port, const std::string& path, const std::string& authorization = "") {
  return request(port, "GET", path,
                 authorization.empty()
                     ? std::vector<std::string>{}
                     : std::vector<std::string>{"Authorization: " + authorization});
}

// A listening socket on loopback.
UniqueFd loopback(std::uint16_t port) { return listen_on(ListenAddress{"127.0.0.1", port}); }

bool always_ready() { return true; }

TEST(HttpServerWebConfig, BasicAuthOnEveryPathAndHeadersOnEveryResponse) {
  WebConfig web;
  web.basic_auth_users = {{"alice", kAliceHash}};
  web.headers = {{"X-Frame-Options", "deny"}};
  const std::uint16_t port = free_port();
  const HttpServer server(loopback(port), "/metrics", one_gauge(), web, always_ready);

  for (const std::string path : {"/metrics", "/", "/elsewhere"}) {
    Response none = get(port, path);
    EXPECT_EQ(none.status, 401) << path;
    EXPECT_EQ(none.headers["www-authenticate"], "Basic realm=\"socket-lsm-exporter\"") << path;
    EXPECT_EQ(none.headers["x-frame-options"], "deny") << path;
    EXPECT_EQ(none.body.find("sle_test_gauge"), std::string::npos) << path;
    EXPECT_EQ(get(port, path, "Basic YWxpY2U6d3Jvbmc=").status, 401) << path;  // alice:wrong
    EXPECT_EQ(get(port, path, "Bearer abc").status, 401) << path;
  }
  Response metrics = get(port, "/metrics", kAliceAuthorization);
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.headers["x-frame-options"], "deny");
  EXPECT_NE(metrics.body.find("sle_test_gauge 42"), std::string::npos) << metrics.body;
  EXPECT_EQ(get(port, "/", kAliceAuthorization).status, 200);
  EXPECT_EQ(get(port, "/elsewhere", kAliceAuthorization).status, 404);
}

TEST(HttpServerWebConfig, WithoutWebConfigEverythingIsOpen) {
  const std::uint16_t port = free_port();
  const HttpServer server(loopback(port), "/metrics", one_gauge(), WebConfig{}, always_ready);
  const Response metrics = get(port, "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.headers.count("www-authenticate"), 0u);
  EXPECT_NE(metrics.body.find("sle_test_gauge 42"), std::string::npos);
}

TEST(HttpServerWebConfig, ProbesAnswerWithoutCredentials) {
  WebConfig web;
  web.basic_auth_users = {{"alice", kAliceHash}};
  const std::uint16_t port = free_port();
  bool ready = false;
  const HttpServer server(loopback(port), "/metrics", one_gauge(), web, [&ready] { return ready; });
  EXPECT_EQ(get(port, "/healthz").status, 200);
  EXPECT_EQ(get(port, "/healthz").body, "ok\n");
  EXPECT_EQ(get(port, "/readyz").status, 503);
  EXPECT_EQ(get(port, "/readyz").body, "not ready\n");
  ready = true;
  EXPECT_EQ(get(port, "/readyz").status, 200);
  EXPECT_EQ(get(port, "/healthzz").status, 401);  // only the probe paths themselves are open
  EXPECT_EQ(get(port, "/metrics").status, 401);
}

TEST(HttpServerWebConfig, PortInUseIsNamed) {
  const std::uint16_t port = free_port();
  const HttpServer first(loopback(port), "/metrics", one_gauge(), WebConfig{}, always_ready);
  try {
    const HttpServer second(loopback(port), "/metrics", one_gauge(), WebConfig{}, always_ready);
    FAIL() << "the second server started";
  } catch (const SystemError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("cannot listen on 127.0.0.1:" + std::to_string(port) + ": ", 0), 0u)
        << what;
    EXPECT_NE(what.find("in use"), std::string::npos) << what;
  }
}

TEST(HttpServerTls, DebiansLibmicrohttpdServesTls) { EXPECT_NO_THROW(require_tls_support()); }

// The subject of the certificate a TLS server on loopback presents ("subject=CN = a"), as
// openssl's client sees it; empty when the handshake fails.
std::string presented_subject(std::uint16_t port) {
  const std::string command = "openssl s_client -connect 127.0.0.1:" + std::to_string(port) +
                              " </dev/null 2>/dev/null | openssl x509 -noout -subject 2>&1";
  std::string out;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, pipe)) out += buf;
    ::pclose(pipe);
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// Each TLS connection finds its own server's certificate (the callback has no global to look
// in), so two servers in one process present their own.
TEST(HttpServerTls, TwoServersInOneProcessEachPresentTheirOwnCertificate) {
  const test::TempDir dir;
  WebConfig web_a, web_b;
  for (const auto& [name, web] : {std::pair{"a", &web_a}, std::pair{"b", &web_b}}) {
    const std::string cert = dir.file(std::string(name) + ".crt");
    const std::string key = dir.file(std::string(name) + ".key");
    ASSERT_EQ(std::system(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
                           "-nodes -days 1 -keyout " +
                           key + " -out " + cert + " -subj /CN=" + name + " >/dev/null 2>&1")
                              .c_str()),
              0);
    web->tls.emplace();
    web->tls->cert_file = cert;
    web->tls->key_file = key;
  }
  const std::uint16_t port_a = free_port();
  const HttpServer a(loopback(port_a), "/metrics", one_gauge(), web_a, always_ready);
  const std::uint16_t port_b = free_port();
  const HttpServer b(loopback(port_b), "/metrics", one_gauge(), web_b, always_ready);
  EXPECT_EQ(presented_subject(port_a), "subject=CN = a");
  EXPECT_EQ(presented_subject(port_b), "subject=CN = b");
  EXPECT_EQ(presented_subject(port_a), "subject=CN = a");
}

// The host of a listen address is bare: an IPv6 one comes without the brackets it is written in.
TEST(ListenOn, AnIpv6AddressListensOnIpv6) {
  const UniqueFd probe(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in6 any{};
  any.sin6_family = AF_INET6;
  any.sin6_addr = in6addr_loopback;
  if (::bind(probe.get(), reinterpret_cast<const sockaddr*>(&any), sizeof any) != 0)
    GTEST_SKIP() << "SKIPPED: no IPv6 loopback here (::1 cannot be bound)";
  const UniqueFd fd = listen_on(ListenAddress{"::1", 0});
  sockaddr_in6 bound{};
  socklen_t length = sizeof bound;
  ASSERT_EQ(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &length), 0);
  EXPECT_EQ(bound.sin6_family, AF_INET6);
  EXPECT_TRUE(IN6_IS_ADDR_LOOPBACK(&bound.sin6_addr));
}

TEST(HttpServer, GzipWhenAskedTheSameBytesOtherwise) {
  const std::uint16_t port = free_port();
  const HttpServer server(loopback(port), "/metrics", one_gauge(), WebConfig{}, always_ready);
  Response plain = get(port, "/metrics");
  EXPECT_EQ(plain.status, 200);
  EXPECT_EQ(plain.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(plain.headers.count("content-encoding"), 0u);
  EXPECT_EQ(plain.headers["vary"], "Accept-Encoding");
  EXPECT_EQ(
      plain.body,
      "# HELP sle_test_gauge A test gauge.\n# TYPE sle_test_gauge gauge\nsle_test_gauge 42\n");
  Response gz = request(port, "GET", "/metrics", {"Accept-Encoding: deflate, gzip;q=0.8"});
  EXPECT_EQ(gz.status, 200);
  EXPECT_EQ(gz.headers["content-encoding"], "gzip");
  ASSERT_GE(gz.body.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(gz.body[0]), 0x1f);
  const Response refused = request(port, "GET", "/metrics", {"Accept-Encoding: gzip;q=0"});
  EXPECT_EQ(refused.headers.count("content-encoding"), 0u);
}

TEST(HttpServer, OnlyGetAndHeadAndNoBodyBeforeTheFirstRead) {
  const std::uint16_t port = free_port();
  const HttpServer server(
      loopback(port), "/metrics", [] { return nullptr; }, WebConfig{}, always_ready);
  EXPECT_EQ(get(port, "/metrics").status, 503);
  Response post = request(port, "POST", "/metrics", {"Content-Length: 3"}, "abc");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.headers["allow"], "GET, HEAD");
  const Response head = request(port, "HEAD", "/healthz", {});
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
}

}  // namespace
}  // namespace sle
