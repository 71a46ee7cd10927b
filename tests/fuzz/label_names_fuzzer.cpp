// The label decoders of hooks/label_names.h on any numbers, and family_from_name on any text.
// Every decoder returns a non-empty value; an unknown number is its decimal (signed for the C ints
// of setsockopt); socket type flags do not change a type's name; and family names round-trip
// through family_from_name.
//
// Input: five 32-bit numbers (family, type, protocol, level, optname; missing bytes are zero),
// and the whole input as the text for family_from_name.
#include <algorithm>
#include <array>
#include <cstring>
#include <string>

#include "fuzz_check.h"
#include "hooks/label_names.h"

namespace {

using sle::fuzz::printable;

bool is_decimal(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

bool is_signed_decimal(const std::string& s) {
  return is_decimal(s.starts_with('-') ? s.substr(1) : s);
}

// A decoded name, or the number itself where the table has none.
void check_name(const std::string& name, std::uint32_t value, bool signed_int, const char* what) {
  FUZZ_CHECK(!name.empty(), std::string(what) + " " + std::to_string(value));
  const bool numeric = signed_int ? is_signed_decimal(name) : is_decimal(name);
  if (numeric) {
    const std::string expected =
        signed_int ? std::to_string(static_cast<std::int32_t>(value)) : std::to_string(value);
    FUZZ_CHECK(name == expected, std::string(what) + " " + std::to_string(value) + " -> " + name);
  }
}

void check_family_round_trip(std::uint32_t family) {
  const std::string name = sle::family_name(family);
  const auto back = sle::family_from_name(name);
  FUZZ_CHECK(back && *back == family, std::to_string(family) + " -> " + name + " -> " +
                                          (back ? std::to_string(*back) : "nullopt"));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::array<std::uint32_t, 5> n{};
  std::memcpy(n.data(), data, std::min(size, sizeof n));
  const auto [family, type, protocol, level, optname] = n;

  check_name(sle::family_name(family), family, false, "family");
  check_family_round_trip(family);
  check_family_round_trip(family % 64);  // the families a config can name

  const std::string type_name = sle::type_name(type);
  check_name(type_name, type & 0xf, false, "type");
  // SOCK_NONBLOCK and SOCK_CLOEXEC (and anything above the type bits) are not part of the type.
  FUZZ_CHECK(type_name == sle::type_name(type & 0xf), std::to_string(type) + " -> " + type_name);

  check_name(sle::protocol_name(family, protocol), protocol, false, "protocol");
  check_name(sle::level_name(level), level, true, "level");
  check_name(sle::optname_name(level, optname), optname, true, "optname");

  // Any text: when it names a family, that family's own name names it too.
  const std::string_view text = sle::fuzz::as_text(data, size);
  if (const auto f = sle::family_from_name(text)) {
    const auto again = sle::family_from_name(sle::family_name(*f));
    FUZZ_CHECK(again && *again == *f, printable(text) + " -> " + std::to_string(*f));
  }
  return 0;
}
