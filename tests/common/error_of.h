// The message of the error a call throws, for tests that assert exact error text.
#pragma once

#include <string>

namespace sle::test {

// What call() threw as an E, or "(no error)" when it returned.
template <typename E, typename Call>
std::string error_of(const Call& call) {
  try {
    call();
  } catch (const E& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace sle::test
