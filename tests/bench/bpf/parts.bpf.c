// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The parts of a hook program, one program each, for the benchmark's "parts" table
 * (tests/bench/hook_bench.cpp): each is attached alone on the setsockopt attach point of one
 * backend, and what it adds over the empty program there is that part's cost. They answer what
 * a smaller key, the self-test check or the fd walk would save, before counting.bpf.h changes.
 */
#include "core_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "socket_read.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct key32 {
	__u64 a, b, c, d;
};
struct key16 {
	__u64 a, b;
};

#define COUNT_MAP(name, key_type)                       \
	struct {                                        \
		__uint(type, BPF_MAP_TYPE_PERCPU_HASH); \
		__uint(max_entries, 10240);             \
		__type(key, key_type);                  \
		__type(value, __u64);                   \
	} name SEC(".maps")

COUNT_MAP(counts32, struct key32);
COUNT_MAP(counts16, struct key16);
COUNT_MAP(counts8, __u64);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} totals SEC(".maps");

/* A direct-mapped per-CPU cache in front of the hash map: a slot per hash of the key, holding the
 * key and its count; a hit costs a multiply, an inlined array lookup and two compares. (What a
 * reader would have to merge back; measured here only.) */
struct slot {
	struct key16 key;
	__u64 count;
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct slot);
} slots SEC(".maps");

/* Written so the compiler keeps what the parts compute; never read. */
volatile __u64 sink = 0;
volatile __u32 self_test_active = 0;
/* A key field the compiler cannot fold (user space may change it). */
volatile __u64 key_seed = 1;

static __always_inline void count(void *map, const void *key)
{
	__u64 one = 1, *v = bpf_map_lookup_elem(map, key);

	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(map, key, &one, BPF_NOEXIST);
}

/* Without the lock prefix: what an atomic add costs on a per-CPU value. */
static __always_inline void count_plain(void *map, const void *key)
{
	__u64 one = 1, *v = bpf_map_lookup_elem(map, key);

	if (v)
		*v += 1;
	else
		bpf_map_update_elem(map, key, &one, BPF_NOEXIST);
}

static __always_inline void part_hash32_plain(void)
{
	struct key32 k = { .a = key_seed, .b = 2, .c = 3, .d = 4 };

	count_plain(&counts32, &k);
}

static __always_inline void part_total_plain(void)
{
	__u32 i = 1;
	__u64 *v = bpf_map_lookup_elem(&totals, &i);

	if (v)
		*v += 1;
}

/* The cgroup id by direct loads (what bpf_get_current_cgroup_id() reads): task -> css_set ->
 * default hierarchy's cgroup -> kernfs node -> id. The ___ suffixes are CO-RE's "same type". */
struct kernfs_node___sle {
	__u64 id;
} __attribute__((preserve_access_index));
struct cgroup___sle {
	struct kernfs_node___sle *kn;
} __attribute__((preserve_access_index));
struct css_set___sle {
	struct cgroup___sle *dfl_cgrp;
} __attribute__((preserve_access_index));
struct task_struct___sle {
	struct css_set___sle *cgroups;
} __attribute__((preserve_access_index));

static __always_inline void part_cgroup_btf(void)
{
	struct task_struct___sle *task = (void *)bpf_get_current_task_btf();

	sink = task->cgroups->dfl_cgrp->kn->id;
}

static __always_inline void part_hash32(void)
{
	struct key32 k = { .a = key_seed, .b = 2, .c = 3, .d = 4 };

	count(&counts32, &k);
}

static __always_inline void part_hash16(void)
{
	struct key16 k = { .a = key_seed, .b = 2 };

	count(&counts16, &k);
}

static __always_inline void part_hash8(void)
{
	__u64 k = key_seed;

	count(&counts8, &k);
}

