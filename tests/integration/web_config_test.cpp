// --web.config.file with the real binary: basic auth on every request, a bad web config stopping
// the exporter with a message naming file, line and key, and TLS for real with curl and openssl
// s_client (versions, client certificates, rotation). Needs root (BPF), curl and openssl.
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
#include <thread>
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

class WebConfigTlsTest : public WebConfigTest {
 protected:
  void SetUp() override {
    WebConfigTest::SetUp();
    if (IsSkipped()) return;
    for (const char* tool : {"curl", "openssl"})
      if (!have(tool)) GTEST_SKIP() << "SKIPPED: needs " << tool;
  }

  static std::function<bool()> answers_over_tls(const TempDir& dir, std::uint16_t port) {
    return [&dir, port] { return curl(dir, port, "/metrics", "-k").status != 0; };
  }
};

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
      answers_over_tls(dir, port));

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
      with_client_cert);

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
  const CommandOutput out =
      run_command("timeout 120 " + exporter_path() + " --config.file=" + config +
                  " --web.config.file=" + web + " --bpf.backend=" + backend());
  EXPECT_EQ(out.code, 1) << out.text;
  EXPECT_NE(
      out.text.find("level=error msg=\"Cannot start\" err=\"the key " + pki.file("stranger.key") +
                    " does not match the certificate " + pki.file("server.crt") + ": "),
      std::string::npos)
      << out.text;
}

// openssl s_client's handshake with the exporter: the protocol it settled on, or "" when refused.
std::string handshake(std::uint16_t port, const std::string& options) {
  const CommandOutput out =
      run_command("echo | timeout 10 openssl s_client -connect 127.0.0.1:" + std::to_string(port) +
                  " " + options + " 2>&1");
  // "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384", or "New, (NONE), ..." when refused.
  const auto at = out.text.find("New, ");
  if (out.code != 0 || at == std::string::npos) return "";
  const std::string protocol = out.text.substr(at + 5, out.text.find(',', at + 5) - at - 5);
  return protocol == "(NONE)" ? "" : protocol;
}

TEST_F(WebConfigTlsTest, OpensslHandshakesWithTls12And13AboveTheMinimum) {
  const std::uint16_t port = free_listen_port();
  const TempDir dir;
  const Pki pki(dir);
  const std::string web =
      dir.write("web.yml", "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n");
  const std::string config = dir.write("config.yaml", exporter_config(port));
  {
    ExporterProcess exporter(
        port, {"--config.file=" + config, "--web.config.file=" + web, "--bpf.backend=" + backend()},
        answers_over_tls(dir, port));
    EXPECT_EQ(handshake(port, "-tls1_2"), "TLSv1.2");
    EXPECT_EQ(handshake(port, "-tls1_3"), "TLSv1.3");
    EXPECT_EQ(handshake(port, "-tls1_1 -cipher DEFAULT@SECLEVEL=0"), "");
    EXPECT_EQ(exporter.stop(), 0) << exporter.log();
  }
  dir.write("web.yml",
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
            "  min_version: TLS13\n");
  ExporterProcess exporter(
      port, {"--config.file=" + config, "--web.config.file=" + web, "--bpf.backend=" + backend()},
      answers_over_tls(dir, port));
  EXPECT_EQ(handshake(port, "-tls1_3"), "TLSv1.3");
  EXPECT_EQ(handshake(port, "-tls1_2"), "");
  EXPECT_EQ(exporter.stop(), 0) << exporter.log();
}

TEST_F(WebConfigTlsTest, ClientCertificatesVerifiedIfGiven) {
  const std::uint16_t port = free_listen_port();
  const TempDir dir;
  const Pki pki(dir);
  const std::string web =
      dir.write("web.yml",
                "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
                "  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: ca.crt\n");
  const std::string config = dir.write("config.yaml", exporter_config(port));
  ExporterProcess exporter(
      port, {"--config.file=" + config, "--web.config.file=" + web, "--bpf.backend=" + backend()},
      answers_over_tls(dir, port));
  const std::string ca = "--cacert " + pki.file("server.crt");
  EXPECT_EQ(curl(dir, port, "/metrics", ca).status, 200);  // none given: fine
  EXPECT_EQ(curl(dir, port, "/metrics",
                 ca + " --cert " + pki.file("client.crt") + " --key " + pki.file("client.key"))
                .status,
            200);
  const CurlResult stranger =
      curl(dir, port, "/metrics",
           ca + " --cert " + pki.file("stranger.crt") + " --key " + pki.file("stranger.key"));
  EXPECT_NE(stranger.exit_code, 0);
  EXPECT_EQ(stranger.status, 0);
  EXPECT_EQ(exporter.stop(), 0) << exporter.log();
}

// The subject of the certificate the exporter serves now.
std::string served_subject(std::uint16_t port) {
  const CommandOutput out =
      run_command("echo | timeout 10 openssl s_client -connect 127.0.0.1:" + std::to_string(port) +
                  " 2>/dev/null | openssl x509 -noout -subject");
  return out.code == 0 ? out.text.substr(0, out.text.find('\n')) : "";
}

TEST_F(WebConfigTlsTest, ARotatedCertificateIsServedWithoutARestart) {
  const std::uint16_t port = free_listen_port();
  const TempDir dir;
  const Pki pki(dir);
  const std::string web =
      dir.write("web.yml", "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n");
  const std::string config = dir.write("config.yaml", exporter_config(port));
  ExporterProcess exporter(
      port, {"--config.file=" + config, "--web.config.file=" + web, "--bpf.backend=" + backend()},
      answers_over_tls(dir, port));
  EXPECT_EQ(served_subject(port), "subject=CN = localhost");
  // A new key and certificate written over the old ones, as cert-manager or certbot do.
  ASSERT_EQ(run_command("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
                        "-nodes -days 1 -keyout " +
                        dir.file("new.key") + " -out " + dir.file("new.crt") +
                        " -subj /CN=rotated -addext subjectAltName=IP:127.0.0.1")
                .code,
            0);
  std::filesystem::rename(dir.file("new.key"), dir.file("server.key"));
  std::filesystem::rename(dir.file("new.crt"), dir.file("server.crt"));
  std::string subject;
  for (int i = 0; i < 30 && subject != "subject=CN = rotated"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    subject = served_subject(port);
  }
  EXPECT_EQ(subject, "subject=CN = rotated");
  EXPECT_EQ(curl(dir, port, "/metrics", "--cacert " + dir.file("server.crt")).status, 200);
  EXPECT_EQ(exporter.stop(), 0) << exporter.log();
}

}  // namespace
}  // namespace sle::test
