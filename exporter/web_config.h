// --web.config.file: the Prometheus exporter-toolkit web configuration (TLS, bcrypt basic auth,
// extra response headers), parsed and validated, and the basic-auth check the server runs on every
// request. Errors name the file, line, column and key path like the main config's:
//   web.yml:3:13: tls_server_config.key_file: cannot read /etc/sle/tls.key: Permission denied
// Unlike exporter-toolkit, the file is read once at startup: restart to apply changes.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct crypt_data;  // <crypt.h>

namespace sle {

enum class TlsVersion { kTls10, kTls11, kTls12, kTls13 };

// exporter-toolkit's client_auth_type values that civetweb can enforce.
enum class ClientAuth {
  kNone,              // NoClientCert
  kVerifyIfGiven,     // VerifyClientCertIfGiven
  kRequireAndVerify,  // RequireAndVerifyClientCert
};

struct TlsServerConfig {
  // Paths as written, relative ones resolved against the web config file's directory by
  // load_web_config_file (as exporter-toolkit does).
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;  // empty = none
  ClientAuth client_auth = ClientAuth::kNone;
  TlsVersion min_version = TlsVersion::kTls12;

  friend bool operator==(const TlsServerConfig&, const TlsServerConfig&) = default;
};

struct WebConfig {
  std::optional<TlsServerConfig> tls;                        // nullopt = plain HTTP
  std::map<std::string, std::string> basic_auth_users;       // user name -> bcrypt hash
  std::vector<std::pair<std::string, std::string>> headers;  // added to every response

  friend bool operator==(const WebConfig&, const WebConfig&) = default;
};

// Parses and validates a document without touching the filesystem; file_name only appears in
// error messages. An empty document gives WebConfig{} (plain HTTP, no auth). Throws ConfigError.
WebConfig parse_web_config(std::string_view yaml_text, std::string_view file_name);

// Reads the file ("cannot read <path>: <strerror>"), parses it, resolves the TLS file paths
// against the file's directory, checks that they can be read and that TLS can be served here (see
// tls_unavailable_reason). Throws ConfigError.
WebConfig load_web_config_file(const std::string& path);

// Why this process can't serve TLS, or "" when it can. civetweb (without NO_SSL_DL) dlopens
// OpenSSL as "libssl.so" and "libcrypto.so" and looks its functions up by name; Debian bookworm's
// civetweb 1.15 was built against the OpenSSL 1.1 API and asks for SSL_get_peer_certificate,
// which OpenSSL 3 only has as a macro: civetweb then calls a null pointer on the first TLS
// connection. This makes the same lookups.
std::string tls_unavailable_reason();

// The user and password of an "Authorization: Basic base64(user:password)" header value; nullopt
// when it is not one (another scheme, bad base64, no ':').
std::optional<std::pair<std::string, std::string>> parse_basic_authorization(
    std::string_view header_value);

// Checks basic-auth credentials against the configured bcrypt hashes with crypt(3) (libxcrypt:
// $2a$, $2b$, $2y$). Thread-safe. bcrypt is slow on purpose (tens of ms at cost 10), so, like
// exporter-toolkit, a password that verified is remembered per user and later requests with it
// skip bcrypt; the cache holds at most one entry per configured user. Failures are never cached
// and run one at a time, so a flood of wrong passwords costs at most one core.
class BasicAuth {
 public:
  explicit BasicAuth(std::map<std::string, std::string> users);
  ~BasicAuth();
  BasicAuth(const BasicAuth&) = delete;
  BasicAuth& operator=(const BasicAuth&) = delete;

  // false when no users are configured: every request is let through.
  bool enabled() const { return !users_.empty(); }
  // Whether a request with this Authorization header value (nullptr: none) may pass.
  bool allows(const char* authorization);
  bool check(const std::string& user, const std::string& password);

  std::size_t bcrypt_runs() const;  // for tests: how often the cache missed

 private:
  bool bcrypt_matches(const std::string& password, const std::string& hash);

  const std::map<std::string, std::string> users_;
  mutable std::mutex cache_mutex_;
  std::map<std::string, std::string> verified_;  // user -> password that last verified
  mutable std::mutex bcrypt_mutex_;              // one bcrypt at a time; guards the two below
  std::unique_ptr<crypt_data> crypt_data_;       // crypt_rn's 32 kB scratch space, reused
  std::size_t bcrypt_runs_ = 0;
};

}  // namespace sle
