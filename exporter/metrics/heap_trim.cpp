#include "metrics/heap_trim.h"

#include <malloc.h>

#include <algorithm>

namespace sle {

bool HeapTrim::after_read(std::size_t in_use) {
  peak_ = std::max(peak_, in_use);
  if (in_use + kFreedBytes >= peak_) return false;
  ::malloc_trim(0);
  peak_ = in_use;
  return true;
}

bool HeapTrim::after_read() { return after_read(::mallinfo2().uordblks); }

}  // namespace sle
