// The hook families' texts of recent reads. A read of 100,000 series writes some 10 MiB of text;
// writing it over a text no snapshot holds any more, rather than into a new string, spares the
// allocation and its page faults at every read. Slow scrapes still holding old texts must not make
// the pool grow for good, and a text grown for a peak (a churn) gives its room back.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace sle {

class TextPool {
 public:
  // A text that no one else holds, emptied with its room kept (or a new one), written by fill.
  // The caller hands it out; the pool writes over it once every copy is gone.
  std::shared_ptr<const std::string> write(const std::function<void(std::string&)>& fill);
  std::size_t size() const { return texts_.size(); }

 private:
  std::vector<std::shared_ptr<std::string>> texts_;
};

}  // namespace sle
