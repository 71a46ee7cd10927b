// A BPF object's maps and global variables by name, on an embedded hook object opened (not
// loaded: no privileges needed).
#include "loader/object_globals.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>

#include "common/error.h"
#include "error_of.h"
#include "loader/embedded_objects.h"
#include "socket_lsm.h"

namespace sle {
namespace {

using test::error_of;

struct ObjectClose {
  void operator()(bpf_object* obj) const { bpf_object__close(obj); }
};
using Object = std::unique_ptr<bpf_object, ObjectClose>;

Object open_bind() {
  const EmbeddedObject* bind = find_embedded_object("bind");
  EXPECT_NE(bind, nullptr);
  if (!bind) return nullptr;
  bpf_object_open_opts opts{};
  opts.sz = sizeof opts;
  opts.object_name = "bind";
  return Object(bpf_object__open_mem(bind->elf.data(), bind->elf.size(), &opts));
}

TEST(ObjectGlobals, FindsAMapByNameOrSaysWhichIsMissing) {
  const Object obj = open_bind();
  ASSERT_TRUE(obj);
  bpf_map* gen0 = find_map(obj.get(), "sle_counts_0");
  ASSERT_NE(gen0, nullptr);
  EXPECT_STREQ(bpf_map__name(gen0), "sle_counts_0");
  EXPECT_EQ(error_of<SystemError>([&] { find_map(obj.get(), "sle_nonesuch"); }),
            "BPF object bind has no map sle_nonesuch");
}

TEST(ObjectGlobals, AGlobalIsTheVariableInItsSectionsImage) {
  const Object obj = open_bind();
  ASSERT_TRUE(obj);
  auto* cfg = global<sle_hook_config>(obj.get(), ".rodata", "sle_cfg");
  ASSERT_NE(cfg, nullptr);
  // Written through the pointer, read back from the section's initial image: the same memory.
  cfg->label_mask = 0x5a5a;
  std::size_t size = 0;
  const void* image = bpf_map__initial_value(find_map(obj.get(), ".rodata"), &size);
  ASSERT_NE(image, nullptr);
  const auto* begin = static_cast<const char*>(image);
  const auto* at = reinterpret_cast<const char*>(cfg);
  ASSERT_GE(at, begin);
  ASSERT_LE(at + sizeof *cfg, begin + size);
  sle_hook_config copy{};
  std::memcpy(&copy, at, sizeof copy);
  EXPECT_EQ(copy.label_mask, 0x5a5au);
}

TEST(ObjectGlobals, ASizeOrNameOrSectionThatDoesNotMatchIsAnError) {
  const Object obj = open_bind();
  ASSERT_TRUE(obj);
  EXPECT_EQ(error_of<SystemError>([&] { global_variable(obj.get(), ".rodata", "sle_cfg", 3); }),
            "variable sle_cfg in .rodata of BPF object bind has " +
                std::to_string(sizeof(sle_hook_config)) + " bytes, expected 3");
  EXPECT_EQ(
      error_of<SystemError>([&] { global_variable(obj.get(), ".rodata", "sle_nonesuch", 4); }),
      "no variable sle_nonesuch in .rodata of BPF object bind");
  EXPECT_EQ(error_of<SystemError>([&] { global_variable(obj.get(), ".nonesuch", "sle_cfg", 4); }),
            "no BTF for variable sle_cfg in .nonesuch of BPF object bind");
}

}  // namespace
}  // namespace sle
