// The BPF objects the build embeds (CMakeLists.txt generates the table from bpf/*.bpf.c).
#include "loader/embedded_objects.h"

#include <elf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <string>

namespace sle {
namespace {

TEST(EmbeddedObjects, EachIsABpfElfObjectUnderAUniqueName) {
  const auto objects = embedded_objects();
  ASSERT_FALSE(objects.empty());
  std::set<std::string_view> names;
  for (const EmbeddedObject& object : objects) {
    SCOPED_TRACE(object.name);
    EXPECT_TRUE(names.insert(object.name).second) << "twice";
    EXPECT_FALSE(object.name.empty());
    EXPECT_EQ(object.name.find('.'), std::string_view::npos) << "the name has no .bpf.c suffix";
    ASSERT_GE(object.elf.size(), sizeof(Elf64_Ehdr));
    Elf64_Ehdr header;
    std::memcpy(&header, object.elf.data(), sizeof header);
    EXPECT_EQ(std::memcmp(header.e_ident, ELFMAG, SELFMAG), 0);
    EXPECT_EQ(header.e_ident[EI_CLASS], ELFCLASS64);
    EXPECT_EQ(header.e_type, ET_REL);
    EXPECT_EQ(header.e_machine, EM_BPF);
  }
}

TEST(EmbeddedObjects, FoundByName) {
  for (const EmbeddedObject& object : embedded_objects())
    EXPECT_EQ(find_embedded_object(object.name), &object) << object.name;
  // The name is the file's: bpf/bind.bpf.c.
  const EmbeddedObject* bind = find_embedded_object("bind");
  ASSERT_NE(bind, nullptr);
  EXPECT_EQ(bind->name, "bind");
  EXPECT_EQ(find_embedded_object("bind.bpf"), nullptr);
  EXPECT_EQ(find_embedded_object("Bind"), nullptr);
  EXPECT_EQ(find_embedded_object(""), nullptr);
}

TEST(EmbeddedObjects, TheSameTableOnEveryCall) {
  const auto first = embedded_objects();
  const auto second = embedded_objects();
  EXPECT_EQ(first.data(), second.data());
  EXPECT_EQ(first.size(), second.size());
}

}  // namespace
}  // namespace sle
