// --web.config.file: parsing and validation, every error with its exact message.
#include "config/web_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "credentials.h"
#include "temp_dir.h"

namespace sle {
namespace {

std::string error_of(const std::string& yaml) {
  try {
    parse_web_config(yaml, "web.yml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

// TlsSupport of a server that can serve TLS.
void tls_available() {}

std::string load_error_of(const std::string& path, const TlsSupport& tls = tls_available) {
  try {
    load_web_config_file(path, tls);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

using test::kAliceHash;
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

// Found by tests/fuzz/web_config_fuzzer.cpp: yaml-cpp 0.7's LoadAll looped forever on it (see
// YamlFields.RootRejectsACommaOutsideAFlowCollectionInsteadOfLoopingForever).
TEST(WebConfig, CommaOutsideAFlowCollectionIsNotYaml) {
  EXPECT_EQ(error_of(",.\n-.-.\n"), "web.yml:1:1: not valid YAML: unexpected \",\"");
}

TEST(WebConfig, UnknownKeysAreErrors) {
  EXPECT_EQ(error_of("tls_config:\n  cert_file: a\n"),
            "web.yml:1:1: tls_config: unknown key \"tls_config\" (valid keys: tls_server_config, "
            "http_server_config, basic_auth_users)");
  EXPECT_EQ(error_of("tls_server_config:\n  cert_file: a\n  keyfile: b\n"),
            "web.yml:3:3: tls_server_config.keyfile: unknown key \"keyfile\" (did you mean "
            "\"key_file\"? valid keys: cert_file, key_file, client_auth_type, client_ca_file, "
            "min_version, max_version)");
  EXPECT_EQ(error_of("http_server_config:\n  header: {}\n"),
            "web.yml:2:3: http_server_config.header: unknown key \"header\" (did you mean "
            "\"headers\"? valid keys: headers, http2)");
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
            "supported: the exporter verifies every client certificate it asks for (supported: "
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
  const WebConfig c = load_web_config_file(file, tls_available);
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

  // The files are fine: TLS is on where the server can serve it, and refused where it cannot.
  const WebConfig c = load_web_config_file(file, tls_available);
  ASSERT_TRUE(c.tls);
  EXPECT_EQ(c.tls->cert_file, dir.path() + "/server.crt");
  EXPECT_EQ(c.tls->key_file, dir.path() + "/server.key");
  EXPECT_EQ(load_error_of(file, [] { throw SystemError("no TLS library"); }),
            file + ":2:3: tls_server_config: TLS is not available: no TLS library");
}

TEST(WebConfigFile, TlsSupportIsAskedOnlyForTls) {
  const TempDir dir;
  const std::string file =
      dir.write("web.yml", std::string("basic_auth_users:\n  alice: ") + kAliceHash + "\n");
  bool asked = false;
  load_web_config_file(file, [&asked] {
    asked = true;
    throw SystemError("no TLS library");
  });
  EXPECT_FALSE(asked);
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

}  // namespace
}  // namespace sle
