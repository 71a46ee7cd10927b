// Probing the running kernel (root): the LSM list, and the self-test on real hook objects. Calls
// are made from a child in a cgroup of the test's own, so that the counts of what it did are exact
// whatever else runs on the machine.
#include "loader/probing.h"

#include <gtest/gtest.h>
#include <sys/prctl.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/mounts.h"
#include "kernel_calls.h"
#include "loader/map_reader.h"
#include "test_cgroup.h"

namespace sle {
namespace {

HookSettings settings_with(Hook hook) {
  HookSettings s;
  s.config.label_mask = hook.spec().labels;  // with the cgroup, which tells the test's calls apart
  return s;
}

std::string thread_name() {
  char name[16] = {};
  ::prctl(PR_GET_NAME, name);
  return name;
}

// What the calls from the cgroup `id` add up to in the object's map.
std::uint64_t counted_in(const HookObject& object, std::uint64_t id) {
  return test::sum_counts(test::entries_where(test::counts_now(object),
                                              [&](const sle_key& k) { return k.cgroup_id == id; }));
}

class ProbingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::is_root()) GTEST_SKIP() << "SKIPPED: loading BPF programs needs root";
    ensure_mounted("tracefs", "/sys/kernel/tracing");
  }
};

TEST_F(ProbingTest, SelfTestPassesOnAnAttachedObject) {
  for (const Hook hook : all_hooks()) {
    SCOPED_TRACE(hook.name());
    HookObject object(hook, Backend::tracepoint, settings_with(hook));
    object.attach();
    const std::string name = thread_name();
    EXPECT_NO_THROW(self_test(object, {}));
    EXPECT_EQ(object.self_test_hits(), 1u);  // the hook's one call
    EXPECT_EQ(thread_name(), name);          // the thread's name is restored
  }
}

TEST_F(ProbingTest, SelfTestFailsOnAnObjectNotAttached) {
  for (const Hook hook : all_hooks()) {
    SCOPED_TRACE(hook.name());
    HookObject object(hook, Backend::tracepoint, settings_with(hook));
    try {
      self_test(object, {});
      ADD_FAILURE() << "no error";
    } catch (const SystemError& e) {
      EXPECT_EQ(std::string(e.what()), "attached, but a self-test " + std::string(hook.name()) +
                                           " call was not seen by the program");
    }
    EXPECT_EQ(object.self_test_hits(), 0u);
  }
}

TEST_F(ProbingTest, SelfTestCallsAreCountedByNoHook) {
  std::vector<std::unique_ptr<HookObject>> objects;
  for (const Hook hook : all_hooks()) {
    objects.push_back(std::make_unique<HookObject>(hook, Backend::tracepoint, settings_with(hook)));
    objects.back()->attach();
  }
  const test::TestCgroup cgroup;
  const std::uint64_t id = cgroup.id();

  // Every hook's self-test, as the hook set runs it: the others attached already.
  EXPECT_EQ(cgroup.run([&] {
    for (auto& object : objects) {
      std::vector<HookObject*> others;
      for (auto& other : objects)
        if (other != object) others.push_back(other.get());
      try {
        self_test(*object, others);
      } catch (const SystemError& e) {
        return std::string(e.what());
      }
    }
    return std::string();
  }),
            "");
  for (const auto& object : objects) {
    SCOPED_TRACE(object->hook().name());
    EXPECT_EQ(counted_in(*object, id), 0u);
    EXPECT_GE(object->self_test_hits(), 1u);
  }

  // The same calls made plainly are counted: each hook sees its own call once.
  for (const auto& object : objects) {
    SCOPED_TRACE(object->hook().name());
    const std::uint64_t before = counted_in(*object, id);
    EXPECT_EQ(cgroup.run([&] {
      object->hook().spec().self_test_call();
      return std::string();
    }),
              "");
    EXPECT_EQ(counted_in(*object, id), before + 1);
  }
}

}  // namespace
}  // namespace sle
