// --web.config.file: the Prometheus exporter-toolkit web configuration (TLS, bcrypt basic auth,
// extra response headers), parsed and validated; web/ serves with it. Errors name the file, line,
// column and key path like the main config's:
//   web.yml:3:13: tls_server_config.key_file: cannot read /etc/sle/tls.key: Permission denied
// Unlike exporter-toolkit, the file is read once at startup: restart to apply changes.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sle {

enum class TlsVersion { kTls10, kTls11, kTls12, kTls13 };

// exporter-toolkit's client_auth_type values that the web server can enforce.
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

// Returns when the web server can serve TLS here, else throws an Error saying why
// (web/http_server.h).
using TlsSupport = std::function<void()>;

// Reads the file ("cannot read <path>: <strerror>"), parses it, resolves the TLS file paths
// against the file's directory, checks that they can be read and, when TLS is asked for, that
// tls_support() does not throw. Throws ConfigError.
WebConfig load_web_config_file(const std::string& path, const TlsSupport& tls_support);

}  // namespace sle
