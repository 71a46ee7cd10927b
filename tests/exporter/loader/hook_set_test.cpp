// The hook set: what the config turns into for each hook object, and attaching every enabled hook
// on the real kernel (root) with the tracepoint backend, the one this kind of host can attach.
#include "loader/hook_set.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "common/error.h"
#include "kernel_calls.h"
#include "loader/probing.h"

namespace sle {
namespace {

constexpr std::uint32_t L(sle_label l) { return label_bit(l); }

std::size_t count_bits(const std::array<std::uint64_t, SLE_PORT_BITMAP_WORDS>& bitmap) {
  std::size_t n = 0;
  for (const auto word : bitmap) n += static_cast<std::size_t>(__builtin_popcountll(word));
  return n;
}

bool bit(const std::array<std::uint64_t, SLE_PORT_BITMAP_WORDS>& bitmap, unsigned port) {
  return (bitmap[port / 64] >> (port % 64)) & 1;
}

// The ids of the BPF programs this process holds a file descriptor of (program or link).
std::set<std::uint32_t> programs_held() {
  std::set<std::uint32_t> ids;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fdinfo")) {
    std::ifstream in(entry.path());
    for (std::string line; std::getline(in, line);)
      if (line.starts_with("prog_id:"))
        ids.insert(static_cast<std::uint32_t>(std::stoul(line.substr(8))));
  }
  return ids;
}

TEST(HookSettings, CopiesTheHooksConfigAndTheExactPorts) {
  Config config = default_config();
  const Hook bind = hook_named("bind");
  HookConfig& hc = config.hooks[bind.index()];
  hc.max_entries = 321;
  hc.label_mask = L(SLE_LABEL_FAMILY) | L(SLE_LABEL_PORT);
  hc.family_mask = (std::uint64_t{1} << 2) | (std::uint64_t{1} << 10);
  config.exact_ports = {{22, 22}, {8000, 8100}};

  const HookSettings s = hook_settings(config, bind);
  EXPECT_EQ(s.max_entries, 321u);
  EXPECT_EQ(s.config.label_mask, L(SLE_LABEL_FAMILY) | L(SLE_LABEL_PORT));
  EXPECT_EQ(s.config.family_mask, 0x404u);
  EXPECT_EQ(s.config.pad, 0u);
  EXPECT_EQ(count_bits(s.exact_ports), 1u + 101u);
  EXPECT_TRUE(bit(s.exact_ports, 22));
  EXPECT_TRUE(bit(s.exact_ports, 8000));
  EXPECT_TRUE(bit(s.exact_ports, 8100));
  EXPECT_FALSE(bit(s.exact_ports, 21));
  EXPECT_FALSE(bit(s.exact_ports, 23));
  EXPECT_FALSE(bit(s.exact_ports, 7999));
  EXPECT_FALSE(bit(s.exact_ports, 8101));
  EXPECT_EQ(s.exact_ports, exact_port_bitmap(config));

  // Another hook keeps its defaults but shares the exact ports.
  const HookSettings listen = hook_settings(config, hook_named("listen"));
  EXPECT_EQ(listen.max_entries, 10240u);
  EXPECT_EQ(listen.config.label_mask, hook_named("listen").spec().labels);
  EXPECT_EQ(listen.config.family_mask, 0u);
  EXPECT_EQ(listen.exact_ports, s.exact_ports);
}

TEST(HookSettings, DefaultExactPortsAreTheSystemPorts) {
  const HookSettings s = hook_settings(default_config(), hook_named("connect"));
  EXPECT_EQ(count_bits(s.exact_ports), 1024u);
  EXPECT_TRUE(bit(s.exact_ports, 0));
  EXPECT_TRUE(bit(s.exact_ports, 1023));
  EXPECT_FALSE(bit(s.exact_ports, 1024));
}

TEST(HookSet, EveryHookDisabledAttachesNothing) {
  Config config = default_config();
  for (HookConfig& hc : config.hooks) hc.enabled = false;
  const HookSet set = HookSet::attach(config);
  for (const Hook hook : all_hooks()) EXPECT_EQ(set.object(hook), nullptr) << hook.name();
}

class HookSetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::is_root()) GTEST_SKIP() << "SKIPPED: loading BPF programs needs root";
  }
};

TEST_F(HookSetTest, ForcedTracepointAttachesEveryEnabledHook) {
  Config config = default_config();
  config.backend = Backend::tracepoint;
  for (const Hook hook : all_hooks())
    config.hooks[hook.index()].max_entries = 100 + static_cast<std::uint32_t>(hook.index());
  const HookSet set = HookSet::attach(config);
  for (const Hook hook : all_hooks()) {
    SCOPED_TRACE(hook.name());
    const HookObject* object = set.object(hook);
    ASSERT_NE(object, nullptr);
    EXPECT_EQ(object->hook(), hook);
    EXPECT_EQ(object->backend(), Backend::tracepoint);
    EXPECT_EQ(object->capacity(), 100 + hook.index());
    EXPECT_FALSE(object->programs().empty());
    // attach() self-tested each hook. (The hooks attached later add the calls of theirs they hid
    // from it: the accept test's listener is a create, a bind and a listen call.)
    EXPECT_GE(object->self_test_hits(), 1u);
  }
}

TEST_F(HookSetTest, DisabledHooksHaveNoObject) {
  Config config = default_config();
  config.backend = Backend::tracepoint;
  config.hooks[hook_named("connect").index()].enabled = false;
  config.hooks[hook_named("accept").index()].enabled = false;
  const HookSet set = HookSet::attach(config);
  for (const Hook hook : all_hooks()) {
    const bool disabled = hook == hook_named("connect") || hook == hook_named("accept");
    if (disabled) {
      EXPECT_EQ(set.object(hook), nullptr) << hook.name();
    } else {
      ASSERT_NE(set.object(hook), nullptr) << hook.name();
      EXPECT_EQ(set.object(hook)->backend(), Backend::tracepoint) << hook.name();
    }
  }
}

TEST_F(HookSetTest, ForcedLsmThatCannotAttachThrowsAndKeepsNothing) {
  Config config = default_config();
  config.backend = Backend::lsm;
  const std::set<std::uint32_t> before = programs_held();
  std::string message;
  try {
    HookSet::attach(config);
  } catch (const SystemError& e) {
    message = e.what();
  }
  if (message.empty()) GTEST_SKIP() << "SKIPPED: this kernel attaches fexit programs";
  // The first hook in the table fails, with the one backend's reason.
  EXPECT_TRUE(message.starts_with("cannot attach hook create (lsm: ")) << message;
  EXPECT_TRUE(message.ends_with(")")) << message;
  EXPECT_EQ(programs_held(), before);
}

}  // namespace
}  // namespace sle
