#include "config/web_config.h"

#include <string.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <span>

#include "common/error.h"
#include "config/yaml_fields.h"

namespace sle {
namespace {

using namespace std::string_view_literals;

constexpr auto kTopKeys =
    std::to_array({"tls_server_config"sv, "http_server_config"sv, "basic_auth_users"sv});
constexpr auto kTlsKeys = std::to_array({"cert_file"sv, "key_file"sv, "client_auth_type"sv,
                                         "client_ca_file"sv, "min_version"sv, "max_version"sv});
constexpr auto kHttpKeys = std::to_array({"headers"sv, "http2"sv});
// exporter-toolkit keys this exporter does not implement: reported as such, not as unknown.
constexpr auto kUnsupportedTopKeys = std::to_array({"rate_limit"sv});
constexpr auto kUnsupportedTlsKeys =
    std::to_array({"cert"sv, "key"sv, "client_ca"sv, "client_allowed_sans"sv, "cipher_suites"sv,
                   "prefer_server_cipher_suites"sv, "curve_preferences"sv});

// The headers exporter-toolkit lets a config set, with their allowed values (none: any value).
struct HeaderRule {
  std::string_view name;
  std::span<const std::string_view> values;
};
constexpr auto kFrameOptions = std::to_array({"deny"sv, "sameorigin"sv});
constexpr auto kContentTypeOptions = std::to_array({"nosniff"sv});
constexpr std::array<HeaderRule, 5> kHeaderRules = {{
    {"Content-Security-Policy", {}},
    {"X-Frame-Options", kFrameOptions},
    {"X-Content-Type-Options", kContentTypeOptions},
    {"X-XSS-Protection", {}},
    {"Strict-Transport-Security", {}},
}};

struct TlsVersionName {
  std::string_view name;
  TlsVersion version;
};
constexpr std::array<TlsVersionName, 4> kTlsVersions = {{{"TLS10", TlsVersion::kTls10},
                                                         {"TLS11", TlsVersion::kTls11},
                                                         {"TLS12", TlsVersion::kTls12},
                                                         {"TLS13", TlsVersion::kTls13}}};

struct ClientAuthName {
  std::string_view name;
  ClientAuth value;
};
constexpr std::array<ClientAuthName, 3> kClientAuths = {
    {{"NoClientCert", ClientAuth::kNone},
     {"VerifyClientCertIfGiven", ClientAuth::kVerifyIfGiven},
     {"RequireAndVerifyClientCert", ClientAuth::kRequireAndVerify}}};
// Go's modes that accept a certificate without verifying it; the exporter verifies whatever it
// gets.
constexpr auto kUnverifiedClientAuths =
    std::to_array({"RequestClientCert"sv, "RequireAnyClientCert"sv});

// $2a$, $2b$ or $2y$, a two-digit cost 04-31, then 22 characters of salt and 31 of hash in
// bcrypt's base64 alphabet: what htpasswd -B and Go's bcrypt make.
bool is_bcrypt_hash(std::string_view hash) {
  constexpr std::size_t kLength = 60;
  if (hash.size() != kLength ||
      !(hash.starts_with("$2a$") || hash.starts_with("$2b$") || hash.starts_with("$2y$")))
    return false;
  if (hash[4] < '0' || hash[4] > '9' || hash[5] < '0' || hash[5] > '9' || hash[6] != '$')
    return false;
  const int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
  if (cost < 4 || cost > 31) return false;
  return hash.find_first_not_of("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                                7) == std::string_view::npos;
}

class Parser : private YamlFields {
 public:
  // With a base directory (the config file's), TLS file paths are resolved against it and the
  // files and the TLS support are checked; without, nothing outside the text is looked at.
  Parser(std::string_view file, std::optional<std::filesystem::path> base_dir,
         TlsSupport tls_support = {})
      : YamlFields(file, ControlChars::kHexEscapes),
        base_dir_(std::move(base_dir)),
        tls_support_(std::move(tls_support)) {}

  WebConfig parse(std::string_view text) const {
    WebConfig config;
    for (const auto& e : entries(root(text), kTopKeys, kUnsupportedTopKeys)) {
      if (e.key == "tls_server_config") config.tls = tls(e.value);
      if (e.key == "http_server_config") config.headers = http(e.value);
      if (e.key == "basic_auth_users") config.basic_auth_users = users(e.value);
    }
    return config;
  }

 private:
  std::string non_empty_string(const Field& field) const {
    const std::string& text = string(field);
    if (text.empty()) fail(field, "must not be empty");
    return text;
  }

  std::optional<TlsServerConfig> tls(const Field& section) const {
    TlsServerConfig out;
    std::optional<Field> cert, key, client_ca, client_auth;
    for (const auto& e : entries(section, kTlsKeys, kUnsupportedTlsKeys)) {
      if (e.key == "cert_file") {
        out.cert_file = non_empty_string(e.value);
        cert = e.value;
      } else if (e.key == "key_file") {
        out.key_file = non_empty_string(e.value);
        key = e.value;
      } else if (e.key == "client_ca_file") {
        out.client_ca_file = non_empty_string(e.value);
        client_ca = e.value;
      } else if (e.key == "client_auth_type") {
        out.client_auth = client_auth_type(e.value);
        client_auth = e.value;
      } else if (e.key == "min_version") {
        out.min_version = tls_version(e.value);
      } else if (e.key == "max_version") {
        // Only a lower bound is set; TLS13 is the highest version anyway.
        if (tls_version(e.value) != TlsVersion::kTls13)
          fail(e.value, "only TLS13 (the default) is supported");
      }
    }
    // As in exporter-toolkit: a section without certificate, key or client settings leaves TLS
    // off (configs often carry an empty one next to basic_auth_users).
    if (!cert && !key && !client_ca && !client_auth) return std::nullopt;
    if (!cert && !key) fail(section, "cert_file and key_file are required for TLS");
    if (!key) fail(section, "key_file is missing (cert_file is set)");
    if (!cert) fail(section, "cert_file is missing (key_file is set)");
    if (client_ca && out.client_auth == ClientAuth::kNone)
      fail(*client_ca,
           "client_ca_file is set but client_auth_type is NoClientCert (use "
           "RequireAndVerifyClientCert)");
    if (!client_ca && out.client_auth != ClientAuth::kNone)
      fail(*client_auth, string(*client_auth) +
                             " needs client_ca_file, the CA that signs the client certificates");
    if (base_dir_) {
      out.cert_file = readable_pem(*cert, out.cert_file, "CERTIFICATE");
      out.key_file = readable_pem(*key, out.key_file, "PRIVATE KEY");
      if (client_ca)
        out.client_ca_file = readable_pem(*client_ca, out.client_ca_file, "CERTIFICATE");
      try {
        if (tls_support_) tls_support_();
      } catch (const Error& e) {
        fail(section, std::string("TLS is not available: ") + e.what());
      }
    }
    return out;
  }

  // The path resolved against the config's directory, after checking that the file reads and
  // holds a PEM block of the kind (the PEM label ends with it: "RSA PRIVATE KEY", ...).
  std::string readable_pem(const Field& field, const std::string& path,
                           std::string_view kind) const {
    const std::filesystem::path p(path);
    std::string resolved = p.is_absolute() ? path : (*base_dir_ / p).string();
    std::string text;
    try {
      text = read_file(resolved);
    } catch (const ConfigError& e) {
      fail(field, e.what());  // where the web config names the file
    }
    const bool has_block = text.find(std::string(kind) + "-----") != std::string::npos &&
                           text.find("-----BEGIN ") != std::string::npos;
    ::explicit_bzero(text.data(), text.size());  // it may be the private key
    if (!has_block)
      fail(field, resolved + " holds no PEM " +
                      (kind == "CERTIFICATE" ? "certificate" : "private key") + " (-----BEGIN ..." +
                      std::string(kind) + "-----)");
    return resolved;
  }

  ClientAuth client_auth_type(const Field& field) const {
    const std::string& text = string(field);
    for (const auto& c : kClientAuths)
      if (c.name == text) return c.value;
    const std::string supported = join(kClientAuths, [](const auto& c) { return c.name; });
    if (contains(kUnverifiedClientAuths, text))
      fail(field, text +
                      " is not supported: the exporter verifies every client certificate it "
                      "asks for (supported: " +
                      supported + ")");
    fail(field, "unknown client_auth_type " + quote(text) + " (supported: " + supported + ")");
  }

  TlsVersion tls_version(const Field& field) const {
    const std::string& text = string(field);
    for (const auto& v : kTlsVersions)
      if (v.name == text) return v.version;
    fail(field, "unknown TLS version " + quote(text) +
                    " (valid: " + join(kTlsVersions, [](const auto& v) { return v.name; }) + ")");
  }

  std::vector<std::pair<std::string, std::string>> http(const Field& section) const {
    std::vector<std::pair<std::string, std::string>> headers;
    for (const auto& e : entries(section, kHttpKeys)) {
      if (e.key == "http2") {
        // Go's servers speak HTTP/2 over TLS when this is true (the default); the exporter
        // speaks HTTP/1.1 either way, which Prometheus scrapes just the same.
        (void)boolean(e.value);
      } else if (e.key == "headers") {
        for (const auto& h : named_entries(e.value)) {
          if (auto parsed = header(h)) headers.push_back(std::move(*parsed));
        }
      }
    }
    return headers;
  }

  // One configured header; nullopt when its value is blank ("unset" in exporter-toolkit).
  std::optional<std::pair<std::string, std::string>> header(const Entry& h) const {
    const HeaderRule* rule = nullptr;
    for (const auto& r : kHeaderRules)
      if (r.name == h.key) rule = &r;
    if (!rule)
      fail(h.key_mark, h.value.path,
           "HTTP header " + quote(h.key) + " can not be configured (supported: " +
               join(kHeaderRules, [](const auto& r) { return r.name; }) + ")");
    const std::string value = h.value.node.IsNull() ? std::string() : string(h.value);
    if (value.empty()) return std::nullopt;
    // The value goes into the response verbatim: no line breaks that would start a new header.
    for (const char c : value)
      if (static_cast<unsigned char>(c) < 0x20 && c != '\t')
        fail(h.value, "control characters are not allowed in a header value");
    if (!rule->values.empty() && !contains(rule->values, value))
      fail(h.value, "invalid value " + quote(value) + " for " + h.key +
                        " (valid: " + join(rule->values) + ")");
    return std::pair{h.key, value};
  }

  std::map<std::string, std::string> users(const Field& section) const {
    std::map<std::string, std::string> out;
    for (const auto& u : named_entries(section)) {
      // Basic auth splits "user:password" at the first ':': such a user could never log in.
      if (u.key.find(':') != std::string::npos)
        fail(u.key_mark, u.value.path, "a user name can not contain ':'");
      if (u.key.empty()) fail(u.key_mark, u.value.path, "a user name can not be empty");
      const std::string& hash = string(u.value);
      if (!is_bcrypt_hash(hash))
        fail(u.value,
             "not a bcrypt hash (expected $2y$, $2b$ or $2a$ and 56 more characters, "
             "as htpasswd -nBC 10 \"\" | tr -d ':\\n' prints)");
      out.emplace(u.key, hash);
    }
    return out;
  }

  std::optional<std::filesystem::path> base_dir_;
  TlsSupport tls_support_;
};

}  // namespace

WebConfig parse_web_config(std::string_view yaml_text, std::string_view file_name) {
  return Parser(file_name, std::nullopt).parse(yaml_text);
}

WebConfig load_web_config_file(const std::string& path, const TlsSupport& tls_support) {
  return Parser(path, std::filesystem::path(path).parent_path(), tls_support)
      .parse(read_file(path));
}

}  // namespace sle
