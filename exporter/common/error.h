// The exporter's one error rule (docs/architecture.md, "Errors"): a function that cannot do its job
// throws an sle::Error whose message says what was being done and why it failed; it never returns a
// flag with a reason beside it. There are two kinds, and main() maps each to its exit code:
//   - ConfigError: what the user gave is wrong (a flag, the config, the web config). Exit code 2,
//     before anything is loaded. The message names the file, line, column and key, or the flag.
//   - SystemError: the system refused (a BPF load or attach, a mount, a map read, a listening
//     socket). Under `auto` the loader catches it and tries the next backend; otherwise exit 1,
//     after every object and link is released (RAII).
#pragma once

#include <cstring>
#include <stdexcept>
#include <string>

namespace sle {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ConfigError : public Error {
 public:
  using Error::Error;
};

// The text of a positive errno, as strerror gives it, from any thread (strerror_r, GNU's).
inline std::string errno_text(int err) {
  char buffer[128];
  return ::strerror_r(err, buffer, sizeof buffer);
}

class SystemError : public Error {
 public:
  explicit SystemError(const std::string& what) : Error(what) {}
  // err: a positive errno; the message ends in its strerror text.
  SystemError(const std::string& what, int err) : Error(what + ": " + errno_text(err)) {}
};

}  // namespace sle
