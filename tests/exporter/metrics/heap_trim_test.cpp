// When the heap is trimmed: after the bytes in use fell more than 64 KiB below their peak since
// the last trim, and not in a steady state or while they grow.
#include "metrics/heap_trim.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

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
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "SKIPPED: the sanitizer's allocator stands in for glibc's malloc, and "
                  "mallinfo2 does not see its blocks; the plain build runs this test";
#endif
  HeapTrim trim;
  EXPECT_FALSE(trim.after_read());  // the first: the peak is what is in use
  // 8 MiB in small blocks, which malloc keeps in its heap (not mapped on their own)...
  std::vector<std::unique_ptr<char[]>> blocks;
  for (int i = 0; i < 8192; ++i) blocks.push_back(std::make_unique<char[]>(1024));
  EXPECT_FALSE(trim.after_read());
  blocks.clear();  // ...freed, as an expiry frees series
  EXPECT_TRUE(trim.after_read());
}

}  // namespace
}  // namespace sle
