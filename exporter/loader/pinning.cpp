#include "loader/pinning.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

#include "common/error.h"
#include "common/logging.h"

namespace sle {
namespace {

namespace fs = std::filesystem;

// Whether the map pinned at path is one the object's map definition could use.
bool matches(int fd, const bpf_map* map) {
  bpf_map_info info{};
  __u32 len = sizeof info;
  if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) return false;
  return info.type == static_cast<__u32>(bpf_map__type(map)) &&
         info.key_size == bpf_map__key_size(map) && info.value_size == bpf_map__value_size(map) &&
         info.max_entries == bpf_map__max_entries(map) && info.map_flags == bpf_map__map_flags(map);
}

// The blob's map: a hash of chunks, allocated as they are written. Chunk 0 is the header, written
// last, so a write cut short leaves a header whose length and checksum do not match.
constexpr __u32 kChunkBytes = 32 * 1024;
constexpr __u32 kMaxChunks = 2048;                     // 64 MiB
constexpr std::uint64_t kMagic = 0x31657461'74735f53;  // "S_state1"

struct Header {
  std::uint64_t magic = kMagic;
  std::uint64_t length = 0;
  std::uint64_t checksum = 0;
};

std::uint64_t fnv1a(std::string_view data) {
  std::uint64_t h = 0xcbf29ce484222325;
  for (const char c : data) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3;
  }
  return h;
}

}  // namespace

std::string layout_dir(const std::string& pin_path) {
  const fs::path dir = fs::path(pin_path) / kPinLayout;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw SystemError("making " + dir.string() + ": " + ec.message());
  return dir.string();
}

bool pin_maps(std::span<bpf_map* const> maps, const std::string& dir, std::string_view what) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw SystemError("making " + dir + ": " + ec.message());
  // The maps of one hook hold one set of counts: all of them are used again, or none is (old
  // totals beside fresh counts would break sum(counts) + overflow == calls).
  bool all_reused = true;
  std::vector<std::string> paths;
  for (bpf_map* map : maps) {
    paths.push_back(dir + "/" + bpf_map__name(map));
    const UniqueFd pinned(bpf_obj_get(paths.back().c_str()));
    if (!pinned) {
      all_reused = false;
    } else if (!matches(pinned.get(), map)) {
      log::warn("Pinned map does not match this exporter's; using a fresh one",
                {{"map", paths.back()}, {"hook", what}});
      all_reused = false;
    }
  }
  for (std::size_t i = 0; i < maps.size(); ++i) {
    if (!all_reused && ::unlink(paths[i].c_str()) != 0 && errno != ENOENT)
      throw SystemError("unpinning " + paths[i], errno);
    if (const int err = bpf_map__set_pin_path(maps[i], paths[i].c_str()))
      throw SystemError("setting the pin path " + paths[i], -err);
  }
  return all_reused;
}

void warn_other_layouts(const std::string& pin_path) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(pin_path, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory(ec) && name != kPinLayout)
      log::warn("Maps of another layout are pinned here and not used; remove them with rm -r",
                {{"path", entry.path().string()}, {"layout", name}, {"this_layout", kPinLayout}});
  }
}

PinnedBlob::PinnedBlob(const std::string& path) : fd_(bpf_obj_get(path.c_str())) {
  if (fd_) return;
  LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
  fd_ = UniqueFd(bpf_map_create(BPF_MAP_TYPE_HASH, "sle_state", sizeof(__u32), kChunkBytes,
                                kMaxChunks, &opts));
  if (!fd_) throw SystemError("creating the state map", errno);
  if (bpf_obj_pin(fd_.get(), path.c_str()) != 0) throw SystemError("pinning " + path, errno);
}

std::optional<std::string> PinnedBlob::read() const {
  std::vector<char> chunk(kChunkBytes);
  __u32 index = 0;
  if (bpf_map_lookup_elem(fd_.get(), &index, chunk.data()) != 0) return std::nullopt;
  Header header;
  std::memcpy(&header, chunk.data(), sizeof header);
  if (header.magic != kMagic || header.length > std::uint64_t{kChunkBytes} * (kMaxChunks - 1))
    return std::nullopt;
  std::string data;
  data.reserve(header.length);
  for (index = 1; data.size() < header.length; ++index) {
    if (bpf_map_lookup_elem(fd_.get(), &index, chunk.data()) != 0) return std::nullopt;
    data.append(chunk.data(), std::min<std::size_t>(kChunkBytes, header.length - data.size()));
  }
  if (fnv1a(data) != header.checksum) return std::nullopt;
  return data;
}

void PinnedBlob::write(std::string_view data) {
  if (data.size() > std::size_t{kChunkBytes} * (kMaxChunks - 1))
    throw SystemError("the state to keep has " + std::to_string(data.size()) +
                      " bytes, more than the state map holds");
  std::vector<char> chunk(kChunkBytes);
  __u32 index = 1;
  for (std::size_t at = 0; at < data.size(); at += kChunkBytes, ++index) {
    std::fill(chunk.begin(), chunk.end(), 0);
    const std::size_t n = std::min<std::size_t>(kChunkBytes, data.size() - at);
    std::memcpy(chunk.data(), data.data() + at, n);
    if (bpf_map_update_elem(fd_.get(), &index, chunk.data(), BPF_ANY) != 0)
      throw SystemError("writing the state map", errno);
  }
  // Chunks a longer state left behind.
  for (__u32 stale = index; bpf_map_delete_elem(fd_.get(), &stale) == 0; ++stale) {
  }
  std::fill(chunk.begin(), chunk.end(), 0);
  const Header header{kMagic, data.size(), fnv1a(data)};
  std::memcpy(chunk.data(), &header, sizeof header);
  const __u32 zero = 0;
  if (bpf_map_update_elem(fd_.get(), &zero, chunk.data(), BPF_ANY) != 0)
    throw SystemError("writing the state map", errno);
}

}  // namespace sle
