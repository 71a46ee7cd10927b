// The YAML readers both config parsers share: the parts their own tests can't tell apart, such as
// the two ways of quoting control characters and the order in which key problems are reported.
#include "config/yaml_fields.h"

#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "config/config.h"

namespace sle {
namespace {

using namespace std::string_view_literals;

constexpr auto kValid = std::to_array({"a"sv, "b"sv});
constexpr auto kUnsupported = std::to_array({"old"sv});

const YamlFields kNamed("f.yml", ControlChars::kNamedEscapes);
const YamlFields kHex("f.yml", ControlChars::kHexEscapes);

// The message of the ConfigError that `read` throws; "" when none.
template <typename Read>
std::string error_of(Read read) {
  try {
    read();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// The error of the entries of the document `text`, read against kValid and kUnsupported.
std::string entries_error(std::string_view text) {
  return error_of([&] { (void)kNamed.entries(kNamed.root(text), kValid, kUnsupported); });
}

TEST(YamlFields, QuoteEscapesControlCharactersEachParsersWay) {
  EXPECT_EQ(kNamed.quote("a\"b\\c\n\t\r\x01"), "\"a\\\"b\\\\c\\n\\t\\r\x01\"");
  EXPECT_EQ(kHex.quote("a\"b\\c\n\t\r\x01"), "\"a\\\"b\\\\c\\x0a\\x09\\x0d\\x01\"");
  EXPECT_EQ(kHex.quote("\x7f é"), "\"\x7f é\"");
}

TEST(YamlFields, Describe) {
  EXPECT_EQ(kNamed.describe(YAML::Load("x")), "\"x\"");
  EXPECT_EQ(kNamed.describe(YAML::Load("[1]")), "a list");
  EXPECT_EQ(kNamed.describe(YAML::Load("{a: 1}")), "a mapping");
  EXPECT_EQ(kNamed.describe(YAML::Load("~")), "null");
  EXPECT_EQ(kNamed.describe(YAML::Node(YAML::NodeType::Undefined)), "nothing");
}

TEST(YamlFields, RootIsAMappingOrNull) {
  EXPECT_TRUE(kNamed.root("").node.IsNull());
  EXPECT_TRUE(kNamed.root("---\n").node.IsNull());
  EXPECT_TRUE(kNamed.root("a: 1\n").node.IsMap());
  const auto root_error = [](std::string_view text) {
    return error_of([&] { (void)kNamed.root(text); });
  };
  EXPECT_EQ(root_error("- a\n"), "f.yml:1:1: expected a mapping at the top level, got a list");
  EXPECT_EQ(root_error("a: 1\n---\nb: 2\n"), "f.yml:3:1: more than one YAML document");
  EXPECT_EQ(root_error("a: [\n"), "f.yml:2:1: not valid YAML: end of sequence flow not found");
}

// yaml-cpp 0.7's LoadAll never returned on these, allocating until memory ran out: a ',' it cannot
// place made it report an empty document at that token again and again. Found by
// tests/fuzz/config_fuzzer.cpp and web_config_fuzzer.cpp (the first two inputs, as they found
// them).
TEST(YamlFields, RootRejectsACommaOutsideAFlowCollectionInsteadOfLoopingForever) {
  const auto root_error = [](std::string_view text) {
    return error_of([&] { (void)kNamed.root(text); });
  };
  EXPECT_EQ(root_error(",defaulte: *d\n  bind:\n    <<: *d\n    labels: !!seq [family]\n--,\n"),
            "f.yml:1:1: not valid YAML: unexpected \",\"");
  EXPECT_EQ(root_error(",.\n-.-.\n"), "f.yml:1:1: not valid YAML: unexpected \",\"");
  EXPECT_EQ(root_error(",\n"), "f.yml:1:1: not valid YAML: unexpected \",\"");
  EXPECT_EQ(root_error("[1, 2]\n,"), "f.yml:2:1: not valid YAML: unexpected \",\"");
  EXPECT_EQ(root_error("{a: 1},"), "f.yml:1:7: not valid YAML: unexpected \",\"");
  // Empty documents after the first are still fine.
  EXPECT_TRUE(kNamed.root("a: 1\n---\n---\n...\n").node.IsMap());
}

TEST(YamlFields, EntriesReportTheFirstBadKey) {
  EXPECT_EQ(entries_error("a: 1\nb:\n"), "");
  EXPECT_EQ(entries_error("x: 1\na: 1\na: 2\n"),
            "f.yml:1:1: x: unknown key \"x\" (valid keys: a, b)");
  EXPECT_EQ(entries_error("a: 1\na: 2\nx: 1\n"),
            "f.yml:2:1: a: duplicate key \"a\" (first at line 1)");
  EXPECT_EQ(entries_error("old: 1\n"),
            "f.yml:1:1: old: \"old\" is not supported by socket_lsm_exporter (supported keys: a, "
            "b)");
  EXPECT_EQ(entries_error("[a]: 1\n"), "f.yml:1:1: expected a key, got a list");
}

TEST(YamlFields, EntriesOfNestedMappingsAndNullValues) {
  const Field root = kNamed.root("s:\n  a:\n  b: 2\n");
  const auto section = kNamed.entries(root, std::to_array({"s"sv}));
  ASSERT_EQ(section.size(), 1u);
  const auto entries = kNamed.entries(section[0].value, kValid);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].key, "a");
  EXPECT_EQ(entries[0].value.path, "s.a");
  // A null value points at its key, not at whatever follows it.
  EXPECT_EQ(entries[0].value.mark.line, 1);
  EXPECT_EQ(entries[0].value.mark.column, 2);
  EXPECT_EQ(entries[1].value.path, "s.b");
  EXPECT_EQ(entries[1].value.mark.column, 5);
}

TEST(YamlFields, NamedEntriesTakeAnyKeyButDuplicates) {
  const auto named_error = [](std::string_view text) {
    return error_of([&] { (void)kNamed.named_entries(kNamed.root(text)); });
  };
  EXPECT_EQ(named_error("anything: 1\nelse: 2\n"), "");
  EXPECT_EQ(named_error("k: 1\nk: 2\n"), "f.yml:2:1: k: duplicate key \"k\" (first at line 1)");
  EXPECT_EQ(named_error("k: [1]\n"), "");
}

TEST(YamlFields, ItemsAndScalars) {
  const Field root = kNamed.root("l: [x, yes, [1]]\nm: maybe\n");
  const auto top = kNamed.named_entries(root);
  const auto items = kNamed.items(top[0].value);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[2].path, "l[2]");
  EXPECT_EQ(kNamed.string(items[0]), "x");
  EXPECT_TRUE(kNamed.boolean(items[1]));
  EXPECT_EQ(error_of([&] { (void)kNamed.scalar(items[2], "a name"); }),
            "f.yml:1:13: l[2]: expected a name, got a list");
  EXPECT_EQ(error_of([&] { (void)kNamed.boolean(top[1].value); }),
            "f.yml:2:4: m: expected a boolean, got \"maybe\"");
  EXPECT_EQ(error_of([&] { (void)kNamed.items(top[1].value); }),
            "f.yml:2:4: m: expected a list, got \"maybe\"");
}

TEST(YamlFields, FailLeavesOutAMissingPlaceAndPath) {
  const auto fail_error = [](const YAML::Mark& mark, std::string_view path) {
    return error_of([&] { kNamed.fail(mark, path, "what"); });
  };
  EXPECT_EQ(fail_error(YAML::Mark::null_mark(), ""), "f.yml: what");
  EXPECT_EQ(fail_error(YAML::Mark::null_mark(), "a.b"), "f.yml: a.b: what");
}

TEST(YamlFields, JoinAndContains) {
  EXPECT_EQ(join(kValid), "a, b");
  EXPECT_EQ(join(std::array<int, 2>{1, 2}, [](int i) { return std::to_string(i); }), "1, 2");
  EXPECT_TRUE(contains(kValid, "b"));
  EXPECT_FALSE(contains(kValid, "c"));
}

TEST(YamlFields, ReadFile) {
  const auto path = std::filesystem::path(SLE_SOURCE_DIR) / "config/socket-lsm-exporter.yaml";
  EXPECT_EQ(read_file(path.string()).size(), std::filesystem::file_size(path));
  try {
    read_file("/nonexistent/file");
    ADD_FAILURE() << "read_file of a missing file returned";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "cannot read /nonexistent/file: No such file or directory");
  }
}

TEST(YamlFields, NearestNameOfAMistypedOne) {
  constexpr std::array<std::string_view, 4> kNames = {"listen_address", "level", "format",
                                                      "enabled"};
  EXPECT_EQ(nearest("listen_adress", kNames), "listen_address");  // a deletion
  EXPECT_EQ(nearest("levle", kNames), "level");                   // a swap of neighbours
  EXPECT_EQ(nearest("enable", kNames), "enabled");
  EXPECT_EQ(nearest("lvl", kNames), std::nullopt);  // two edits in a short word
  EXPECT_EQ(nearest("x", {}), std::nullopt);
  EXPECT_EQ(did_you_mean("formt", kNames), "did you mean \"format\"? ");
  EXPECT_EQ(did_you_mean("colour", kNames), "");
}

}  // namespace
}  // namespace sle
