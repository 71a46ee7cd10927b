// TLS for the HTTP server, with GnuTLS (what libmicrohttpd is built with): exporter-toolkit's
// tls_server_config. The certificate and key are read again when either file changes on disk, at
// the next handshake, so a rotated certificate is served without a restart. Client certificates
// are asked for, and verified against client_ca_file, during the handshake: a client without one,
// or with one no configured CA signed, is refused before any HTTP.
#pragma once

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/web_config.h"

namespace sle {

class TlsCredentials {
 public:
  // Reads the certificate chain and key; throws SystemError when they cannot be used.
  explicit TlsCredentials(const TlsServerConfig& config);
  ~TlsCredentials();
  TlsCredentials(const TlsCredentials&) = delete;
  TlsCredentials& operator=(const TlsCredentials&) = delete;

  // libmicrohttpd's HTTPS priorities for min_version ("NORMAL:-VERS-ALL:+VERS-TLS1.3:...").
  std::string priorities() const;
  // The client CA file's PEM, for libmicrohttpd's trust list ("" without client auth).
  const std::string& client_ca_pem() const { return client_ca_pem_; }

  // The handshake's certificate callback: sets what is asked of the client and hands GnuTLS the
  // current certificate and key (read again first if a file changed).
  int select(gnutls_session_t session, gnutls_pcert_st** pcert, unsigned int* pcert_length,
             gnutls_privkey_t* privkey);

 private:
  // One certificate chain and key, as read at one time.
  struct Loaded {
    std::vector<gnutls_pcert_st> chain;
    gnutls_privkey_t key = nullptr;
    std::timespec cert_mtime{}, key_mtime{};
    ~Loaded();
  };
  std::unique_ptr<Loaded> load() const;  // throws SystemError

  const TlsServerConfig config_;
  std::string client_ca_pem_;
  std::mutex mu_;
  // The one handed out now is the last; earlier ones stay alive for sessions that got them (a
  // rotation is rare: a few kilobytes each until the server stops).
  std::vector<std::unique_ptr<Loaded>> loaded_;
  std::time_t last_check_ = 0;
};

}  // namespace sle
