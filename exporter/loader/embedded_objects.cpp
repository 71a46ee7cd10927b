#include "loader/embedded_objects.h"

#include <algorithm>

namespace sle {

const EmbeddedObject* find_embedded_object(std::string_view name) {
  const auto objects = embedded_objects();
  const auto it = std::ranges::find(objects, name, &EmbeddedObject::name);
  return it == objects.end() ? nullptr : &*it;
}

}  // namespace sle
