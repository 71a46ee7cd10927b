// Keeping the maps, and what user space knows, across restarts and upgrades (bpf.pin_path;
// docs/lifecycle.md). Maps are pinned under <pin_path>/<layout>/<hook>/: libbpf compares only a
// pinned map's type and sizes, so the layout version is in the path, and an exporter whose maps
// mean something else never reads another's. What lives only in user space (retained counts, the
// cgroups' paths) is kept beside them in a pinned map of its own, since bpffs holds no files.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/unique_fd.h"

extern "C" {
#include "socket_lsm.h"
}

struct bpf_map;

namespace sle {

// The version of the maps' layout (the key, the values, the two generations, the per-CPU
// totals and slots): change it with any of them. v1: per-CPU counts hashes and a totals array
// (until 24a6d39); v2: shared counts hashes, struct sle_totals and struct sle_cache; v3: the same
// maps, the key's outcome and errno fields taken from its padding.
inline constexpr std::string_view kPinLayout = "v3";

// A key counted before the outcome labels existed (layouts v1 and v2), as this layout has it: its
// outcome unknown where the hook's label_mask keeps the outcome label.
sle_key upgraded_key(sle_key key, std::uint32_t label_mask);

// Throws ConfigError "<source>: ..." unless path, or the nearest of its parents that exists (the
// exporter makes the rest), is on a bpf filesystem: the config's bpf.pin_path, checked where it
// is used rather than while the config is parsed. source: where the path was set.
void require_bpf_filesystem(const std::string& path, const std::string& source);

// <pin_path>/<layout>, made if missing: where this exporter pins. Throws SystemError.
std::string layout_dir(const std::string& pin_path);

// Pins each map in dir, under its name. Maps pinned there before are used again when every one
// of them matches (type, key and value size, capacity, flags); otherwise they are unpinned, with
// a warning for each that does not match, and fresh maps take their place. Call between open and
// load. Returns whether the old maps are used. Throws SystemError.
bool pin_maps(std::span<bpf_map* const> maps, const std::string& dir, std::string_view what);

// Warns about pins of another layout under pin_path, left by an older or newer exporter, and says
// how to remove them.
void warn_other_layouts(const std::string& pin_path);

// An upgrade from layout v1 (per-CPU counts hashes sle_counts_0/1 and a per-CPU totals array
// sle_totals, calls and overflow per generation; until 24a6d39): what one hook's v1 pins in
// v1_dir hold goes into this layout's maps, freshly made (counts summed over CPUs into the
// hashes, totals into the first CPU's struct sle_totals), and the v1 pins are removed, so that
// counters go on across the upgrade. Counts that do not fit the capacity go to overflow. Returns
// whether there was anything to convert. Throws SystemError.
bool convert_v1_maps(const std::string& v1_dir, const int counts_fds[2], int totals_fd,
                     std::uint32_t label_mask, std::string_view what);

// An upgrade from layout v2 (until the outcome labels): its maps are this layout's but for the
// keys' meaning. The counts of v2_dir's hashes and slots go into this layout's hashes, freshly
// made, under upgraded_key(), the totals as they were; then the v2 pins are removed. Returns
// whether there was anything to convert. Throws SystemError.
bool convert_v2_maps(const std::string& v2_dir, const int counts_fds[2], int totals_fd,
                     std::uint32_t label_mask, std::string_view what);

// The same for the kept state (<pin_path>/v2/state, else v1's), when this layout has none yet;
// and the old layouts' directories removed once empty. Call before opening this layout's state.
void convert_old_state(const std::string& pin_path);
void remove_old_dirs_if_empty(const std::string& pin_path);

// A blob of bytes in a pinned map at path, created when missing (needs CAP_BPF then; reading and
// writing later need only the map's fd).
class PinnedBlob {
 public:
  explicit PinnedBlob(const std::string& path);  // throws SystemError
  // What was written last; nullopt when nothing was, or what is there is damaged (a write cut
  // short by a crash).
  std::optional<std::string> read() const;
  void write(std::string_view data);  // throws SystemError

 private:
  UniqueFd fd_;
};

}  // namespace sle
