// The basic-auth check against real bcrypt hashes (htpasswd's and libxcrypt's).
#include "web/basic_auth.h"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/web_config.h"
#include "credentials.h"
#include "web/basic_auth_header.h"

namespace sle {

namespace test {
// The check behind allows(), with the user and password already read from the header.
struct BasicAuthPeer {
  static bool check(BasicAuth& auth, const std::string& user, const std::string& password) {
    return auth.check(user, password);
  }
};
}  // namespace test

namespace {

using test::bcrypt;
using test::kAliceHash;
using test::kAlicePassword;
using Users = std::map<std::string, std::string>;

TEST(BasicAuthHeader, Parses) {
  using Credentials = std::optional<std::pair<std::string, std::string>>;
  EXPECT_EQ(parse_basic_authorization("Basic YWxpY2U6c2VjcmV0"),
            (Credentials{{"alice", "secret"}}));
  EXPECT_EQ(parse_basic_authorization("basic YWxpY2U6c2VjcmV0"),
            (Credentials{{"alice", "secret"}}));
  // Split at the first ':': the password may contain more.
  EXPECT_EQ(parse_basic_authorization("Basic YTpiOmM="), (Credentials{{"a", "b:c"}}));
  EXPECT_EQ(parse_basic_authorization("Basic YTo="), (Credentials{{"a", ""}}));
  EXPECT_EQ(parse_basic_authorization("Basic Og=="), (Credentials{{"", ""}}));
  EXPECT_EQ(parse_basic_authorization("Basic YWxpY2U="), std::nullopt);         // no ':'
  EXPECT_EQ(parse_basic_authorization("Basic YWxpY2U6c2VjcmV"), std::nullopt);  // truncated
  EXPECT_EQ(parse_basic_authorization("Basic YQ=a"), std::nullopt);             // '=' inside
  EXPECT_EQ(parse_basic_authorization("Basic YWx*Y2U6"), std::nullopt);
  EXPECT_EQ(parse_basic_authorization("Bearer YWxpY2U6c2VjcmV0"), std::nullopt);
  EXPECT_EQ(parse_basic_authorization("Basic"), std::nullopt);
  EXPECT_EQ(parse_basic_authorization(""), std::nullopt);
}

TEST(BasicAuth, ChecksAnHtpasswdHash) {
  BasicAuth auth(Users{{"alice", kAliceHash}});
  EXPECT_TRUE(auth.enabled());
  EXPECT_TRUE(test::BasicAuthPeer::check(auth, "alice", kAlicePassword));
  EXPECT_FALSE(test::BasicAuthPeer::check(auth, "alice", "correct horse battery stapl"));
  EXPECT_FALSE(test::BasicAuthPeer::check(auth, "alice", ""));
  EXPECT_FALSE(test::BasicAuthPeer::check(auth, "bob", kAlicePassword));
  EXPECT_FALSE(test::BasicAuthPeer::check(auth, "Alice", kAlicePassword));
  // crypt(3) would stop at the NUL and see the right password.
  EXPECT_FALSE(test::BasicAuthPeer::check(
      auth, "alice", std::string(kAlicePassword) + std::string(1, '\0') + "x"));
}

TEST(BasicAuth, ChecksAGeneratedHash) {
  const std::string hash = bcrypt("s3cret: with colon");
  ASSERT_EQ(hash.rfind("$2b$04$", 0), 0u) << hash;
  EXPECT_EQ(parse_web_config("basic_auth_users:\n  bob: " + hash + "\n", "web.yml")
                .basic_auth_users.at("bob"),
            hash);
  BasicAuth auth(Users{{"alice", kAliceHash}, {"bob", hash}});
  EXPECT_TRUE(test::BasicAuthPeer::check(auth, "bob", "s3cret: with colon"));
  EXPECT_FALSE(test::BasicAuthPeer::check(auth, "bob", kAlicePassword));
  EXPECT_TRUE(test::BasicAuthPeer::check(auth, "alice", kAlicePassword));
}

// Counts how often bcrypt runs, that is how often the cache of verified passwords missed.
class CountingBasicAuth : public BasicAuth {
 public:
  using BasicAuth::BasicAuth;
  std::size_t bcrypt_runs() const { return runs_; }

 protected:
  bool bcrypt_matches(const std::string& password, const std::string& hash) override {
    ++runs_;
    return BasicAuth::bcrypt_matches(password, hash);
  }

 private:
  std::atomic<std::size_t> runs_{0};
};

TEST(BasicAuth, CachesSuccessesOnly) {
  CountingBasicAuth auth(Users{{"alice", kAliceHash}});
  EXPECT_TRUE(test::BasicAuthPeer::check(auth, "alice", kAlicePassword));
  EXPECT_EQ(auth.bcrypt_runs(), 1u);
  for (int i = 0; i < 5; ++i)
    EXPECT_TRUE(test::BasicAuthPeer::check(auth, "alice", kAlicePassword));
  EXPECT_EQ(auth.bcrypt_runs(), 1u);  // scrapes after the first skip bcrypt
  EXPECT_FALSE(test::BasicAuthPeer::check(auth, "alice", "wrong"));
  EXPECT_FALSE(test::BasicAuthPeer::check(auth, "alice", "wrong"));
  EXPECT_EQ(auth.bcrypt_runs(), 3u);  // failures always pay
  // Unknown users pay bcrypt too, so that timing does not tell which names exist.
  EXPECT_FALSE(test::BasicAuthPeer::check(auth, "mallory", kAlicePassword));
  EXPECT_EQ(auth.bcrypt_runs(), 4u);
  EXPECT_TRUE(test::BasicAuthPeer::check(auth, "alice", kAlicePassword));
  EXPECT_EQ(auth.bcrypt_runs(), 4u);
}

TEST(BasicAuth, AllowsByHeader) {
  BasicAuth auth(Users{{"alice", kAliceHash}});
  // "alice:correct horse battery staple"
  EXPECT_TRUE(auth.allows("Basic YWxpY2U6Y29ycmVjdCBob3JzZSBiYXR0ZXJ5IHN0YXBsZQ=="));
  EXPECT_FALSE(auth.allows("Basic YWxpY2U6c2VjcmV0"));
  EXPECT_FALSE(auth.allows("Basic !!!!"));
  EXPECT_FALSE(auth.allows(nullptr));
  BasicAuth none(Users{});
  EXPECT_FALSE(none.enabled());
  EXPECT_TRUE(none.allows(nullptr));
  EXPECT_FALSE(test::BasicAuthPeer::check(none, "alice", kAlicePassword));
}

TEST(BasicAuth, ConcurrentChecksAgree) {
  BasicAuth auth(Users{{"alice", kAliceHash}});
  std::vector<std::thread> threads;
  std::array<int, 8> results{};
  for (std::size_t i = 0; i < results.size(); ++i)
    threads.emplace_back([&, i] {
      results[i] =
          test::BasicAuthPeer::check(auth, "alice", i % 2 ? kAlicePassword : "wrong") ? 1 : 0;
    });
  for (auto& t : threads) t.join();
  for (std::size_t i = 0; i < results.size(); ++i) EXPECT_EQ(results[i], i % 2 ? 1 : 0) << i;
}

}  // namespace
}  // namespace sle
