// Inside basic_auth.cpp, and for its tests: reading the Authorization header.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace sle {

// The user and password of an "Authorization: Basic base64(user:password)" header value; nullopt
// when it is not one (another scheme, bad base64, no ':').
std::optional<std::pair<std::string, std::string>> parse_basic_authorization(
    std::string_view header_value);

}  // namespace sle
