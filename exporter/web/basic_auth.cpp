#include "web/basic_auth.h"

#include <crypt.h>
#include <string.h>
#include <strings.h>

#include <cstdint>

#include "web/basic_auth_header.h"

namespace sle {
namespace {

// Compares without returning early on the first difference, so that the time taken does not
// tell how much of a guess was right. Lengths are not secret (a bcrypt hash has a fixed one).
bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff = static_cast<unsigned char>(diff | (a[i] ^ b[i]));
  return diff == 0;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Standard base64 with padding, as Go's base64.StdEncoding (what exporter-toolkit decodes with)
// reads it. yaml-cpp's decoder silently drops an incomplete last group, so it is not used here.
std::optional<std::string> decode_base64(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (std::size_t i = 0; i < in.size(); i += 4) {
    std::uint32_t group = 0;
    int padding = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = in[i + j];
      int value = 0;
      if (c == '=') {
        if (i + 4 != in.size() || j < 2) return std::nullopt;  // only the last 1 or 2 chars
        ++padding;
      } else {
        value = base64_value(c);
        if (value < 0 || padding > 0) return std::nullopt;
      }
      group = group << 6 | static_cast<std::uint32_t>(value);
    }
    out += static_cast<char>(group >> 16);
    if (padding < 2) out += static_cast<char>(group >> 8 & 0xff);
    if (padding < 1) out += static_cast<char>(group & 0xff);
  }
  return out;
}

}  // namespace

std::optional<std::pair<std::string, std::string>> parse_basic_authorization(
    std::string_view header_value) {
  constexpr std::string_view kPrefix = "Basic ";
  if (header_value.size() < kPrefix.size() ||
      ::strncasecmp(header_value.data(), kPrefix.data(), kPrefix.size()) != 0)
    return std::nullopt;
  const auto decoded = decode_base64(header_value.substr(kPrefix.size()));
  if (!decoded) return std::nullopt;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::pair{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

BasicAuth::BasicAuth(std::map<std::string, std::string> users)
    : users_(std::move(users)), crypt_data_(std::make_unique<crypt_data>()) {}

BasicAuth::~BasicAuth() = default;

bool BasicAuth::allows(const char* authorization) {
  if (!enabled()) return true;
  if (!authorization) return false;
  const auto credentials = parse_basic_authorization(authorization);
  return credentials && check(credentials->first, credentials->second);
}

bool BasicAuth::check(const std::string& user, const std::string& password) {
  if (users_.empty()) return false;
  const auto it = users_.find(user);
  const bool known = it != users_.end();
  if (known) {
    const std::lock_guard lock(cache_mutex_);
    const auto cached = verified_.find(user);
    if (cached != verified_.end() && constant_time_equal(cached->second, password)) return true;
  }
  // An unknown user is checked against a real user's hash all the same, so that the answer takes
  // as long as for a known one and its timing does not tell which user names exist.
  const bool match = bcrypt_matches(password, known ? it->second : users_.begin()->second);
  if (!known || !match) return false;
  const std::lock_guard lock(cache_mutex_);
  verified_[user] = password;
  return true;
}

bool BasicAuth::bcrypt_matches(const std::string& password, const std::string& hash) {
  // crypt(3) stops at a NUL: "secret\0junk" would pass as "secret".
  if (password.find('\0') != std::string::npos) return false;
  const std::lock_guard lock(bcrypt_mutex_);
  const char* out = ::crypt_rn(password.c_str(), hash.c_str(), crypt_data_.get(),
                               static_cast<int>(sizeof(crypt_data)));
  const bool match = out && constant_time_equal(out, hash);
  // The scratch space holds key material derived from the password: don't leave it around.
  ::explicit_bzero(crypt_data_.get(), sizeof(crypt_data));
  return match;
}

}  // namespace sle