static __always_inline void part_slot16(void)
{
	struct key16 k = { .a = key_seed, .b = 2 };
	__u32 i = (__u32)(((k.a ^ (k.b << 1)) * 0x9E3779B97F4A7C15ull) >> 54);
	struct slot *s = bpf_map_lookup_elem(&slots, &i);

	if (!s)
		return;
	if (s->key.a == k.a && s->key.b == k.b) {
		s->count++;
		return;
	}
	if (!s->count) { /* empty: take it (a real cache would spill to the hash map on conflict) */
		s->key = k;
		s->count = 1;
		return;
	}
	count(&counts16, &k);
}

static __always_inline void part_total(void)
{
	__u32 i = 0;
	__u64 *v = bpf_map_lookup_elem(&totals, &i);

	if (v)
		__sync_fetch_and_add(v, 1);
}

static __always_inline void part_self_test(void)
{
	if (self_test_active)
		sink = 1;
}

static __always_inline void part_cgroup(void)
{
	sink = bpf_get_current_cgroup_id();
}

/* fd -> socket -> family (tracepoint only): with whatever sle_kernel_features user space set. */
static __always_inline void part_fd_socket(long fd)
{
	struct socket *sock = sle_socket_from_fd(fd);
	struct sle_socket_info info;

	if (!sock)
		return;
	sle_read_socket(&info, sock, SLE_PROBE);
	sink = info.family;
}

/* setsockopt's optval is a user pointer (the bench passes an int on its stack): 16 bytes from it,
 * as the tracepoint programs read a user's sockaddr. */
SEC("tracepoint/syscalls/sys_enter_setsockopt")
int tp_user16(struct trace_event_raw_sys_enter *ctx)
{
	struct sockaddr_in sa;

	if (!bpf_probe_read_user(&sa, sizeof(sa), (const void *)ctx->args[3]))
		sink = sa.sin_port;
	return 0;
}

#define PARTS(prefix, section, ...)                      \
	SEC(section) int prefix##_hash32(void *ctx)      \
	{                                                \
		part_hash32();                           \
		return 0;                                \
	}                                                \
	SEC(section) int prefix##_hash16(void *ctx)      \
	{                                                \
		part_hash16();                           \
		return 0;                                \
	}                                                \
	SEC(section) int prefix##_hash8(void *ctx)       \
	{                                                \
		part_hash8();                            \
		return 0;                                \
	}                                                \
	SEC(section) int prefix##_total(void *ctx)       \
	{                                                \
		part_total();                            \
		return 0;                                \
	}                                                \
	SEC(section) int prefix##_selftest(void *ctx)    \
	{                                                \
		part_self_test();                        \
		return 0;                                \
	}                                                \
	SEC(section) int prefix##_cgroup(void *ctx)      \
	{                                                \
		part_cgroup();                           \
		return 0;                                \
	}                                                \
	SEC(section) int prefix##_cgroupbtf(void *ctx)   \
	{                                                \
		part_cgroup_btf();                       \
		return 0;                                \
	}                                                \
	SEC(section) int prefix##_hash32plain(void *ctx) \
	{                                                \
		part_hash32_plain();                     \
		return 0;                                \
	}                                                \
	SEC(section) int prefix##_totalplain(void *ctx)  \
	{                                                \
		part_total_plain();                      \
		return 0;                                \
	}                                                \
	SEC(section) int prefix##_slot16(void *ctx)      \
	{                                                \
		part_slot16();                           \
		return 0;                                \
	}

PARTS(fexit, "fexit/security_socket_setsockopt")
PARTS(fentry, "fentry/security_socket_setsockopt")
PARTS(kprobe, "kprobe/security_socket_setsockopt")
PARTS(tp, "tracepoint/syscalls/sys_enter_setsockopt")

SEC("tracepoint/syscalls/sys_enter_setsockopt")
int tp_fdsocket(struct trace_event_raw_sys_enter *ctx)
{
	part_fd_socket((long)ctx->args[0]);
	return 0;
}

/* The alternative to per-syscall tracepoints: one program on every system call's entry. */
SEC("raw_tp/sys_enter")
int rawtp_empty(void *ctx)
{
	return 0;
}

SEC("tp_btf/sys_enter")
int tpbtf_empty(void *ctx)
{
	return 0;
}
