// HTTP basic authentication against the web config's bcrypt hashes (exporter-toolkit's
// basic_auth_users), checked by the server on every request.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

struct crypt_data;  // <crypt.h>

namespace sle {

namespace test {
struct BasicAuthPeer;  // tests/exporter/web/basic_auth_test.cpp
}

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

 protected:
  // Runs crypt(3); virtual so that tests can count how often the cache missed.
  virtual bool bcrypt_matches(const std::string& password, const std::string& hash);

 private:
  friend struct test::BasicAuthPeer;
  bool check(const std::string& user, const std::string& password);

  const std::map<std::string, std::string> users_;
  std::mutex cache_mutex_;
  std::map<std::string, std::string> verified_;  // user -> password that last verified
  std::mutex bcrypt_mutex_;                      // one bcrypt at a time; guards crypt_data_
  std::unique_ptr<crypt_data> crypt_data_;       // crypt_rn's 32 kB scratch space, reused
};

}  // namespace sle
