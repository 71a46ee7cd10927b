// When the heap is trimmed: after the bytes in use fell more than 64 KiB below their peak since
// the last trim, and not in a steady state or while they grow.
#include "metrics/heap_trim.h"

#include <gtest/gtest.h>

namespace sle {
namespace {

constexpr std::size_t kMiB = 1 << 20;

TEST(HeapTrim, NotWhileTheHeapGrowsOrHoldsSteady) {
  HeapTrim trim;
  EXPECT_FALSE(trim.after_read(10 * kMiB));
  EXPECT_FALSE(trim.after_read(20 * kMiB));
  EXPECT_FALSE(trim.after_read(20 * kMiB));
  // A small fall, within the 64 KiB: not worth a walk of the heap.
  EXPECT_FALSE(trim.after_read(20 * kMiB - HeapTrim::kFreedBytes));
}

TEST(HeapTrim, AfterAFallBelowThePeakThenFromTheNewLevel) {
  HeapTrim trim;
  EXPECT_FALSE(trim.after_read(50 * kMiB));  // a churn's peak
  EXPECT_TRUE(trim.after_read(10 * kMiB));   // expiry freed 40 MiB
  // The peak is the level trimmed to now: the same level again is steady.
  EXPECT_FALSE(trim.after_read(10 * kMiB));
  EXPECT_FALSE(trim.after_read(12 * kMiB));
  EXPECT_TRUE(trim.after_read(11 * kMiB - HeapTrim::kFreedBytes));
}

TEST(HeapTrim, MeasuresMallocsBytesInUse) {
  HeapTrim trim;
  EXPECT_FALSE(trim.after_read());  // the first: the peak is what is in use
}

}  // namespace
}  // namespace sle
