// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cgroup:cgroup_mkdir and cgroup:cgroup_rmdir on the cgroup v2 hierarchy: id and path of every
 * cgroup made or removed, sent to user space through a ring buffer. Not a hook: the exporter loads
 * it beside the hook objects, to name a cgroup at birth and to know when it is gone.
 */
#include "core_types.h"
#include <bpf/bpf_helpers.h>
#include "cgroup_events.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 18); /* set from user space before load */
} sle_cgroup_ringbuf SEC(".maps");

/* Where an event is put together before it goes out with only as much of path as it has. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sle_cgroup_event);
} sle_cgroup_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SLE_CGROUP_STAT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} sle_cgroup_stats SEC(".maps");

static __always_inline void sle_cgroup_stat(__u32 index)
{
	__u64 *v = bpf_map_lookup_elem(&sle_cgroup_stats, &index);

	if (v)
		__sync_fetch_and_add(v, 1);
}

/* The cgroup v2 hierarchy is the default one, hierarchy id 0; v1 hierarchies (hybrid hosts) have
 * their own ids and are of no interest. */
static __always_inline int sle_send(struct trace_event_raw_cgroup *ctx, __u32 kind)
{
	const __u32 zero = 0;
	struct sle_cgroup_event *event;
	__u32 loc, size;
	long n;

	if (ctx->root != 0)
		return 0;
	event = bpf_map_lookup_elem(&sle_cgroup_scratch, &zero);
	if (!event)
		return 0;
	event->id = ctx->id;
	event->kind = kind;
	event->pad = 0;
	/* __data_loc: the string's offset in the record (low 16 bits) and length (high 16 bits). */
	loc = ctx->__data_loc_path;
	n = bpf_probe_read_kernel_str(event->path, sizeof(event->path),
				      (void *)ctx + (loc & 0xffff));
	if (n < 1) {
		event->path[0] = 0;
		n = 1;
	}
	event->path_len = (__u16)(n - 1);
	event->path_truncated = (loc >> 16) > sizeof(event->path);
	size = __builtin_offsetof(struct sle_cgroup_event, path) + (__u32)n;
	if (size > sizeof(*event))
		size = sizeof(*event);
	if (bpf_ringbuf_output(&sle_cgroup_ringbuf, event, size, 0) != 0) {
		sle_cgroup_stat(SLE_CGROUP_EVENTS_DROPPED);
		return 0;
	}
	sle_cgroup_stat(SLE_CGROUP_EVENTS_SENT);
	return 0;
}

SEC("tracepoint/cgroup/cgroup_mkdir")
int tp_cgroup_mkdir(struct trace_event_raw_cgroup *ctx)
{
	return sle_send(ctx, SLE_CGROUP_MKDIR);
}

SEC("tracepoint/cgroup/cgroup_rmdir")
int tp_cgroup_rmdir(struct trace_event_raw_cgroup *ctx)
{
	return sle_send(ctx, SLE_CGROUP_RMDIR);
}
