#include "loader/pinning.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

#include "common/error.h"
#include "common/logging.h"
#include "loader/map_reader.h"

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

void require_bpf_filesystem(const std::string& path, const std::string& source) {
  constexpr decltype(statfs::f_type) kBpfFsMagic = 0xcafe4a11;  // BPF_FS_MAGIC, linux/magic.h
  fs::path at(path);
  struct statfs info {};
  while (::statfs(at.c_str(), &info) != 0) {
    if (errno != ENOENT || at == at.root_path())
      throw ConfigError(source + ": cannot look at " + at.string() + ": " + errno_text(errno));
    at = at.parent_path();
  }
  if (info.f_type != kBpfFsMagic)
    throw ConfigError(source + ": \"" + path + "\" is not on a bpf filesystem (" + at.string() +
                      " is not; mount one with: mount -t bpf bpf /sys/fs/bpf)");
}

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

namespace {

// What v1 kept per generation, in the order of its totals array.
constexpr std::uint32_t kV1Calls = 0, kV1Overflow = 1, kV1PerGeneration = 2;

// A v1 map pinned at path, checked against what v1 made; invalid when it is not there.
UniqueFd open_v1(const std::string& path, bpf_map_type type, std::uint32_t key_size,
                 std::uint32_t max_entries) {
  UniqueFd fd(bpf_obj_get(path.c_str()));
  if (!fd) return fd;
  bpf_map_info info{};
  __u32 len = sizeof info;
  if (bpf_obj_get_info_by_fd(fd.get(), &info, &len) != 0 || info.type != static_cast<__u32>(type) ||
      info.key_size != key_size || info.value_size != sizeof(std::uint64_t) ||
      (max_entries != 0 && info.max_entries != max_entries)) {
    log::warn("A pinned map is not what layout v1 made; not converting it", {{"map", path}});
    return UniqueFd();
  }
  return fd;
}

}  // namespace

sle_key upgraded_key(sle_key key, std::uint32_t label_mask) {
  if (label_mask & SLE_LABEL_BIT(SLE_LABEL_OUTCOME)) key.outcome = SLE_OUTCOME_UNKNOWN;
  return key;
}

namespace {

// The end of a conversion from an older layout: its pins removed, its directory too when that
// leaves it empty, and the log line saying the counters go on.
void finish_conversion(std::span<const std::string> paths, const std::string& dir,
                       std::string_view layout, std::string_view what, std::size_t keys) {
  for (const std::string& path : paths)
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      throw SystemError("unpinning " + path, errno);
  ::rmdir(dir.c_str());  // only when empty: anything else there is not ours to remove
  log::info("Converted the maps pinned by layout " + std::string(layout) + "; the counters go on",
            {{"hook", what}, {"keys", std::to_string(keys)}});
}

}  // namespace

bool convert_v1_maps(const std::string& v1_dir, const int counts_fds[2], int totals_fd,
                     std::uint32_t label_mask, std::string_view what) {
  const std::string paths[3] = {v1_dir + "/sle_counts_0", v1_dir + "/sle_counts_1",
                                v1_dir + "/sle_totals"};
  const UniqueFd old_counts[2] = {open_v1(paths[0], BPF_MAP_TYPE_PERCPU_HASH, sizeof(sle_key), 0),
                                  open_v1(paths[1], BPF_MAP_TYPE_PERCPU_HASH, sizeof(sle_key), 0)};
  const UniqueFd old_totals =
      open_v1(paths[2], BPF_MAP_TYPE_PERCPU_ARRAY, sizeof(__u32), 2 * kV1PerGeneration);
  if (!old_counts[0] || !old_counts[1] || !old_totals) return false;

  const int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) throw SystemError("counting the possible CPUs", ncpu == 0 ? EINVAL : -ncpu);
  std::vector<std::uint64_t> per_cpu(static_cast<std::size_t>(ncpu));
  const auto summed = [&](int fd, const void* key) {
    if (bpf_map_lookup_elem(fd, key, per_cpu.data()) != 0) return std::uint64_t{0};
    std::uint64_t sum = 0;
    for (const std::uint64_t v : per_cpu) sum += v;
    return sum;
  };
  std::size_t keys = 0;
  for (std::uint32_t g = 0; g < 2; ++g) {
    std::uint64_t unplaced = 0;  // counts of keys the new hash had no room for
    sle_key key{}, next{};
    const sle_key* prev = nullptr;
    while (bpf_map_get_next_key(old_counts[g].get(), prev, &next) == 0) {
      const std::uint64_t count = summed(old_counts[g].get(), &next);
      const sle_key upgraded = upgraded_key(next, label_mask);
      if (bpf_map_update_elem(counts_fds[g], &upgraded, &count, BPF_NOEXIST) == 0)
        ++keys;
      else
        unplaced += count;
      key = next;
      prev = &key;
    }
    std::vector<sle_totals> totals(static_cast<std::size_t>(ncpu));
    const __u32 calls = g * kV1PerGeneration + kV1Calls;
    const __u32 overflow = g * kV1PerGeneration + kV1Overflow;
    totals[0].calls = summed(old_totals.get(), &calls);
    totals[0].overflow = summed(old_totals.get(), &overflow) + unplaced;
    if (bpf_map_update_elem(totals_fd, &g, totals.data(), BPF_ANY) != 0)
      throw SystemError("writing the converted totals of " + std::string(what), errno);
    if (unplaced != 0)
      log::warn("Counts pinned by layout v1 do not fit this capacity: counted as overflow",
                {{"hook", what}, {"calls", std::to_string(unplaced)}});
  }
  finish_conversion(paths, v1_dir, "v1", what, keys);
  return true;
}

