// The hook table against the BPF objects the build embeds: every entry has its object, a program
// for every backend and a self-test, and every hook object has an entry. The objects are opened
// (parsed), not loaded, so no root is needed.
#include "hooks/hook_table.h"

#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "hooks/backend.h"
#include "loader/embedded_objects.h"

namespace sle {
namespace {

struct ObjectCloser {
  void operator()(bpf_object* obj) const { bpf_object__close(obj); }
};
using ObjectPtr = std::unique_ptr<bpf_object, ObjectCloser>;

ObjectPtr open_embedded(const EmbeddedObject& embedded) {
  const std::string name(embedded.name);
  LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = name.c_str());
  return ObjectPtr(bpf_object__open_mem(embedded.elf.data(), embedded.elf.size(), &opts));
}

// An object's program names.
std::vector<std::string> programs_of(bpf_object* obj) {
  std::vector<std::string> out;
  bpf_program* prog = nullptr;
  bpf_object__for_each_program(prog, obj) out.emplace_back(bpf_program__name(prog));
  return out;
}

constexpr std::uint32_t L(sle_label l) { return label_bit(l); }

TEST(HookTable, NamesAndLabelsAreTheMetricsContract) {
  // README, "Metrics": these hooks, with these labels. (Looked up by name, so that a new hook is
  // one table entry and does not touch this test.)
  constexpr std::uint32_t kOutcome = L(SLE_LABEL_OUTCOME) | L(SLE_LABEL_ERRNO);
  const std::vector<std::pair<std::string_view, std::uint32_t>> expected = {
      {"create", kSocketLabels | kCgroupLabels | kOutcome},
      {"bind", kSocketLabels | L(SLE_LABEL_PORT) | kCgroupLabels | kOutcome},
      {"connect", kSocketLabels | L(SLE_LABEL_PORT) | L(SLE_LABEL_PEER) | kCgroupLabels | kOutcome},
      {"listen", kSocketLabels | L(SLE_LABEL_PORT) | kCgroupLabels | kOutcome},
      {"accept", kSocketLabels | L(SLE_LABEL_PORT) | kCgroupLabels | kOutcome},
      {"setsockopt",
       kSocketLabels | L(SLE_LABEL_LEVEL) | L(SLE_LABEL_OPTNAME) | kCgroupLabels | kOutcome},
  };
  for (const auto& [name, labels] : expected) {
    const auto h = hook_from_name(name);
    ASSERT_TRUE(h) << name;
    EXPECT_EQ(h->spec().labels, labels) << name;
  }
  EXPECT_EQ(kSocketLabels, 0b111u);  // family, type, protocol
  // cgroup, pod_uid, container_id, pod, namespace, container
  EXPECT_EQ(kCgroupLabels, 0b1111110000000u);
  EXPECT_EQ(kPortLabel, 0b1000u);
}

TEST(HookTable, EveryEntryIsComplete) {
  std::set<std::string_view> names;
  for (const HookSpec& h : kHooks) {
    SCOPED_TRACE(h.name);
    EXPECT_TRUE(names.insert(h.name).second) << "duplicate hook name";
    EXPECT_FALSE(h.help.empty());
    EXPECT_TRUE(h.help.ends_with(".")) << h.help;
    EXPECT_NE(h.self_test_call, nullptr);
    // Every hook carries the socket's own labels and the cgroup-derived ones.
    EXPECT_EQ(h.labels & kSocketLabels, kSocketLabels);
    EXPECT_EQ(h.labels & kCgroupLabels, kCgroupLabels);
    EXPECT_EQ(h.labels & ~((1u << SLE_LABEL_COUNT) - 1), 0u) << "a label bit beyond kLabelNames";
  }
}

TEST(HookTable, EveryEntryHasAnObjectWithAProgramForEveryBackend) {
  for (const HookSpec& h : kHooks) {
    SCOPED_TRACE(h.name);
    const EmbeddedObject* embedded = find_embedded_object(h.name);
    ASSERT_NE(embedded, nullptr) << "no bpf/" << h.name << ".bpf.c in this build";
    EXPECT_EQ(embedded->name, h.name);
    ASSERT_FALSE(embedded->elf.empty());
    const ObjectPtr obj = open_embedded(*embedded);
    ASSERT_TRUE(obj) << "bpf_object__open_mem: " << errno;
    EXPECT_EQ(std::string(bpf_object__name(obj.get())), h.name);

    // Every program is some backend's, and every backend has programs with the outcome labels on
    // and off: the kprobe backend two per attach point with them on (entry and return), and the
    // thread exit's.
    using Set = std::pair<Backend, bool>;  // a backend, with the outcome labels on or off
    std::map<Set, int> programs;
    for (const std::string& program : programs_of(obj.get())) {
      bool anyone = false;
      for (const BackendInfo& b : kBackendInfo)
        for (const bool outcome : {false, true})
          if (backend_loads(b.backend, outcome, program)) {
            ++programs[Set(b.backend, outcome)];
            anyone = true;
          }
      EXPECT_TRUE(anyone) << "no backend loads program " << program;
    }
    for (const BackendInfo& b : kBackendInfo)
      for (const bool outcome : {false, true})
        EXPECT_GE(programs[Set(b.backend, outcome)], 1)
            << "no " << b.name << " program, outcome " << outcome;
    EXPECT_EQ(programs[Set(Backend::kprobe, true)], 2 * programs[Set(Backend::kprobe, false)] + 1);

    // What the loader opens by name (loader/hook_object.cpp).
    for (const char* map : {"sle_counts_0", "sle_counts_1", "sle_totals", "sle_cache", "sle_stash",
                            ".rodata", ".bss"})
      EXPECT_NE(bpf_object__find_map_by_name(obj.get(), map), nullptr) << "no map " << map;
  }
}

TEST(HookTable, EveryHookObjectHasAnEntry) {
  // A hook object is one with an fexit program: each must be in the table, or it is never loaded.
  std::size_t hook_objects = 0;
  for (const EmbeddedObject& embedded : embedded_objects()) {
    SCOPED_TRACE(embedded.name);
    const ObjectPtr obj = open_embedded(embedded);
    ASSERT_TRUE(obj) << "bpf_object__open_mem: " << errno;
    bool has_fexit = false;
    for (const std::string& program : programs_of(obj.get()))
      has_fexit = has_fexit || program.starts_with("fexit_");
    if (!has_fexit) continue;
    ++hook_objects;
    EXPECT_TRUE(hook_from_name(embedded.name))
        << "bpf/" << embedded.name << ".bpf.c has no entry in kHooks";
  }
  EXPECT_EQ(hook_objects, kHookCount);
  EXPECT_EQ(find_embedded_object("no_such_hook"), nullptr);
}

TEST(HookTable, HookNamesRoundTrip) {
  for (std::size_t i = 0; i < kHookCount; ++i) {
    const auto h = hook_from_name(kHooks[i].name);
    ASSERT_TRUE(h) << kHooks[i].name;
    EXPECT_EQ(h->index(), i);
    EXPECT_EQ(h->name(), kHooks[i].name);
    EXPECT_EQ(&h->spec(), &kHooks[i]);
    EXPECT_EQ(&spec(*h), &kHooks[i]);
  }
  EXPECT_EQ(hook_from_name(""), std::nullopt);
  EXPECT_EQ(hook_from_name("Bind"), std::nullopt);
  EXPECT_EQ(hook_from_name("sendmsg"), std::nullopt);
  static_assert(hook_named("bind").name() == "bind");
}

TEST(HookTable, LabelNamesRoundTrip) {
  const std::vector<std::string_view> expected = {
      "family", "type",      "protocol",  "port",    "peer",
      "level",  "optname",   "cgroup",    "pod_uid", "container_id",
      "pod",    "namespace", "container", "outcome", "errno"};
  ASSERT_EQ(kLabelNames.size(), expected.size());
  ASSERT_EQ(kLabelNames.size(), static_cast<std::size_t>(SLE_LABEL_COUNT));
  for (std::size_t i = 0; i < kLabelNames.size(); ++i) {
    EXPECT_EQ(kLabelNames[i], expected[i]);
    EXPECT_EQ(label_from_name(kLabelNames[i]), static_cast<sle_label>(i));
    EXPECT_EQ(label_bit(static_cast<sle_label>(i)), 1u << i);
  }
  EXPECT_EQ(label_from_name("hook"), std::nullopt);
  EXPECT_EQ(label_from_name("Family"), std::nullopt);
  EXPECT_EQ(label_from_name(""), std::nullopt);
}

TEST(HookTable, AllHooksInTableOrder) {
  const auto hooks = all_hooks();
  ASSERT_EQ(hooks.size(), kHookCount);
  for (std::size_t i = 0; i < hooks.size(); ++i) {
    EXPECT_EQ(hooks[i].index(), i);
    EXPECT_EQ(hooks[i].name(), kHooks[i].name);
    EXPECT_EQ(hooks[i], Hook(i));
  }
}

// Scripts that cannot include this header read the hook names from its text (tests/deploy/lib/
// sle.py, hooks(): the first string of each kHooks entry, each entry starting a line of its own
// at four spaces). That reading, done here the same way, gives kHooks' own names.
TEST(HookTable, TheScriptsReadingOfTheHeaderGivesKHooks) {
  std::ifstream in(SLE_SOURCE_DIR "/exporter/hooks/hook_table.h");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto start = text.find("kHooks = std::to_array<HookSpec>({");
  ASSERT_NE(start, std::string::npos);
  const std::string table = text.substr(start, text.find("\n});", start) - start);
  const std::regex entry("^    \\{\"([a-z_]+)\",", std::regex::multiline);
  std::vector<std::string> read, expected;
  for (auto it = std::sregex_iterator(table.begin(), table.end(), entry);
       it != std::sregex_iterator(); ++it)
    read.push_back((*it)[1]);
  for (const Hook hook : all_hooks()) expected.emplace_back(hook.name());
  EXPECT_EQ(read, expected);
}

}  // namespace
}  // namespace sle
