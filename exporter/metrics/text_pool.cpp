#include "metrics/text_pool.h"

#include <algorithm>
#include <utility>

namespace sle {
namespace {

// A text whose room exceeds twice its size by more than this is shrunk (a churn's peak passed).
constexpr std::size_t kTextSlackBytes = 64 << 10;

}  // namespace

std::shared_ptr<const std::string> TextPool::write(const std::function<void(std::string&)>& fill) {
  auto text =
      std::find_if(texts_.begin(), texts_.end(), [](const auto& t) { return t.use_count() == 1; });
  if (text == texts_.end()) {
    texts_.push_back(std::make_shared<std::string>());
    text = texts_.end() - 1;
  }
  (*text)->clear();  // keeps its capacity
  fill(**text);
  const auto oversized = [size = (*text)->size()](const std::string& t) {
    return t.capacity() > 2 * size + kTextSlackBytes;
  };
  if (oversized(**text)) (*text)->shrink_to_fit();
  std::shared_ptr<const std::string> out = *text;
  // Of the texts no one holds, one is kept for the next read, unless it is oversized.
  bool spare = false;
  std::erase_if(texts_, [&](const auto& t) {
    if (t.use_count() != 1) return false;
    return oversized(*t) || std::exchange(spare, true);
  });
  return out;
}

}  // namespace sle
