// --web.config.file with the real binary: basic auth on every request, a bad web config stopping
// the exporter with a message naming file, line and key, and TLS (with client certificates): for
// real where civetweb's OpenSSL binding is complete, else refused at startup. Needs root (BPF);
// the TLS tests also need curl, openssl and a C compiler (see testdata/civetweb_openssl3_shim.c).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"
#include "scrape.h"
#include "temp_dir.h"
#include "web/http_server.h"

namespace sle::test {
namespace {

// `htpasswd -nbBC 4 alice 'correct horse battery staple'`
constexpr const char* kAliceHash = "$2y$04$rlNgNpmjdyenkNKA7CqQ7e73V0CExXoPefPvR8Z/NBJx3YdLKASEO";
constexpr const char* kAlicePassword = "correct horse battery staple";
// "Authorization: Basic " + base64("alice:correct horse battery staple"), and alice:wrong.
constexpr const char* kAliceAuthorization =
    "Authorization: Basic YWxpY2U6Y29ycmVjdCBob3JzZSBiYXR0ZXJ5IHN0YXBsZQ==";
constexpr const char* kWrongAuthorization = "Authorization: Basic YWxpY2U6d3Jvbmc=";

const std::filesystem::path kTestData = std::filesystem::path(__FILE__).parent_path() / "testdata";

std::string backend() {
  const char* env = std::getenv("SLE_TEST_BACKEND");
  return env ? env : "tracepoint";
}

std::string exporter_config(std::uint16_t port, const std::string& web_extra = "") {
  return "read_interval: 0s\nweb:\n  listen_address: \"127.0.0.1:" + std::to_string(port) + "\"\n" +
         web_extra;
}

bool have(const std::string& program) {
  return run_command("command -v " + program + " >/dev/null").code == 0;
}

struct CurlResult {
  int exit_code = -1;  // curl's: 0 ok, 7 connection refused, 35/56 TLS handshake failed, ...
  int status = 0;      // HTTP status, 0 when there was no response
  std::string body;
};

// curl against the exporter's TLS port; `args` adds options (--cacert, -u, --cert ...).
CurlResult curl(const TempDir& dir, std::uint16_t port, const std::string& path,
                const std::string& args) {
  const std::string body_file = dir.file("curl-body");
  std::filesystem::remove(body_file);
  const CommandOutput out =
      run_command("curl -sS --max-time 10 -o " + body_file + " -w '\\n%{http_code}' " + args +
                  " https://127.0.0.1:" + std::to_string(port) + path);
  CurlResult r;
  r.exit_code = out.code;
  r.status = std::atoi(out.text.substr(out.text.rfind('\n') + 1).c_str());
  std::ifstream in(body_file);
  std::stringstream ss;
  ss << in.rdbuf();
  r.body = ss.str();
  return r;
}

class WebConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: needs root to load BPF programs";
  }
};

TEST_F(WebConfigTest, BasicAuthGuardsEveryPath) {
  const std::uint16_t port = free_listen_port();
  const TempDir dir;
  const std::string web =
      dir.write("web.yml", std::string("basic_auth_users:\n  alice: ") + kAliceHash +
                               "\nhttp_server_config:\n  headers:\n"
                               "    X-Content-Type-Options: nosniff\n");
  const std::string config = dir.write("config.yaml", exporter_config(port));
  // Serving means answering at all: without credentials the answer is 401.
  ExporterProcess exporter(
      port, {"--config.file=" + config, "--web.config.file=" + web, "--bpf.backend=" + backend()},
      [port] { return http_get(port, "/metrics").has_value(); });

  for (const std::string path : {"/metrics", "/", "/nothing-here"}) {
    auto none = http_get(port, path);
    ASSERT_TRUE(none) << path;
    EXPECT_EQ(none->status, 401) << path;
    EXPECT_EQ(none->headers["www-authenticate"], "Basic realm=\"socket-lsm-exporter\"") << path;
    EXPECT_EQ(none->headers["x-content-type-options"], "nosniff") << path;
    EXPECT_EQ(none->body.find("socket_lsm_"), std::string::npos) << path;
    const auto wrong = http_get(port, path, {kWrongAuthorization});
    ASSERT_TRUE(wrong) << path;
    EXPECT_EQ(wrong->status, 401) << path;
    // bob:correct horse battery staple
    const auto unknown =
        http_get(port, path, {"Authorization: Basic Ym9iOmNvcnJlY3QgaG9yc2UgYmF0dGVyeSBzdGFwbGU="});
    ASSERT_TRUE(unknown) << path;
    EXPECT_EQ(unknown->status, 401) << path;
  }
  // Scrape twice: the second is answered from the cache of verified passwords.
  for (int i = 0; i < 2; ++i) {
    auto ok = http_get(port, "/metrics", {kAliceAuthorization});
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200);
    EXPECT_EQ(ok->headers["x-content-type-options"], "nosniff");
    EXPECT_NE(ok->body.find("socket_lsm_hook_calls_total{hook=\"bind\"}"), std::string::npos);
  }
  const auto landing = http_get(port, "/", {kAliceAuthorization});
  ASSERT_TRUE(landing);
  EXPECT_EQ(landing->status, 200);
  const auto missing = http_get(port, "/nothing-here", {kAliceAuthorization});
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(exporter.stop(), 0) << exporter.log();
}