namespace {

// A v2 map pinned at path, checked against what v2 made (this layout's sizes); invalid when it is
// not there.
UniqueFd open_v2(const std::string& path, bpf_map_type type, std::uint32_t key_size,
                 std::uint32_t value_size) {
  UniqueFd fd(bpf_obj_get(path.c_str()));
  if (!fd) return fd;
  bpf_map_info info{};
  __u32 len = sizeof info;
  if (bpf_obj_get_info_by_fd(fd.get(), &info, &len) != 0 || info.type != static_cast<__u32>(type) ||
      info.key_size != key_size || info.value_size != value_size) {
    log::warn("A pinned map is not what layout v2 made; not converting it", {{"map", path}});
    return UniqueFd();
  }
  return fd;
}

}  // namespace

bool convert_v2_maps(const std::string& v2_dir, const int counts_fds[2], int totals_fd,
                     std::uint32_t label_mask, std::string_view what) {
  const std::string paths[4] = {v2_dir + "/sle_counts_0", v2_dir + "/sle_counts_1",
                                v2_dir + "/sle_totals", v2_dir + "/sle_cache"};
  const UniqueFd old_counts[2] = {
      open_v2(paths[0], BPF_MAP_TYPE_HASH, sizeof(sle_key), sizeof(std::uint64_t)),
      open_v2(paths[1], BPF_MAP_TYPE_HASH, sizeof(sle_key), sizeof(std::uint64_t))};
  const UniqueFd old_totals = open_v2(paths[2], BPF_MAP_TYPE_PERCPU_ARRAY, 4, sizeof(sle_totals));
  const UniqueFd old_cache = open_v2(paths[3], BPF_MAP_TYPE_PERCPU_ARRAY, 4, sizeof(sle_cache));
  if (!old_counts[0] || !old_counts[1] || !old_totals || !old_cache) return false;

  const int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) throw SystemError("counting the possible CPUs", ncpu == 0 ? EINVAL : -ncpu);
  std::size_t keys = 0;
  for (std::uint32_t g = 0; g < 2; ++g) {
    std::uint64_t unplaced = 0;  // counts of keys the new hash had no room for
    // Adds count to key's count in the new hash, inserting it where missing.
    const auto add = [&](const sle_key& old, std::uint64_t count) {
      const sle_key key = upgraded_key(old, label_mask);
      std::uint64_t value = 0;
      const bool had = bpf_map_lookup_elem(counts_fds[g], &key, &value) == 0;
      value += count;
      if (bpf_map_update_elem(counts_fds[g], &key, &value, BPF_ANY) != 0) {
        unplaced += count;
        return;
      }
      keys += had ? 0 : 1;
    };
    sle_key key{}, next{};
    const sle_key* prev = nullptr;
    while (bpf_map_get_next_key(old_counts[g].get(), prev, &next) == 0) {
      std::uint64_t count = 0;
      if (bpf_map_lookup_elem(old_counts[g].get(), &next, &count) == 0) add(next, count);
      key = next;
      prev = &key;
    }
    // The slots' counts: not yet emptied into the hash when the old exporter stopped.
    std::vector<sle_cache> caches(static_cast<std::size_t>(ncpu));
    if (bpf_map_lookup_elem(old_cache.get(), &g, caches.data()) == 0)
      for (const sle_cache& cache : caches)
        for (const sle_slot& slot : cache.slots)
          if (slot.count != 0) add(slot.key, slot.count);
    std::vector<sle_totals> totals(static_cast<std::size_t>(ncpu));
    if (bpf_map_lookup_elem(old_totals.get(), &g, totals.data()) != 0)
      throw SystemError("reading the totals pinned by layout v2 for " + std::string(what), errno);
    totals[0].overflow += unplaced;
    if (bpf_map_update_elem(totals_fd, &g, totals.data(), BPF_ANY) != 0)
      throw SystemError("writing the converted totals of " + std::string(what), errno);
    if (unplaced != 0)
      log::warn("Counts pinned by layout v2 do not fit this capacity: counted as overflow",
                {{"hook", what}, {"calls", std::to_string(unplaced)}});
  }
  finish_conversion(paths, v2_dir, "v2", what, keys);
  return true;
}

void convert_old_state(const std::string& pin_path) {
  const std::string new_path = (fs::path(pin_path) / kPinLayout / "state").string();
  std::error_code ec;
  if (fs::exists(new_path, ec)) return;
  for (const char* layout : {"v2", "v1"}) {
    const std::string old_path = (fs::path(pin_path) / layout / "state").string();
    if (!fs::exists(old_path, ec)) continue;
    const auto kept = PinnedBlob(old_path).read();
    if (kept) PinnedBlob(layout_dir(pin_path) + "/state").write(*kept);
    if (::unlink(old_path.c_str()) != 0 && errno != ENOENT)
      throw SystemError("unpinning " + old_path, errno);
    log::info(std::string("Converted the state kept by layout ") + layout, {{"path", new_path}});
    return;
  }
}

void remove_old_dirs_if_empty(const std::string& pin_path) {
  for (const char* layout : {"v1", "v2"})
    ::rmdir((fs::path(pin_path) / layout).c_str());  // fails, harmlessly, unless empty
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
