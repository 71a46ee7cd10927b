// What the unit tests that load hook objects share: socket calls whose keys no other process on
// the machine makes, so that the kernel's counts of them are exact, and sums over a map's entries.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/unique_fd.h"
#include "loader/hook_object.h"
#include "loader/map_reader.h"

namespace sle::test {

inline bool is_root() { return ::geteuid() == 0; }

// A setsockopt option name (or level) no one else uses: well outside every real one, and distinct
// per process and per `salt`, so that tests running side by side do not share keys. The kernel
// answers ENOPROTOOPT, but the hook has run by then.
inline int unique_number(int salt) {
  return 1'000'000 + static_cast<int>(::getpid() % 100'000) * 10 + salt;
}

// `n` setsockopt calls on a fresh IPv4 UDP socket; returns the number that reached the kernel
// (each fails with ENOPROTOOPT or succeeds, but none may fail otherwise).
inline int setsockopt_calls(int level, int optname, int n) {
  const UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return 0;
  int made = 0;
  const int value = 1;
  for (int i = 0; i < n; ++i) {
    if (::setsockopt(fd.get(), level, optname, &value, sizeof value) == 0 || errno == ENOPROTOOPT)
      ++made;
  }
  return made;
}

// The entries whose key satisfies `match`.
inline std::vector<CountEntry> entries_where(const std::vector<CountEntry>& entries,
                                             const std::function<bool(const sle_key&)>& match) {
  std::vector<CountEntry> out;
  for (const auto& entry : entries)
    if (match(entry.first)) out.push_back(entry);
  return out;
}

// What the object's current generation holds: its hash and its slots.
inline std::vector<CountEntry> counts_now(const HookObject& object) {
  const std::uint32_t gen = object.generation();
  return read_generation(object.counts_fd(gen), object.cache_fd(), gen, object.capacity());
}

inline std::uint64_t sum_counts(const std::vector<CountEntry>& entries) {
  std::uint64_t sum = 0;
  for (const auto& entry : entries) sum += entry.second;
  return sum;
}

}  // namespace sle::test
