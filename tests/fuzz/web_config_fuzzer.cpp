// sle::parse_web_config on any text: it returns a web config the web server can use as it is, or
// throws ConfigError naming the file; nothing else. The seeds are exporter-toolkit web configs.
#include <exception>
#include <string>
#include <string_view>
#include <typeinfo>

#include "common/error.h"
#include "config/web_config.h"
#include "fuzz_check.h"

namespace {

using sle::fuzz::printable;

constexpr std::string_view kFile = "web.yml";

void check_web_config(const sle::WebConfig& c) {
  for (const auto& [user, hash] : c.basic_auth_users) {
    // Basic auth splits at the first ':'; an empty name could never be sent.
    FUZZ_CHECK(!user.empty() && user.find(':') == std::string::npos, printable(user));
    FUZZ_CHECK(hash.size() == 60 && hash.starts_with("$2"), printable(hash));
  }
  for (const auto& [name, value] : c.headers) {
    FUZZ_CHECK(!name.empty() && !value.empty(), printable(name) + ": " + printable(value));
    // The value goes into the response verbatim: a line break would start a header of its own.
    for (const char ch : value)
      FUZZ_CHECK(static_cast<unsigned char>(ch) >= 0x20 || ch == '\t',
                 printable(name) + ": " + printable(value));
  }
  if (c.tls) {
    FUZZ_CHECK(!c.tls->cert_file.empty() && !c.tls->key_file.empty(),
               printable(c.tls->cert_file) + " " + printable(c.tls->key_file));
    // A client CA goes with verifying client certificates, and the other way round.
    FUZZ_CHECK(c.tls->client_ca_file.empty() == (c.tls->client_auth == sle::ClientAuth::kNone),
               printable(c.tls->client_ca_file));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    check_web_config(sle::parse_web_config(sle::fuzz::as_text(data, size), kFile));
  } catch (const sle::ConfigError& e) {
    FUZZ_CHECK(std::string_view(e.what()).starts_with(std::string(kFile) + ":"),
               printable(e.what()));
  } catch (const std::exception& e) {
    FUZZ_CHECK(false, std::string("parse_web_config threw ") + typeid(e).name() +
                          ", not ConfigError: " + printable(e.what()));
  } catch (...) {
    FUZZ_CHECK(false, "parse_web_config threw something that is not a std::exception");
  }
  return 0;
}
