#include "probing.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "mounts.h"
#include "unique_fd.h"

namespace sle {
namespace {

constexpr const char* kSecurityfs = "/sys/kernel/security";

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// A listening TCP socket on an ephemeral loopback port, non-blocking.
UniqueFd listener() {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  const sockaddr_in a = loopback(0);
  ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a);
  ::listen(fd.get(), 1);
  return fd;
}

// One operation that goes through the hook. Results are ignored: the hook fires either way.
void trigger(Hook hook) {
  switch (hook) {
    case Hook::create:
      UniqueFd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)).reset();
      break;
    case Hook::bind: {
      const UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
      const sockaddr_in a = loopback(0);
      ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a);
      break;
    }
    case Hook::connect: {
      // UDP connect sends nothing; port 9 (discard) need not be open.
      const UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
      const sockaddr_in a = loopback(9);
      ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a);
      break;
    }
    case Hook::listen:
      listener().reset();
      break;
    case Hook::accept: {
      // Nothing is pending: accept4 fails with EAGAIN after the hook has run.
      const UniqueFd fd = listener();
      UniqueFd(::accept4(fd.get(), nullptr, nullptr, SOCK_CLOEXEC)).reset();
      break;
    }
    case Hook::setsockopt: {
      const UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
      const int one = 1;
      ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      break;
    }
  }
}

}  // namespace

bool bpf_lsm_active(std::string& why) {
  std::string lsm_file;
  try {
    lsm_file = ensure_mounted("securityfs", kSecurityfs) + "/lsm";
  } catch (const std::exception& e) {
    why = e.what();
    return false;
  }
  std::ifstream in(lsm_file);
  std::string list;
  if (!in || !std::getline(in, list)) {
    why = "cannot read " + lsm_file;
    return false;
  }
  std::stringstream ss(list);
  for (std::string name; std::getline(ss, name, ',');)
    if (name == "bpf") return true;
  why = "bpf is not in the active LSM list (" + list + "); boot with lsm=" + list + ",bpf";
  return false;
}

bool self_test(HookObject& object, const std::vector<HookObject*>& attached, std::string& why) {
  // A thread name no other task has: the programs recognise the self-test's calls by it.
  char previous[16] = {};
  ::prctl(PR_GET_NAME, previous);
  std::random_device random;
  char name[16];
  std::snprintf(name, sizeof name, "sle-test-%06x", random() & 0xffffff);
  ::prctl(PR_SET_NAME, name);
  const std::uint64_t before = object.self_test_hits();
  object.set_self_test_thread(name);
  for (HookObject* other : attached) other->set_self_test_thread(name);
  trigger(object.hook());
  for (HookObject* other : attached) other->set_self_test_thread(nullptr);
  object.set_self_test_thread(nullptr);
  ::prctl(PR_SET_NAME, previous);
  if (object.self_test_hits() > before) return true;
  why = "attached, but a self-test " + std::string(spec(object.hook()).name) +
        " call was not seen by the program";
  return false;
}

}  // namespace sle