TEST_F(WebConfigTest, ConfigKeyWorksLikeTheFlag) {
  const std::uint16_t port = free_listen_port();
  const TempDir dir;
  const std::string web =
      dir.write("web.yml", std::string("basic_auth_users:\n  alice: ") + kAliceHash + "\n");
  const std::string config =
      dir.write("config.yaml", exporter_config(port, "  config_file: " + web + "\n"));
  ExporterProcess exporter(port, {"--config.file=" + config, "--bpf.backend=" + backend()},
                           [port] { return http_get(port, "/metrics").has_value(); });
  EXPECT_EQ(http_get(port, "/metrics")->status, 401);
  EXPECT_EQ(http_get(port, "/metrics", {kAliceAuthorization})->status, 200);
  EXPECT_EQ(exporter.stop(), 0) << exporter.log();
}

TEST_F(WebConfigTest, BadWebConfigStopsTheExporterNamingFileLineAndKey) {
  const std::uint16_t port = free_listen_port();
  const TempDir dir;
  const std::string web = dir.write("web.yml", "basic_auth_users:\n  alice: secret\n");
  const std::string config = dir.write("config.yaml", exporter_config(port));
  const CommandOutput out =
      run_command(exporter_path() + " --config.file=" + config + " --web.config.file=" + web +
                  " --bpf.backend=" + backend());
  EXPECT_EQ(out.code, 2) << out.text;
  EXPECT_NE(out.text.find(web + ":2:10: basic_auth_users.alice: not a bcrypt hash"),
            std::string::npos)
      << out.text;
  EXPECT_FALSE(http_get(port, "/metrics")) << "nothing may be left serving";
}

TEST_F(WebConfigTest, MissingWebConfigFileIsNamed) {
  const std::uint16_t port = free_listen_port();
  const TempDir dir;
  const std::string config = dir.write("config.yaml", exporter_config(port));
  const CommandOutput out =
      run_command(exporter_path() + " --config.file=" + config +
                  " --web.config.file=/nonexistent/web.yml --bpf.backend=" + backend());
  EXPECT_EQ(out.code, 2) << out.text;
  EXPECT_NE(out.text.find("cannot read /nonexistent/web.yml: No such file or directory"),
            std::string::npos)
      << out.text;
}

// --- TLS --------------------------------------------------------------------------------------

// Certificates made for the test: a server certificate for 127.0.0.1, a CA and a client
// certificate it signed, and a client certificate nobody vouches for.
class Pki {
 public:
  explicit Pki(const TempDir& dir) : dir_(dir) {
    const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1";
    run("openssl req -x509 " + key + " -keyout " + file("server.key") + " -out " +
        file("server.crt") + " -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1");
    run("openssl req -x509 " + key + " -keyout " + file("ca.key") + " -out " + file("ca.crt") +
        " -subj /CN=sle-test-ca");
    run("openssl req " + key + " -keyout " + file("client.key") + " -out " + file("client.csr") +
        " -subj /CN=prometheus");
    run("openssl x509 -req -days 1 -in " + file("client.csr") + " -CA " + file("ca.crt") +
        " -CAkey " + file("ca.key") + " -CAcreateserial -out " + file("client.crt"));
    run("openssl req -x509 " + key + " -keyout " + file("stranger.key") + " -out " +
        file("stranger.crt") + " -subj /CN=stranger");
  }
  std::string file(const std::string& name) const { return dir_.file(name); }

