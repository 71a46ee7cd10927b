#include "loader/probing.h"

#include <sys/prctl.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

#include "common/error.h"
#include "common/mounts.h"

namespace sle {
namespace {

// Names this thread for the length of a scope, so the programs can tell its calls apart.
class ThreadName {
 public:
  explicit ThreadName(const char* name) {
    ::prctl(PR_GET_NAME, previous_);
    ::prctl(PR_SET_NAME, name);
  }
  ~ThreadName() { ::prctl(PR_SET_NAME, previous_); }
  ThreadName(const ThreadName&) = delete;
  ThreadName& operator=(const ThreadName&) = delete;

 private:
  char previous_[16] = {};
};

}  // namespace

void self_test(HookObject& object, const std::vector<HookObject*>& attached) {
  // A thread name no other task has: the programs recognise the self-test's calls by it.
  std::random_device random;
  char name[16];
  std::snprintf(name, sizeof name, "sle-test-%06x", random() & 0xffffff);
  const std::uint64_t before = object.self_test_hits();
  {
    const ThreadName named(name);
    object.set_self_test_thread(name);
    for (HookObject* other : attached) other->set_self_test_thread(name);
    object.hook().spec().self_test_call();
    for (HookObject* other : attached) other->set_self_test_thread(nullptr);
    object.set_self_test_thread(nullptr);
  }
  if (object.self_test_hits() == before)
    throw SystemError("attached, but a self-test " + std::string(object.hook().name()) +
                      " call was not seen by the program");
}

}  // namespace sle
