// What the exporter's config parser (config.cpp) and the web config parser (web_config.cpp) share:
// reading a YAML document field by field, with errors that name the file, line, column and key
// path:
//   config.yaml:7:5: hooks.bind.labels[2]: unknown label "peer" for hook bind (supported: ...)
// Each parser derives from YamlFields and keeps only its own schema.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sle {

// A node in the document, with its key path (hooks.bind.labels[2]) and the place to report.
struct Field {
  YAML::Node node;
  std::string path;
  YAML::Mark mark;
};

// A key of a mapping, where it stands (for errors about the key itself), and its value.
struct Entry {
  std::string key;
  YAML::Mark key_mark;
  Field value;
};

// "a, b, c".
std::string join(std::span<const std::string_view> names);

// The names of the items, as name(item) gives them, joined as above.
template <typename Range, typename Name>
std::string join(const Range& items, Name name) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += name(item);
  }
  return out;
}

bool contains(std::span<const std::string_view> names, std::string_view name);

// The name closest to a mistyped one, when one is close: one edit away (an insertion, deletion,
// substitution or swap of neighbours), two for words longer than eight letters, and fewer edits
// than the word has letters. Ties go to the first. nullopt when none is.
std::optional<std::string_view> nearest(std::string_view word,
                                        std::span<const std::string_view> names);

// "did you mean \"x\"? " when a name is close to word, else "": the start of an error's
// parenthesis.
std::string did_you_mean(std::string_view word, std::span<const std::string_view> names);

// Reads a whole file. Throws ConfigError "cannot read <path>: <strerror>".
std::string read_file(const std::string& path);

// How quote() writes control characters. The two parsers have always differed here, and their
// messages are kept as they were, so each one says which it uses.
enum class ControlChars {
  kNamedEscapes,  // \n, \t and \r escaped, other control characters left as they are
  kHexEscapes,    // every control character as \xNN
};

// The readers: each one checks a field and throws ConfigError when it is not what is expected.
class YamlFields {
 public:
  // file only appears in error messages.
  YamlFields(std::string_view file, ControlChars control_chars);

  // The root of the text's only document: a mapping, or null when the text is empty.
  Field root(std::string_view text) const;

  // Where a value stands, as errors about it begin: "<file>:<line>:<col>: <path>" (no place for a
  // null mark, no path for an empty one), or "<flag>" when a flag set the value at path
  // (name_flag).
  std::string where(const YAML::Mark& mark, std::string_view path) const;
  std::string where(const Field& field) const;
  // Throws ConfigError "<where>: <what>".
  [[noreturn]] void fail(const YAML::Mark& mark, std::string_view path,
                         std::string_view what) const;
  [[noreturn]] void fail(const Field& field, std::string_view what) const;

  // The entries of a mapping (none for null: an empty section), rejecting duplicate keys and keys
  // not in `valid`; keys in `unsupported` are exporter-toolkit's but not implemented here.
  std::vector<Entry> entries(const Field& map, std::span<const std::string_view> valid,
                             std::span<const std::string_view> unsupported = {}) const;
  // The entries of a mapping whose keys are names (hooks, users, headers): any key but duplicates.
  std::vector<Entry> named_entries(const Field& map) const;
  std::vector<Field> items(const Field& list) const;

  // `expected` names what it should have been: "a label name".
  const std::string& scalar(const Field& field, std::string_view expected) const;
  const std::string& string(const Field& field) const;
  bool boolean(const Field& field) const;

  // A value as the user wrote it, in double quotes, with control characters escaped.
  std::string quote(std::string_view text) const;
  // What a node is, for "expected ..., got <describe>".
  std::string describe(const YAML::Node& node) const;

 protected:
  // The value at the key path `path` came from the command-line flag `flag`.
  void name_flag(std::string path, std::string flag);

 private:
  // entries() with `valid`, named_entries() without.
  std::vector<Entry> read_entries(const Field& map,
                                  std::optional<std::span<const std::string_view>> valid,
                                  std::span<const std::string_view> unsupported) const;

  std::string file_;
  ControlChars control_chars_;
  std::map<std::string, std::string> flags_;  // key path -> the flag that set it
};

}  // namespace sle