 private:
  static void run(const std::string& command) {
    const CommandOutput out = run_command(command);
    if (out.code != 0) throw std::runtime_error(command + " failed:\n" + out.text);
  }
  const TempDir& dir_;
};

// Builds testdata/civetweb_openssl3_shim.c; returns the LD_PRELOAD entry, or "" with `why` set.
std::string build_shim(const TempDir& dir, std::string& why) {
  const std::string shim = dir.file("libssl.so");
  const CommandOutput out =
      run_command("cc -shared -fPIC -Wl,-soname,libssl.so -o " + shim + " " +
                  (kTestData / "civetweb_openssl3_shim.c").string() + " -l:libssl.so.3");
  if (out.code != 0) {
    why = "cannot build the civetweb OpenSSL 3 shim: " + out.text;
    return "";
  }
  return "LD_PRELOAD=" + shim;
}

class WebConfigTlsTest : public WebConfigTest {
 protected:
  void SetUp() override {
    WebConfigTest::SetUp();
    if (IsSkipped()) return;
    for (const char* tool : {"curl", "openssl", "cc"})
      if (!have(tool)) GTEST_SKIP() << "SKIPPED: needs " << tool;
  }

  // What makes civetweb's TLS work in the exporter here: nothing, or the shim when this
  // civetweb needs it.
  std::vector<std::string> tls_env(const TempDir& dir) {
    if (tls_unavailable_reason().empty()) return {};
    std::string why;
    const std::string preload = build_shim(dir, why);
    if (preload.empty()) ADD_FAILURE() << why;
    return {preload};
  }

  static std::function<bool()> answers_over_tls(const TempDir& dir, std::uint16_t port) {
    return [&dir, port] { return curl(dir, port, "/metrics", "-k").status != 0; };
  }
};

TEST_F(WebConfigTlsTest, WithoutACompleteOpenSslBindingTlsIsRefusedAtStartup) {
  if (!tls_unavailable_reason().empty()) {
    const std::uint16_t port = free_listen_port();
    const TempDir dir;
    const Pki pki(dir);
    const std::string web =
        dir.write("web.yml", "tls_server_config:\n  cert_file: server.crt\n  key_file: " +
                                 pki.file("server.key") + "\n");
    const std::string config = dir.write("config.yaml", exporter_config(port));
    const CommandOutput out =
        run_command(exporter_path() + " --config.file=" + config + " --web.config.file=" + web +
                    " --bpf.backend=" + backend());
    EXPECT_NE(out.code, 0) << out.text;
    EXPECT_NE(out.text.find(web + ":2:3: tls_server_config: TLS is not available: "),
              std::string::npos)
        << out.text;
    EXPECT_NE(out.text.find("SSL_get_peer_certificate"), std::string::npos) << out.text;
  } else {
    GTEST_SKIP() << "TLS works with this civetweb and OpenSSL";
  }
}

TEST_F(WebConfigTlsTest, ServesTlsWithBasicAuth) {
  const std::uint16_t port = free_listen_port();
  const TempDir dir;
  const Pki pki(dir);
  // Relative paths: resolved against the web config's directory.
  const std::string web =
      dir.write("web.yml", std::string("tls_server_config:\n  cert_file: server.crt\n"
                                       "  key_file: server.key\nbasic_auth_users:\n  alice: ") +
                               kAliceHash + "\n");
  const std::string config = dir.write("config.yaml", exporter_config(port));
  ExporterProcess exporter(
      port, {"--config.file=" + config, "--web.config.file=" + web, "--bpf.backend=" + backend()},
      answers_over_tls(dir, port), tls_env(dir));

  const std::string ca = "--cacert " + pki.file("server.crt");
  const std::string alice = std::string(" -u 'alice:") + kAlicePassword + "'";
  const CurlResult ok = curl(dir, port, "/metrics", ca + alice);
  EXPECT_EQ(ok.exit_code, 0);
  EXPECT_EQ(ok.status, 200);
  EXPECT_NE(ok.body.find("socket_lsm_hook_calls_total{hook=\"bind\"}"), std::string::npos);
  EXPECT_EQ(curl(dir, port, "/metrics", ca).status, 401);
  EXPECT_EQ(curl(dir, port, "/metrics", ca + " -u alice:wrong").status, 401);
  EXPECT_EQ(curl(dir, port, "/", ca + alice).status, 200);
  // TLS 1.2 is the lowest version offered by default.
  EXPECT_NE(curl(dir, port, "/metrics", ca + alice + " --tlsv1.1 --tls-max 1.1").exit_code, 0);
  // Plain HTTP on the TLS port gets no HTTP answer.
  const auto plain = http_get(port, "/metrics", {kAliceAuthorization});
  EXPECT_FALSE(plain && plain->status != 0) << (plain ? plain->status : 0);
  // ... and the exporter keeps serving after it.
  EXPECT_EQ(curl(dir, port, "/metrics", ca + alice).status, 200);
  EXPECT_EQ(exporter.stop(), 0) << exporter.log();
}

