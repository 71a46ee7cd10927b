// The flat key table: every key found where it was put, through lookups and through the walk in
// the last read's order, whatever the order; erasing keeps the others and their states.
#include "metrics/key_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <vector>

namespace sle {
namespace {

// Keys that differ in one field each, so that every field takes part in finding a key.
sle_key key(std::uint32_t i) {
  sle_key k{};
  switch (i % 4) {
    case 0:
      k.cgroup_id = i;
      break;
    case 1:
      k.optname = i;
      break;
    case 2:
      k.port = static_cast<std::uint16_t>(i);
      k.family = static_cast<std::uint16_t>(i >> 16);
      break;
    default:
      k.level = i;
      break;
  }
  return k;
}

TEST(KeyTable, FindsEveryKeyWhereItWasPutAndNoOther) {
  KeyTable t;
  constexpr std::uint32_t n = 20000;
  for (std::uint32_t i = 0; i < n; ++i) EXPECT_EQ(t.insert(key(i)), i);
  ASSERT_EQ(t.size(), n);
  for (std::uint32_t i = 0; i < n; ++i) {
    ASSERT_EQ(t.find(key(i)), i) << i;
    const sle_key k = key(i);
    ASSERT_EQ(std::memcmp(&t.key(i), &k, sizeof k), 0);
  }
  for (std::uint32_t i = n; i < 2 * n; ++i) ASSERT_EQ(t.find(key(i)), KeyTable::kNone) << i;
  EXPECT_EQ(KeyTable().find(key(1)), KeyTable::kNone);
}

TEST(KeyTable, AReadInTheLastReadsOrderLooksNothingUp) {
  KeyTable t;
  constexpr std::uint32_t n = 5000;
  std::vector<std::uint32_t> order(n);
  for (std::uint32_t i = 0; i < n; ++i) t.insert(key(i)), order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(42));

  // The first read in this order looks every key up; the same order again finds each by its hint.
  for (int read = 0; read < 2; ++read) {
    const std::uint64_t before = t.lookups();
    t.start_read(1);
    for (const std::uint32_t i : order) ASSERT_EQ(t.find_next(1, key(i)), i);
    EXPECT_EQ(t.lookups() - before, read == 0 ? n : 0u) << "read " << read;
  }
  // The other generation keeps hints of its own.
  t.start_read(0);
  for (std::uint32_t i = 0; i < n; ++i) ASSERT_EQ(t.find_next(0, key(i)), i);
  const std::uint64_t before = t.lookups();
  t.start_read(1);
  for (const std::uint32_t i : order) ASSERT_EQ(t.find_next(1, key(i)), i);
  EXPECT_EQ(t.lookups(), before);

  // A key that is new in the middle, and one that is gone: a lookup each, the rest by hint.
  std::vector<std::uint32_t> changed = order;
  changed.erase(changed.begin() + 100);
  const sle_key fresh = key(n + 7);
  t.start_read(1);
  std::uint32_t found = 0;
  for (std::size_t at = 0; at < changed.size(); ++at) {
    if (at == 2000) {
      ASSERT_EQ(t.find_next(1, fresh), KeyTable::kNone);
    }
    ASSERT_EQ(t.find_next(1, key(changed[at])), changed[at]);
    ++found;
  }
  EXPECT_EQ(found, n - 1);
  EXPECT_EQ(t.lookups() - before, 2u);  // the key after the gone one, and the fresh one
}

TEST(KeyTable, ErasingKeepsTheOtherKeysTheirOrderAndTheirStates) {
  KeyTable t;
  constexpr std::uint32_t n = 3000;
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint32_t at = t.insert(key(i));
    t.state(at).series = i;
    t.state(at).count[1] = 10 + i;
  }
  t.start_read(0);
  for (std::uint32_t i = 0; i < n; ++i) t.find_next(0, key(i));
  int asked = 0;
  t.erase_if([&](const sle_key&, const KeyTable::State& s) {
    ++asked;
    return s.series % 3 != 0;
  });
  EXPECT_EQ(asked, static_cast<int>(n));
  ASSERT_EQ(t.size(), n / 3);
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint32_t at = t.find(key(i));
    if (i % 3 != 0) {
      EXPECT_EQ(at, KeyTable::kNone) << i;
      continue;
    }
    ASSERT_EQ(at, i / 3) << i;
    EXPECT_EQ(t.state(at).series, i);
    EXPECT_EQ(t.state(at).count[1], 10u + i);
  }
  // Reads find the kept keys, whatever the hints held before.
  t.start_read(0);
  for (std::uint32_t i = 0; i < n; i += 3) ASSERT_EQ(t.find_next(0, key(i)), i / 3);
  // And the table takes new keys again.
  EXPECT_EQ(t.insert(key(n)), n / 3);
  EXPECT_EQ(t.find(key(n)), n / 3);
  t.erase_if([](const sle_key&, const KeyTable::State&) { return true; });
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.find(key(0)), KeyTable::kNone);
}

}  // namespace
}  // namespace sle
