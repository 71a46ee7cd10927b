// Decimal text to numbers: the one way the exporter reads them, in the config and in label values.
#pragma once

#include <charconv>
#include <optional>
#include <string_view>
#include <system_error>

namespace sle {

// Decimal digits only (no sign, no space, no base prefix) to a T; nullopt when the text is empty,
// has anything else, or is too large for T.
template <typename T>
std::optional<T> parse_unsigned(std::string_view text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  T value{};
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace sle
