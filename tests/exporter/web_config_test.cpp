// --web.config.file: parsing and validation (every error with its exact message), the basic-auth
// check against real bcrypt hashes, and the HTTP server enforcing it in-process (no root needed).
#include "web_config.h"

#include <arpa/inet.h>
#include <crypt.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <prometheus/metric_family.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config.h"
#include "http_server.h"
#include "temp_dir.h"

namespace sle {
namespace {

// Made with `htpasswd -nbBC 4 alice 'correct horse battery staple'` (apache2-utils): a hash from
// another bcrypt implementation than the one under test, with the $2y$ prefix Go and PHP use.
constexpr const char* kAliceHash = "$2y$04$rlNgNpmjdyenkNKA7CqQ7e73V0CExXoPefPvR8Z/NBJx3YdLKASEO";
constexpr const char* kAlicePassword = "correct horse battery staple";

// A $2b$ hash of `password` made here with libxcrypt, at the lowest cost to keep tests fast.
std::string bcrypt(const std::string& password) {
  std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> salt{};
  if (!crypt_gensalt_rn("$2b$", 4, nullptr, 0, salt.data(), static_cast<int>(salt.size())))
    throw std::runtime_error("crypt_gensalt_rn failed");
  crypt_data data{};
  const char* hash = crypt_rn(password.c_str(), salt.data(), &data, sizeof data);
  if (!hash) throw std::runtime_error("crypt_rn failed");
  return hash;
}

std::string error_of(const std::string& yaml) {
  try {
    parse_web_config(yaml, "web.yml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string load_error_of(const std::string& path) {
  try {
    load_web_config_file(path);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

using test::TempDir;
using Users = std::map<std::string, std::string>;

constexpr const char* kCertPem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
constexpr const char* kKeyPem = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";

// --- parsing ----------------------------------------------------------------------------------

TEST(WebConfig, EmptyDocumentIsPlainHttpWithoutAuth) {
  EXPECT_EQ(parse_web_config("", "web.yml"), WebConfig{});
  EXPECT_EQ(parse_web_config("# nothing\n", "web.yml"), WebConfig{});
}

TEST(WebConfig, ParsesEverySupportedKey) {
  const WebConfig c = parse_web_config(std::string(R"(
tls_server_config:
  cert_file: server.crt
  key_file: /etc/sle/server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
  min_version: TLS13
  max_version: TLS13
http_server_config:
  http2: false
  headers:
    X-Frame-Options: deny
    X-Content-Type-Options: nosniff
    Strict-Transport-Security: max-age=31536000
    Content-Security-Policy: ""
basic_auth_users:
  alice: )") + kAliceHash + "\n  bob: " + kAliceHash +
                                           "\n",
                                       "web.yml");
  ASSERT_TRUE(c.tls);
  EXPECT_EQ(*c.tls, (TlsServerConfig{"server.crt", "/etc/sle/server.key", "ca.crt",
                                     ClientAuth::kRequireAndVerify, TlsVersion::kTls13}));
  EXPECT_EQ(c.basic_auth_users,
            (std::map<std::string, std::string>{{"alice", kAliceHash}, {"bob", kAliceHash}}));
  // A blank value unsets a header, as in exporter-toolkit.
  EXPECT_EQ(c.headers, (std::vector<std::pair<std::string, std::string>>{
                           {"X-Frame-Options", "deny"},
                           {"X-Content-Type-Options", "nosniff"},
                           {"Strict-Transport-Security", "max-age=31536000"}}));
}

TEST(WebConfig, TlsDefaultsToTls12WithoutClientCertificates) {
  const WebConfig c =
      parse_web_config("tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n", "web.yml");
  ASSERT_TRUE(c.tls);
  EXPECT_EQ(c.tls->min_version, TlsVersion::kTls12);
  EXPECT_EQ(c.tls->client_auth, ClientAuth::kNone);
  EXPECT_EQ(c.tls->client_ca_file, "");
}

TEST(WebConfig, TlsSectionWithoutCertificateOrKeyLeavesTlsOff) {
  // exporter-toolkit serves plain HTTP then; such configs carry basic_auth_users only.
  EXPECT_FALSE(parse_web_config("tls_server_config:\n", "web.yml").tls);
  EXPECT_FALSE(parse_web_config("tls_server_config:\n  min_version: TLS12\n", "web.yml").tls);
  const WebConfig c = parse_web_config(
      std::string("tls_server_config: {}\nbasic_auth_users:\n  alice: ") + kAliceHash + "\n",
      "web.yml");
  EXPECT_FALSE(c.tls);
  EXPECT_EQ(c.basic_auth_users.size(), 1u);
}

TEST(WebConfig, UnknownKeysAreErrors) {
  EXPECT_EQ(error_of("tls_config:\n  cert_file: a\n"),
            "web.yml:1:1: tls_config: unknown key \"tls_config\" (valid keys: tls_server_config, "
            "http_server_config, basic_auth_users)");
  EXPECT_EQ(error_of("tls_server_config:\n  cert_file: a\n  keyfile: b\n"),
            "web.yml:3:3: tls_server_config.keyfile: unknown key \"keyfile\" (valid keys: "
            "cert_file, key_file, client_auth_type, client_ca_file, min_version, max_version)");
  EXPECT_EQ(error_of("http_server_config:\n  header: {}\n"),
            "web.yml:2:3: http_server_config.header: unknown key \"header\" (valid keys: "
            "headers, http2)");
}

TEST(WebConfig, ToolkitKeysNotImplementedHereAreNamedAsSuch) {
  EXPECT_EQ(error_of("rate_limit:\n  interval: 1s\n"),
            "web.yml:1:1: rate_limit: \"rate_limit\" is not supported by socket_lsm_exporter "
            "(supported keys: tls_server_config, http_server_config, basic_auth_users)");
  EXPECT_EQ(error_of("tls_server_config:\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n"),
            "web.yml:2:3: tls_server_config.cipher_suites: \"cipher_suites\" is not supported by "
            "socket_lsm_exporter (supported keys: cert_file, key_file, client_auth_type, "
            "client_ca_file, min_version, max_version)");
  EXPECT_EQ(error_of("tls_server_config:\n  cert: |\n    -----BEGIN CERTIFICATE-----\n"),
            "web.yml:2:3: tls_server_config.cert: \"cert\" is not supported by "
            "socket_lsm_exporter (supported keys: cert_file, key_file, client_auth_type, "
            "client_ca_file, min_version, max_version)");
}

TEST(WebConfig, CertificateAndKeyComeTogether) {
  EXPECT_EQ(error_of("tls_server_config:\n  cert_file: a.crt\n"),
            "web.yml:2:3: tls_server_config: key_file is missing (cert_file is set)");
  EXPECT_EQ(error_of("tls_server_config:\n  key_file: a.key\n"),
            "web.yml:2:3: tls_server_config: cert_file is missing (key_file is set)");
  EXPECT_EQ(error_of("tls_server_config:\n  client_auth_type: RequireAndVerifyClientCert\n"
                     "  client_ca_file: ca.crt\n"),
            "web.yml:2:3: tls_server_config: cert_file and key_file are required for TLS");
  EXPECT_EQ(error_of("tls_server_config:\n  cert_file: \"\"\n  key_file: a.key\n"),
            "web.yml:2:14: tls_server_config.cert_file: must not be empty");
  EXPECT_EQ(error_of("tls_server_config:\n  cert_file: [a]\n  key_file: a.key\n"),
            "web.yml:2:14: tls_server_config.cert_file: expected a string, got a list");
}

TEST(WebConfig, ClientCertificateSettings) {
  const std::string base = "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n";
  EXPECT_EQ(error_of(base + "  client_auth_type: RequireAnyClientCert\n"),
            "web.yml:4:21: tls_server_config.client_auth_type: RequireAnyClientCert is not "
            "supported: civetweb verifies every client certificate it asks for (supported: "
            "NoClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert)");
  EXPECT_EQ(error_of(base + "  client_auth_type: RequireClientCert\n"),
            "web.yml:4:21: tls_server_config.client_auth_type: unknown client_auth_type "
            "\"RequireClientCert\" (supported: NoClientCert, VerifyClientCertIfGiven, "
            "RequireAndVerifyClientCert)");
  EXPECT_EQ(error_of(base + "  client_auth_type: RequireAndVerifyClientCert\n"),
            "web.yml:4:21: tls_server_config.client_auth_type: RequireAndVerifyClientCert needs "
            "client_ca_file, the CA that signs the client certificates");
  EXPECT_EQ(error_of(base + "  client_ca_file: ca.crt\n"),
            "web.yml:4:19: tls_server_config.client_ca_file: client_ca_file is set but "
            "client_auth_type is NoClientCert (use RequireAndVerifyClientCert)");
  const WebConfig c = parse_web_config(
      base + "  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: ca.crt\n", "web.yml");
  ASSERT_TRUE(c.tls);
  EXPECT_EQ(c.tls->client_auth, ClientAuth::kVerifyIfGiven);
}

TEST(WebConfig, TlsVersions) {
  const std::string base = "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n";
  EXPECT_EQ(parse_web_config(base + "  min_version: TLS10\n", "web.yml").tls->min_version,
            TlsVersion::kTls10);
  EXPECT_EQ(error_of(base + "  min_version: TLSv1.2\n"),
            "web.yml:4:16: tls_server_config.min_version: unknown TLS version \"TLSv1.2\" (valid: "
            "TLS10, TLS11, TLS12, TLS13)");
  EXPECT_EQ(error_of(base + "  max_version: TLS12\n"),
            "web.yml:4:16: tls_server_config.max_version: only TLS13 (the default) is supported");
}

TEST(WebConfig, BasicAuthUsersNeedBcryptHashes) {
  EXPECT_EQ(error_of("basic_auth_users:\n  alice: secret\n"),
            "web.yml:2:10: basic_auth_users.alice: not a bcrypt hash (expected $2y$, $2b$ or $2a$ "
            "and 56 more characters, as htpasswd -nBC 10 \"\" | tr -d ':\\n' prints)");
  // A SHA-512 crypt hash is a valid crypt(3) hash, but not what the format promises.
  EXPECT_NE(error_of("basic_auth_users:\n  alice: $6$salt$abc\n").find("not a bcrypt hash"),
            std::string::npos);
  // Cost 03 is below bcrypt's minimum.
  EXPECT_NE(error_of(std::string("basic_auth_users:\n  alice: \"$2y$03$") +
                     std::string(kAliceHash).substr(7) + "\"\n")
                .find("not a bcrypt hash"),
            std::string::npos);
  EXPECT_EQ(error_of(std::string("basic_auth_users:\n  \"al:ice\": ") + kAliceHash + "\n"),
            "web.yml:2:3: basic_auth_users.al:ice: a user name can not contain ':'");
  EXPECT_EQ(error_of(std::string("basic_auth_users:\n  - alice: ") + kAliceHash + "\n"),
            "web.yml:2:3: basic_auth_users: expected a mapping, got a list");
  EXPECT_EQ(error_of(std::string("basic_auth_users:\n  alice: ") + kAliceHash +
                     "\n  alice: " + kAliceHash + "\n"),
            "web.yml:3:3: basic_auth_users.alice: duplicate key \"alice\" (first at line 2)");
  EXPECT_EQ(error_of("basic_auth_users:\n  alice:\n"),
            "web.yml:2:3: basic_auth_users.alice: expected a string, got null");
}

TEST(WebConfig, OnlyToolkitHeadersWithTheirValues) {
  EXPECT_EQ(error_of("http_server_config:\n  headers:\n    Server: sle\n"),
            "web.yml:3:5: http_server_config.headers.Server: HTTP header \"Server\" can not be "
            "configured (supported: Content-Security-Policy, X-Frame-Options, "
            "X-Content-Type-Options, X-XSS-Protection, Strict-Transport-Security)");
  EXPECT_EQ(error_of("http_server_config:\n  headers:\n    X-Frame-Options: allow\n"),
            "web.yml:3:22: http_server_config.headers.X-Frame-Options: invalid value \"allow\" for "
            "X-Frame-Options (valid: deny, sameorigin)");
  EXPECT_EQ(error_of("http_server_config:\n  headers:\n    X-XSS-Protection: \"1\\r\\nSet-Cookie: "
                     "a=b\"\n"),
            "web.yml:3:23: http_server_config.headers.X-XSS-Protection: control characters are "
            "not allowed in a header value");
  EXPECT_EQ(error_of("http_server_config:\n  http2: maybe\n"),
            "web.yml:2:10: http_server_config.http2: expected a boolean, got \"maybe\"");
}

TEST(WebConfig, MalformedDocuments) {
  EXPECT_EQ(error_of("- a\n- b\n"), "web.yml:1:1: expected a mapping at the top level, got a list");
  EXPECT_EQ(error_of("tls_server_config: yes\n"),
            "web.yml:1:20: tls_server_config: expected a mapping, got \"yes\"");
  const std::string not_yaml = error_of("basic_auth_users: {alice\n");
  EXPECT_EQ(not_yaml.rfind("web.yml:", 0), 0u) << not_yaml;
  EXPECT_NE(not_yaml.find("not valid YAML"), std::string::npos) << not_yaml;
}

// --- loading: files -----------------------------------------------------------------------------

TEST(WebConfigFile, UnreadableConfigIsNamed) {
  EXPECT_EQ(load_error_of("/nonexistent/web.yml"),
            "cannot read /nonexistent/web.yml: No such file or directory");
}

TEST(WebConfigFile, BasicAuthOnly) {
  const TempDir dir;
  const std::string file =
      dir.write("web.yml", std::string("basic_auth_users:\n  alice: ") + kAliceHash + "\n");
  const WebConfig c = load_web_config_file(file);
  EXPECT_FALSE(c.tls);
  EXPECT_EQ(c.basic_auth_users.at("alice"), kAliceHash);
}

TEST(WebConfigFile, TlsFilesAreResolvedAgainstTheConfigDirectoryAndChecked) {
  const TempDir dir;
  const std::string yaml = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n";
  const std::string file = dir.write("web.yml", yaml);

  EXPECT_EQ(load_error_of(file), file + ":2:14: tls_server_config.cert_file: cannot read " +
                                     dir.path() + "/server.crt: No such file or directory");
  dir.write("server.crt", kKeyPem);
  EXPECT_EQ(load_error_of(file), file + ":2:14: tls_server_config.cert_file: " + dir.path() +
                                     "/server.crt holds no PEM certificate (-----BEGIN "
                                     "...CERTIFICATE-----)");
  dir.write("server.crt", kCertPem);
  dir.write("server.key", kCertPem);
  EXPECT_EQ(load_error_of(file), file + ":3:13: tls_server_config.key_file: " + dir.path() +
                                     "/server.key holds no PEM private key (-----BEGIN "
                                     "...PRIVATE KEY-----)");
  dir.write("server.key", kKeyPem);

  // The files are fine; whether TLS can be served depends on the civetweb and OpenSSL here.
  const std::string reason = tls_unavailable_reason();
  if (reason.empty()) {
    const WebConfig c = load_web_config_file(file);
    ASSERT_TRUE(c.tls);
    EXPECT_EQ(c.tls->cert_file, dir.path() + "/server.crt");
    EXPECT_EQ(c.tls->key_file, dir.path() + "/server.key");
  } else {
    EXPECT_EQ(load_error_of(file),
              file + ":2:3: tls_server_config: TLS is not available: " + reason);
  }
}

TEST(WebConfigFile, ClientCaFileIsChecked) {
  const TempDir dir;
  dir.write("server.crt", kCertPem);
  dir.write("server.key", kKeyPem);
  const std::string file = dir.write(
      "web.yml", "tls_server_config:\n  cert_file: server.crt\n  key_file: " + dir.path() +
                     "/server.key\n  client_auth_type: RequireAndVerifyClientCert\n  "
                     "client_ca_file: ca.crt\n");
  EXPECT_EQ(load_error_of(file), file + ":5:19: tls_server_config.client_ca_file: cannot read " +
                                     dir.path() + "/ca.crt: No such file or directory");
}

// --- basic auth -------------------------------------------------------------------------------

TEST(BasicAuthHeader, Parses) {
  using Credentials = std::optional<std::pair<std::string, std::string>>;
  EXPECT_EQ(parse_basic_authorization("Basic YWxpY2U6c2VjcmV0"),
            (Credentials{{"alice", "secret"}}));
  EXPECT_EQ(parse_basic_authorization("basic YWxpY2U6c2VjcmV0"),
            (Credentials{{"alice", "secret"}}));
  // Split at the first ':': the password may contain more.
  EXPECT_EQ(parse_basic_authorization("Basic YTpiOmM="), (Credentials{{"a", "b:c"}}));
  EXPECT_EQ(parse_basic_authorization("Basic YTo="), (Credentials{{"a", ""}}));
  EXPECT_EQ(parse_basic_authorization("Basic Og=="), (Credentials{{"", ""}}));
  EXPECT_EQ(parse_basic_authorization("Basic YWxpY2U="), std::nullopt);         // no ':'
  EXPECT_EQ(parse_basic_authorization("Basic YWxpY2U6c2VjcmV"), std::nullopt);  // truncated
  EXPECT_EQ(parse_basic_authorization("Basic YQ=a"), std::nullopt);             // '=' inside
  EXPECT_EQ(parse_basic_authorization("Basic YWx*Y2U6"), std::nullopt);
  EXPECT_EQ(parse_basic_authorization("Bearer YWxpY2U6c2VjcmV0"), std::nullopt);
  EXPECT_EQ(parse_basic_authorization("Basic"), std::nullopt);
  EXPECT_EQ(parse_basic_authorization(""), std::nullopt);
}

TEST(BasicAuth, ChecksAnHtpasswdHash) {
  BasicAuth auth(Users{{"alice", kAliceHash}});
  EXPECT_TRUE(auth.enabled());
  EXPECT_TRUE(auth.check("alice", kAlicePassword));
  EXPECT_FALSE(auth.check("alice", "correct horse battery stapl"));
  EXPECT_FALSE(auth.check("alice", ""));
  EXPECT_FALSE(auth.check("bob", kAlicePassword));
  EXPECT_FALSE(auth.check("Alice", kAlicePassword));
  // crypt(3) would stop at the NUL and see the right password.
  EXPECT_FALSE(auth.check("alice", std::string(kAlicePassword) + std::string(1, '\0') + "x"));
}

TEST(BasicAuth, ChecksAGeneratedHash) {
  const std::string hash = bcrypt("s3cret: with colon");
  ASSERT_EQ(hash.rfind("$2b$04$", 0), 0u) << hash;
  EXPECT_EQ(parse_web_config("basic_auth_users:\n  bob: " + hash + "\n", "web.yml")
                .basic_auth_users.at("bob"),
            hash);
  BasicAuth auth(Users{{"alice", kAliceHash}, {"bob", hash}});
  EXPECT_TRUE(auth.check("bob", "s3cret: with colon"));
  EXPECT_FALSE(auth.check("bob", kAlicePassword));
  EXPECT_TRUE(auth.check("alice", kAlicePassword));
}

TEST(BasicAuth, CachesSuccessesOnly) {
  BasicAuth auth(Users{{"alice", kAliceHash}});
  EXPECT_TRUE(auth.check("alice", kAlicePassword));
  EXPECT_EQ(auth.bcrypt_runs(), 1u);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(auth.check("alice", kAlicePassword));
  EXPECT_EQ(auth.bcrypt_runs(), 1u);  // scrapes after the first skip bcrypt
  EXPECT_FALSE(auth.check("alice", "wrong"));
  EXPECT_FALSE(auth.check("alice", "wrong"));
  EXPECT_EQ(auth.bcrypt_runs(), 3u);  // failures always pay
  // Unknown users pay bcrypt too, so that timing does not tell which names exist.
  EXPECT_FALSE(auth.check("mallory", kAlicePassword));
  EXPECT_EQ(auth.bcrypt_runs(), 4u);
  EXPECT_TRUE(auth.check("alice", kAlicePassword));
  EXPECT_EQ(auth.bcrypt_runs(), 4u);
}

TEST(BasicAuth, AllowsByHeader) {
  BasicAuth auth(Users{{"alice", kAliceHash}});
  // "alice:correct horse battery staple"
  EXPECT_TRUE(auth.allows("Basic YWxpY2U6Y29ycmVjdCBob3JzZSBiYXR0ZXJ5IHN0YXBsZQ=="));
  EXPECT_FALSE(auth.allows("Basic YWxpY2U6c2VjcmV0"));
  EXPECT_FALSE(auth.allows("Basic !!!!"));
  EXPECT_FALSE(auth.allows(nullptr));
  BasicAuth none(Users{});
  EXPECT_FALSE(none.enabled());
  EXPECT_TRUE(none.allows(nullptr));
  EXPECT_FALSE(none.check("alice", kAlicePassword));
}

TEST(BasicAuth, ConcurrentChecksAgree) {
  BasicAuth auth(Users{{"alice", kAliceHash}});
  std::vector<std::thread> threads;
  std::array<int, 8> results{};
  for (std::size_t i = 0; i < results.size(); ++i)
    threads.emplace_back(
        [&, i] { results[i] = auth.check("alice", i % 2 ? kAlicePassword : "wrong") ? 1 : 0; });
  for (auto& t : threads) t.join();
  for (std::size_t i = 0; i < results.size(); ++i) EXPECT_EQ(results[i], i % 2 ? 1 : 0) << i;
}

// --- the server, in-process -------------------------------------------------------------------

class OneGauge final : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override {
    prometheus::ClientMetric m;
    m.gauge.value = 42;
    return {prometheus::MetricFamily{
        "sle_test_gauge", "A test gauge.", prometheus::MetricType::Gauge, {m}}};
  }
};

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

Response get(std::uint16_t port, const std::string& path, const std::string& authorization = "") {
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
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n";
  if (!authorization.empty()) req += "Authorization: " + authorization + "\r\n";
  req += "\r\n";
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

constexpr const char* kAliceAuthorization =
    "Basic YWxpY2U6Y29ycmVjdCBob3JzZSBiYXR0ZXJ5IHN0YXBsZQ==";

TEST(HttpServerWebConfig, BasicAuthOnEveryPathAndHeadersOnEveryResponse) {
  WebConfig web;
  web.basic_auth_users = {{"alice", kAliceHash}};
  web.headers = {{"X-Frame-Options", "deny"}};
  const std::uint16_t port = free_port();
  const HttpServer server("127.0.0.1:" + std::to_string(port), "/metrics",
                          std::make_shared<OneGauge>(), web);

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
  const HttpServer server("127.0.0.1:" + std::to_string(port), "/metrics",
                          std::make_shared<OneGauge>());
  const Response metrics = get(port, "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.headers.count("www-authenticate"), 0u);
  EXPECT_NE(metrics.body.find("sle_test_gauge 42"), std::string::npos);
}

TEST(HttpServerWebConfig, LoadsTheFileAndRejectsABadOne) {
  const TempDir dir;
  const std::uint16_t port = free_port();
  const std::string bad = dir.write("bad.yml", "basic_auth_users:\n  alice: plain\n");
  EXPECT_THROW(HttpServer("127.0.0.1:" + std::to_string(port), "/metrics",
                          std::make_shared<OneGauge>(), bad),
               ConfigError);
  const std::string good =
      dir.write("web.yml", std::string("basic_auth_users:\n  alice: ") + kAliceHash + "\n");
  const HttpServer server("127.0.0.1:" + std::to_string(port), "/metrics",
                          std::make_shared<OneGauge>(), good);
  EXPECT_EQ(get(port, "/metrics").status, 401);
  EXPECT_EQ(get(port, "/metrics", kAliceAuthorization).status, 200);
}

TEST(HttpServerWebConfig, PortInUseNamesCivetwebsReason) {
  const std::uint16_t port = free_port();
  const HttpServer first("127.0.0.1:" + std::to_string(port), "/metrics",
                         std::make_shared<OneGauge>());
  try {
    const HttpServer second("127.0.0.1:" + std::to_string(port), "/metrics",
                            std::make_shared<OneGauge>());
    FAIL() << "the second server started";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("cannot listen on 127.0.0.1:" + std::to_string(port) + ": ", 0), 0u)
        << what;
    EXPECT_NE(what.find("in use"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace sle
