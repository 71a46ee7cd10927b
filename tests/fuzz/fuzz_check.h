// What the fuzz targets share: a property check that stops the run with a message (libFuzzer then
// saves the input as a crash reproducer), and the shapes of the identifiers the exporter derives.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace sle::fuzz {

[[noreturn]] inline void property_failed(const char* file, int line, const char* condition,
                                         const std::string& detail) {
  std::fprintf(stderr, "\nPROPERTY FAILED at %s:%d: %s\n  %s\n", file, line, condition,
               detail.c_str());
  std::abort();
}

// FUZZ_CHECK(condition, detail): detail is a std::string (or convertible), built only on failure.
#define FUZZ_CHECK(condition, detail)                                                       \
  do {                                                                                      \
    if (!(condition)) ::sle::fuzz::property_failed(__FILE__, __LINE__, #condition, detail); \
  } while (0)

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

inline bool is_lower_hex(std::string_view s) {
  for (const char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// A Kubernetes pod uid as the API shows it: 8-4-4-4-12 lower-case hex digits.
inline bool is_pod_uid(std::string_view s) {
  if (s.size() != 36) return false;
  for (const std::size_t dash : {8u, 13u, 18u, 23u})
    if (s[dash] != '-') return false;
  return is_lower_hex(s.substr(0, 8)) && is_lower_hex(s.substr(9, 4)) &&
         is_lower_hex(s.substr(14, 4)) && is_lower_hex(s.substr(19, 4)) &&
         is_lower_hex(s.substr(24, 12));
}

// A container runtime's full id: 64 lower-case hex digits.
inline bool is_container_id(std::string_view s) { return s.size() == 64 && is_lower_hex(s); }

// The text with control characters and non-ASCII bytes escaped, for messages.
inline std::string printable(std::string_view s) {
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out += c;
    } else {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", u);
      out += escaped;
    }
  }
  return out;
}

}  // namespace sle::fuzz
