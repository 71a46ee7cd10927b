#include "config/yaml_fields.h"

#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <sstream>

#include "common/error.h"

namespace sle {
namespace {

// Where a document starts, and where its content starts if it has any (an empty document has
// none), from the parser's events.
class DocumentScan : public YAML::EventHandler {
 public:
  YAML::Mark start;
  std::optional<YAML::Mark> content;

  void OnDocumentStart(const YAML::Mark& mark) override {
    start = mark;
    content.reset();
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { saw(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    saw(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    saw(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    saw(mark);
  }
  void OnMapEnd() override {}

 private:
  void saw(const YAML::Mark& mark) {
    if (!content) content = mark;
  }
};

}  // namespace

namespace {

// Optimal string alignment distance (Damerau-Levenshtein without repeated edits of a substring).
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

}  // namespace

std::optional<std::string_view> nearest(std::string_view word,
                                        std::span<const std::string_view> names) {
  // One edit in a short word, two in a long one: more guesses wrong than right.
  const std::size_t max_edits = word.size() > 8 ? 2 : 1;
  std::optional<std::string_view> best;
  std::size_t best_distance = max_edits + 1;
  for (const std::string_view name : names) {
    const std::size_t distance = edit_distance(word, name);
    if (distance < best_distance && distance < word.size()) {
      best = name;
      best_distance = distance;
    }
  }
  return best;
}

std::string did_you_mean(std::string_view word, std::span<const std::string_view> names) {
  const auto name = nearest(word, names);
  if (!name) return "";
  std::string out = "did you mean \"";
  out += *name;
  out += "\"? ";
  return out;
}

std::string join(std::span<const std::string_view> names) {
  return join(names, [](std::string_view name) { return name; });
}

bool contains(std::span<const std::string_view> names, std::string_view name) {
  for (const auto n : names)
    if (n == name) return true;
  return false;
}

std::string read_file(const std::string& path) {
  const auto cannot = [&path] {
    return ConfigError("cannot read " + path + ": " + errno_text(errno));
  };
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                             &std::fclose);
  if (!file) throw cannot();
  std::string text;
  char buffer[8192];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) text.append(buffer, n);
  if (std::ferror(file.get())) throw cannot();
  return text;
}

YamlFields::YamlFields(std::string_view file, ControlChars control_chars)
    : file_(file), control_chars_(control_chars) {}

Field YamlFields::root(std::string_view text) const {
  const std::string input(text);
  YAML::Node root;
  try {
    // Every document after the first must be empty. They are checked through the parser's events
    // rather than with YAML::LoadAll, which in yaml-cpp 0.7 (Debian bookworm) never returns, and
    // allocates until memory runs out, when a document stops at a token it cannot place, such as
    // a ',' outside [] and {} (",\n", "[1, 2]\n,"): the parser then reports an empty document at
    // that token again and again (yaml-cpp issue #1040, fixed upstream by PR #1319 after 0.8.0).
    // Such a token is an error here.
    std::istringstream in(input);
    YAML::Parser parser(in);
    DocumentScan scan;
    std::optional<YAML::Mark> previous_start;
    for (std::size_t i = 0; parser.HandleNextDocument(scan); ++i) {
      if (previous_start && previous_start->pos == scan.start.pos) {
        const std::size_t pos = static_cast<std::size_t>(scan.start.pos);
        fail(scan.start, "",
             "not valid YAML: unexpected " +
                 (pos < input.size() ? quote(input.substr(pos, 1)) : std::string("character")));
      }
      if (i > 0 && scan.content) fail(*scan.content, "", "more than one YAML document");
      previous_start = scan.start;
    }
    root = YAML::Load(input);
  } catch (const YAML::Exception& e) {
    fail(e.mark, "", "not valid YAML: " + e.msg);
  }
  if (!root.IsNull() && !root.IsMap())
    fail(root.Mark(), "", "expected a mapping at the top level, got " + describe(root));
  return Field{root, "", root.Mark()};
}

void YamlFields::name_flag(std::string path, std::string flag) {
  flags_.insert_or_assign(std::move(path), std::move(flag));
}

std::string YamlFields::where(const YAML::Mark& mark, std::string_view path) const {
  if (const auto flag = flags_.find(std::string(path)); flag != flags_.end()) return flag->second;
  std::ostringstream place;
  place << file_;
  if (!mark.is_null()) place << ':' << mark.line + 1 << ':' << mark.column + 1;
  if (!path.empty()) place << ": " << path;
  return place.str();
}

std::string YamlFields::where(const Field& field) const { return where(field.mark, field.path); }

void YamlFields::fail(const YAML::Mark& mark, std::string_view path, std::string_view what) const {
  throw ConfigError(where(mark, path) + ": " + std::string(what));
}

void YamlFields::fail(const Field& field, std::string_view what) const {
  fail(field.mark, field.path, what);
}

std::vector<Entry> YamlFields::entries(const Field& map, std::span<const std::string_view> valid,
                                       std::span<const std::string_view> unsupported) const {
  return read_entries(map, valid, unsupported);
}

std::vector<Entry> YamlFields::named_entries(const Field& map) const {
  return read_entries(map, std::nullopt, {});
}

std::vector<Entry> YamlFields::read_entries(const Field& map,
                                            std::optional<std::span<const std::string_view>> valid,
                                            std::span<const std::string_view> unsupported) const {
  if (map.node.IsNull()) return {};
  if (!map.node.IsMap()) fail(map, "expected a mapping, got " + describe(map.node));
  std::vector<Entry> out;
  // Key by key, so that the first problem in the document is the one reported.
  for (const auto& kv : map.node) {
    const YAML::Node& key = kv.first;
    if (!key.IsScalar()) fail(key.Mark(), map.path, "expected a key, got " + describe(key));
    const std::string path = map.path.empty() ? key.Scalar() : map.path + "." + key.Scalar();
    for (const auto& seen : out)
      if (seen.key == key.Scalar())
        fail(key.Mark(), path,
             "duplicate key " + quote(seen.key) + " (first at line " +
                 std::to_string(seen.key_mark.line + 1) + ")");
    if (valid) {
      if (contains(unsupported, key.Scalar()))
        fail(key.Mark(), path,
             quote(key.Scalar()) +
                 " is not supported by socket_lsm_exporter (supported keys: " + join(*valid) + ")");
      if (!contains(*valid, key.Scalar()))
        fail(key.Mark(), path,
             "unknown key " + quote(key.Scalar()) + " (" + did_you_mean(key.Scalar(), *valid) +
                 "valid keys: " + join(*valid) + ")");
    }
    // A null value ("key:" with nothing after it) has the mark of whatever follows: point at its
    // key instead.
    const YAML::Mark mark = kv.second.IsNull() ? key.Mark() : kv.second.Mark();
    out.push_back(Entry{key.Scalar(), key.Mark(), Field{kv.second, path, mark}});
  }
  return out;
}

std::vector<Field> YamlFields::items(const Field& list) const {
  if (!list.node.IsSequence()) fail(list, "expected a list, got " + describe(list.node));
  std::vector<Field> out;
  std::size_t index = 0;
  for (const auto& item : list.node) {
    const YAML::Mark mark = item.Mark().is_null() ? list.mark : item.Mark();
    out.push_back(Field{item, list.path + "[" + std::to_string(index++) + "]", mark});
  }
  return out;
}

const std::string& YamlFields::scalar(const Field& field, std::string_view expected) const {
  if (!field.node.IsScalar())
    fail(field, "expected " + std::string(expected) + ", got " + describe(field.node));
  return field.node.Scalar();
}

const std::string& YamlFields::string(const Field& field) const {
  return scalar(field, "a string");
}

bool YamlFields::boolean(const Field& field) const {
  bool value = false;
  if (!field.node.IsScalar() || !YAML::convert<bool>::decode(field.node, value))
    fail(field, "expected a boolean, got " + describe(field.node));
  return value;
}

std::string YamlFields::quote(std::string_view text) const {
  std::string out = "\"";
  for (const char c : text) {
    const bool control = static_cast<unsigned char>(c) < 0x20;
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (control && control_chars_ == ControlChars::kHexEscapes) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", static_cast<unsigned char>(c));
      out += escaped;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      out += c;
    }
  }
  return out + '"';
}

std::string YamlFields::describe(const YAML::Node& node) const {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return quote(node.Scalar());
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

}  // namespace sle
