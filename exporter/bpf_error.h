// The error-handling rule of the BPF layer: every libbpf or syscall failure becomes a BpfError
// whose message says what was being done, to which hook, and libbpf's reason (strerror). Callers
// either fall back to another backend (and log the message) or stop with it.
#pragma once

#include <stdexcept>
#include <string>

namespace sle {

class BpfError : public std::runtime_error {
 public:
  BpfError(const std::string& what, int err);  // err: a positive errno
  explicit BpfError(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace sle
