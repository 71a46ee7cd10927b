// Giving the heap's freed memory back to the system after a read. Expiry frees what the expired
// series used in small pieces, which malloc keeps (blocks of 1 MiB and more go back as they are
// freed, see main.cpp); trimmed, the resident size follows what is kept rather than its peak. In
// steady state what a read uses stays in use (its text is written over), the heap in use does not
// fall, and nothing is trimmed: malloc_trim walks the whole heap, which is not free.
#pragma once

#include <cstddef>

namespace sle {

class HeapTrim {
 public:
  // After a read, with malloc's bytes in use now: trims (malloc_trim) when they fell by more than
  // kFreedBytes below their peak since the last trim. Returns whether it trimmed.
  bool after_read(std::size_t in_use);
  // The same with mallinfo2's bytes in use.
  bool after_read();

  static constexpr std::size_t kFreedBytes = 64 << 10;

 private:
  std::size_t peak_ = 0;  // bytes in use, the most since the last trim
};

}  // namespace sle
