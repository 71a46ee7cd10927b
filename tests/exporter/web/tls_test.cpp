// TLS credentials from files the test makes with openssl: the priorities for each min_version,
// and the errors a bad pair gives (the handshakes themselves are in the integration tests).
#include "web/tls.h"

#include <gtest/gtest.h>

#include <string>

#include "common/error.h"
#include "temp_dir.h"

namespace sle {
namespace {

using test::TempDir;

bool openssl(const std::string& args) {
  return std::system(("openssl " + args + " >/dev/null 2>&1").c_str()) == 0;
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1";
    ASSERT_TRUE(openssl("req -x509 " + key + " -keyout " + dir_.file("a.key") + " -out " +
                        dir_.file("a.crt") + " -subj /CN=a"));
    ASSERT_TRUE(openssl("req -x509 " + key + " -keyout " + dir_.file("b.key") + " -out " +
                        dir_.file("b.crt") + " -subj /CN=b"));
  }
  TlsServerConfig config(const char* cert, const char* key) const {
    TlsServerConfig c;
    c.cert_file = dir_.file(cert);
    c.key_file = dir_.file(key);
    return c;
  }
  TempDir dir_;
};

TEST_F(TlsTest, PrioritiesFollowMinVersion) {
  TlsServerConfig c = config("a.crt", "a.key");
  c.min_version = TlsVersion::kTls13;
  EXPECT_EQ(TlsCredentials(c).priorities(), "NORMAL:-VERS-ALL:+VERS-TLS1.3");
  c.min_version = TlsVersion::kTls12;
  EXPECT_EQ(TlsCredentials(c).priorities(), "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2");
  c.min_version = TlsVersion::kTls10;
  EXPECT_EQ(TlsCredentials(c).priorities(),
            "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0");
  EXPECT_EQ(TlsCredentials(c).client_ca_pem(), "");
}

TEST_F(TlsTest, AKeyOfAnotherCertificateIsRefused) {
  try {
    TlsCredentials credentials(config("a.crt", "b.key"));
    FAIL() << "a mismatched pair was taken";
  } catch (const SystemError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("the key " + dir_.file("b.key") + " does not match the certificate " +
                             dir_.file("a.crt") + ": ",
                         0),
              0u)
        << what;
  }
}

TEST_F(TlsTest, FilesThatAreNotPemAreRefused) {
  dir_.write("junk.crt", "not a certificate\n");
  EXPECT_THROW(TlsCredentials(config("junk.crt", "a.key")), SystemError);
  EXPECT_THROW(TlsCredentials(config("a.crt", "missing.key")), SystemError);
  TlsServerConfig c = config("a.crt", "a.key");
  c.client_ca_file = dir_.file("b.crt");
  EXPECT_NE(TlsCredentials(c).client_ca_pem().find("-----BEGIN CERTIFICATE-----"),
            std::string::npos);
}

}  // namespace
}  // namespace sle
