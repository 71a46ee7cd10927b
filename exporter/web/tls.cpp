#include "web/tls.h"

#include <string.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>

#include "common/error.h"
#include "common/logging.h"

namespace sle {
namespace {

// A file's bytes; what a key held is wiped when done with it.
class FileBytes {
 public:
  explicit FileBytes(const std::string& path) {
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                               &std::fclose);
    if (!file) throw SystemError("cannot read " + path, errno);
    char buf[4096];
    for (std::size_t n = 0; (n = std::fread(buf, 1, sizeof buf, file.get())) > 0;)
      bytes_.append(buf, n);
    ::explicit_bzero(buf, sizeof buf);
  }
  ~FileBytes() { ::explicit_bzero(bytes_.data(), bytes_.size()); }
  gnutls_datum_t datum() {
    return {reinterpret_cast<unsigned char*>(bytes_.data()),
            static_cast<unsigned int>(bytes_.size())};
  }
  std::string& str() { return bytes_; }

 private:
  std::string bytes_;
};

std::timespec mtime(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return st.st_mtim;
}

bool same(const std::timespec& a, const std::timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

// During the handshake, once the client's certificate is in: one that does not verify against
// the client CAs ends the handshake. No certificate at all passes here (GNUTLS_CERT_REQUIRE has
// already turned that away where one is required).
int verify_client(gnutls_session_t session) {
  unsigned int count = 0;
  if (!gnutls_certificate_get_peers(session, &count) || count == 0) return 0;
  unsigned int status = 0;
  if (gnutls_certificate_verify_peers2(session, &status) < 0 || status != 0) return -1;
  return 0;
}

}  // namespace

TlsCredentials::Loaded::~Loaded() {
  for (auto& cert : chain) gnutls_pcert_deinit(&cert);
  if (key) gnutls_privkey_deinit(key);
}

std::unique_ptr<TlsCredentials::Loaded> TlsCredentials::load() const {
  auto loaded = std::make_unique<Loaded>();
  loaded->cert_mtime = mtime(config_.cert_file);
  loaded->key_mtime = mtime(config_.key_file);
  FileBytes cert(config_.cert_file);
  FileBytes key(config_.key_file);
  gnutls_datum_t cert_datum = cert.datum();
  unsigned int n = 16;  // a chain longer than this is no server certificate
  loaded->chain.resize(n);
  int err = gnutls_pcert_list_import_x509_raw(loaded->chain.data(), &n, &cert_datum,
                                              GNUTLS_X509_FMT_PEM, 0);
  if (err < 0) {
    loaded->chain.clear();
    throw SystemError("the certificate " + config_.cert_file + ": " + gnutls_strerror(err));
  }
  loaded->chain.resize(n);
  gnutls_datum_t key_datum = key.datum();
  if ((err = gnutls_privkey_init(&loaded->key)) < 0 ||
      (err = gnutls_privkey_import_x509_raw(loaded->key, &key_datum, GNUTLS_X509_FMT_PEM, nullptr,
                                            0)) < 0)
    throw SystemError("the key " + config_.key_file + ": " + gnutls_strerror(err));
  // The key must be the certificate's: sign and verify a few bytes.
  const unsigned char probe[] = "socket-lsm-exporter";
  const gnutls_datum_t data{const_cast<unsigned char*>(probe), sizeof probe};
  gnutls_datum_t signature{};
  const auto algo = static_cast<gnutls_pk_algorithm_t>(
      gnutls_pubkey_get_pk_algorithm(loaded->chain[0].pubkey, nullptr));
  const gnutls_sign_algorithm_t sign = gnutls_pk_to_sign(
      algo, algo == GNUTLS_PK_EDDSA_ED25519 ? GNUTLS_DIG_UNKNOWN : GNUTLS_DIG_SHA256);
  err = gnutls_privkey_sign_data2(loaded->key, sign, 0, &data, &signature);
  if (err >= 0) {
    err = gnutls_pubkey_verify_data2(loaded->chain[0].pubkey, sign, 0, &data, &signature);
    gnutls_free(signature.data);
  }
  if (err < 0)
    throw SystemError("the key " + config_.key_file + " does not match the certificate " +
                      config_.cert_file + ": " + gnutls_strerror(err));
  return loaded;
}

TlsCredentials::TlsCredentials(const TlsServerConfig& config) : config_(config) {
  loaded_.push_back(load());
  last_check_ = std::time(nullptr);
  if (!config_.client_ca_file.empty()) client_ca_pem_ = FileBytes(config_.client_ca_file).str();
}

TlsCredentials::~TlsCredentials() = default;

std::string TlsCredentials::priorities() const {
  switch (config_.min_version) {
    case TlsVersion::kTls13:
      return "NORMAL:-VERS-ALL:+VERS-TLS1.3";
    case TlsVersion::kTls12:
      return "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2";
    case TlsVersion::kTls11:
      return "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:+VERS-TLS1.1";
    case TlsVersion::kTls10:
      break;
  }
  return "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0";
}

int TlsCredentials::select(gnutls_session_t session, gnutls_pcert_st** pcert,
                           unsigned int* pcert_length, gnutls_privkey_t* privkey) {
  switch (config_.client_auth) {
    case ClientAuth::kNone:
      gnutls_certificate_server_set_request(session, GNUTLS_CERT_IGNORE);
      break;
    case ClientAuth::kVerifyIfGiven:
      gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUEST);
      gnutls_session_set_verify_function(session, &verify_client);
      break;
    case ClientAuth::kRequireAndVerify:
      gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUIRE);
      gnutls_session_set_verify_function(session, &verify_client);
      break;
  }
  const std::lock_guard lock(mu_);
  // A rotated certificate: looked for at most once a second, taken when both files read well.
  const std::time_t now = std::time(nullptr);
  if (now != last_check_) {
    last_check_ = now;
    const Loaded& current = *loaded_.back();
    if (!same(mtime(config_.cert_file), current.cert_mtime) ||
        !same(mtime(config_.key_file), current.key_mtime)) {
      try {
        loaded_.push_back(load());
        log::info("Serving a new TLS certificate", {{"cert_file", config_.cert_file}});
      } catch (const std::exception& e) {
        // A rotation half done (the certificate written, not yet the key): keep the old pair.
        log::warn("The TLS certificate changed but cannot be used (yet); serving the old one",
                  {{"err", e.what()}});
      }
    }
  }
  Loaded& current = *loaded_.back();
  *pcert = current.chain.data();
  *pcert_length = static_cast<unsigned int>(current.chain.size());
  *privkey = current.key;
  return 0;
}

}  // namespace sle