TEST_F(WebConfigTlsTest, RequiresClientCertificatesSignedByTheClientCa) {
  const std::uint16_t port = free_listen_port();
  const TempDir dir;
  const Pki pki(dir);
  const std::string web =
      dir.write("web.yml",
                "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
                "  client_auth_type: RequireAndVerifyClientCert\n"
                "  client_ca_file: ca.crt\n  min_version: TLS13\n");
  const std::string config = dir.write("config.yaml", exporter_config(port));
  const auto with_client_cert = [&dir, &pki, port] {
    return curl(dir, port, "/metrics",
                "-k --cert " + pki.file("client.crt") + " --key " + pki.file("client.key"))
               .status != 0;
  };
  ExporterProcess exporter(
      port, {"--config.file=" + config, "--web.config.file=" + web, "--bpf.backend=" + backend()},
      with_client_cert, tls_env(dir));

  const std::string ca = "--cacert " + pki.file("server.crt");
  const CurlResult ok =
      curl(dir, port, "/metrics",
           ca + " --cert " + pki.file("client.crt") + " --key " + pki.file("client.key"));
  EXPECT_EQ(ok.status, 200);
  EXPECT_NE(ok.body.find("socket_lsm_hook_calls_total"), std::string::npos);
  const CurlResult none = curl(dir, port, "/metrics", ca);
  EXPECT_NE(none.exit_code, 0);
  EXPECT_EQ(none.status, 0);
  const CurlResult stranger =
      curl(dir, port, "/metrics",
           ca + " --cert " + pki.file("stranger.crt") + " --key " + pki.file("stranger.key"));
  EXPECT_NE(stranger.exit_code, 0);
  EXPECT_EQ(stranger.status, 0);
  // min_version TLS13: a TLS 1.2 client is turned away even with a good certificate.
  EXPECT_EQ(curl(dir, port, "/metrics",
                 ca + " --tls-max 1.2 --cert " + pki.file("client.crt") + " --key " +
                     pki.file("client.key"))
                .status,
            0);
  EXPECT_EQ(exporter.stop(), 0) << exporter.log();
}

TEST_F(WebConfigTlsTest, KeyNotMatchingTheCertificateStopsTheExporter) {
  const std::uint16_t port = free_listen_port();
  const TempDir dir;
  const Pki pki(dir);
  const std::string web = dir.write(
      "web.yml", "tls_server_config:\n  cert_file: server.crt\n  key_file: stranger.key\n");
  const std::string config = dir.write("config.yaml", exporter_config(port));
  std::string env;
  for (const auto& e : tls_env(dir)) env += e + " ";
  const CommandOutput out =
      run_command(env + exporter_path() + " --config.file=" + config + " --web.config.file=" + web +
                  " --bpf.backend=" + backend());
  EXPECT_EQ(out.code, 1) << out.text;
  // civetweb's own words (they vary with the key types), the files named instead of the memfd.
  EXPECT_NE(
      out.text.find("cannot listen on 127.0.0.1:" + std::to_string(port) + ": ssl_use_pem_file: "),
      std::string::npos)
      << out.text;
  EXPECT_NE(out.text.find(pki.file("stranger.key") + " + " + pki.file("server.crt")),
            std::string::npos)
      << out.text;
  EXPECT_NE(out.text.find("mismatch"), std::string::npos) << out.text;
}

}  // namespace
}  // namespace sle::test
