// Basic-auth credentials the tests share: a hash made by another bcrypt implementation than the
// one under test, and a way to make fresh ones.
#pragma once

#include <crypt.h>

#include <array>
#include <stdexcept>
#include <string>

namespace sle::test {

// Made with `htpasswd -nbBC 4 alice 'correct horse battery staple'` (apache2-utils): a hash from
// another bcrypt implementation than the one under test, with the $2y$ prefix Go and PHP use.
inline constexpr const char* kAliceHash =
    "$2y$04$rlNgNpmjdyenkNKA7CqQ7e73V0CExXoPefPvR8Z/NBJx3YdLKASEO";
inline constexpr const char* kAlicePassword = "correct horse battery staple";
// The Authorization header value of alice:correct horse battery staple.
inline constexpr const char* kAliceAuthorization =
    "Basic YWxpY2U6Y29ycmVjdCBob3JzZSBiYXR0ZXJ5IHN0YXBsZQ==";

// A $2b$ hash of `password` made here with libxcrypt, at the lowest cost to keep tests fast.
inline std::string bcrypt(const std::string& password) {
  std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> salt{};
  if (!crypt_gensalt_rn("$2b$", 4, nullptr, 0, salt.data(), static_cast<int>(salt.size())))
    throw std::runtime_error("crypt_gensalt_rn failed");
  crypt_data data{};
  const char* hash = crypt_rn(password.c_str(), salt.data(), &data, sizeof data);
  if (!hash) throw std::runtime_error("crypt_rn failed");
  return hash;
}

}  // namespace sle::test
