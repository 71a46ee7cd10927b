// The texts' pool: written over once no one holds a text, never while someone does, not growing
// for good when slow holders let go, and giving back the room of a peak.
#include "metrics/text_pool.h"

#include <gtest/gtest.h>

#include <string>

namespace sle {
namespace {

std::function<void(std::string&)> fill_with(std::size_t n, char c) {
  return [=](std::string& text) { text.append(n, c); };
}

TEST(TextPool, WritesOverATextNoOneHoldsKeepingItsRoom) {
  TextPool pool;
  const void* first_data = nullptr;
  {
    const auto first = pool.write(fill_with(1000, 'a'));
    EXPECT_EQ(*first, std::string(1000, 'a'));
    first_data = first->data();
  }
  const auto second = pool.write(fill_with(900, 'b'));
  EXPECT_EQ(*second, std::string(900, 'b'));  // emptied before it was written
  EXPECT_EQ(second->data(), first_data);      // the same text, its room reused
  EXPECT_EQ(pool.size(), 1u);
}

TEST(TextPool, NeverWritesOverATextSomeoneHolds) {
  TextPool pool;
  const auto held = pool.write(fill_with(10, 'a'));
  const auto other = pool.write(fill_with(10, 'b'));
  EXPECT_EQ(*held, std::string(10, 'a'));
  EXPECT_EQ(*other, std::string(10, 'b'));
  EXPECT_NE(held.get(), other.get());
  EXPECT_EQ(pool.size(), 2u);
}

TEST(TextPool, KeepsOneSpareWhenSlowHoldersLetGo) {
  TextPool pool;
  {
    std::vector<std::shared_ptr<const std::string>> slow;
    for (int i = 0; i < 5; ++i) slow.push_back(pool.write(fill_with(10, 'x')));
    EXPECT_EQ(pool.size(), 5u);
  }  // all let go
  const auto next = pool.write(fill_with(10, 'y'));
  // The one written, and one spare for the next read: the other three are dropped.
  EXPECT_EQ(pool.size(), 2u);
  EXPECT_EQ(*next, std::string(10, 'y'));
}

TEST(TextPool, AFallenTextGivesBackThePeaksRoom) {
  TextPool pool;
  { const auto peak = pool.write(fill_with(4 << 20, 'p')); }  // a churn's 4 MiB
  const auto small = pool.write(fill_with(1000, 's'));
  EXPECT_EQ(*small, std::string(1000, 's'));
  // shrink_to_fit: within what twice its size and the 64 KiB slack allow.
  EXPECT_LT(small->capacity(), 2 * small->size() + (64u << 10));
}

}  // namespace
}  // namespace sle
