/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Counting: the maps of one hook object and sle_count(), where every hook body ends. A body
 * describes the call (struct sle_call, from what socket_read.bpf.h read); sle_count applies the
 * configured filters and label mask, builds the key and counts it. Each hook is its own BPF
 * object (bpf/<hook>.bpf.c), so the maps here are that hook's own.
 *
 * Counts and totals come in two generations. Programs count into the one sle_gen names; to read,
 * user space switches sle_gen to the other and reads the old one, counts first, calls last. A
 * program adds to calls before it adds to its key's count or to overflow (sle_count), so counts +
 * overflow == calls means none was still counting into it; otherwise user space waits for an RCU
 * grace period, after which none can be, and reads it again. Its totals and its counts then agree
 * exactly, however busy the hooks are.
 */
#ifndef SLE_COUNTING_BPF_H
#define SLE_COUNTING_BPF_H

#include "core_types.h"
#include <bpf/bpf_helpers.h>
#include "socket_lsm.h"
#include "classify.h"

/* Set by user space between open and load; the verifier then sees constants and prunes. */
const volatile struct sle_hook_config sle_cfg = {};
const volatile __u64 sle_exact_ports[SLE_PORT_BITMAP_WORDS] = {};

/*
 * Self-test: while sle_self_test_active, calls from the thread named sle_self_test_comm are
 * counted in sle_self_test_hits only, never in the metrics. A unique thread name rather than a
 * pid identifies the exporter: inside a PID namespace (a container) its pid differs from the one
 * BPF sees.
 */
volatile __u32 sle_self_test_active = 0;
__u64 sle_self_test_comm[2] = {};
__u64 sle_self_test_hits = 0;

/* The generation programs count into: 0 or 1. Written by user space only. */
volatile __u32 sle_gen = 0;

/* Capacity is set from the config before load. */
#define SLE_COUNTS_MAP(name)                            \
	struct {                                        \
		__uint(type, BPF_MAP_TYPE_PERCPU_HASH); \
		__uint(max_entries, 10240);             \
		__type(key, struct sle_key);            \
		__type(value, __u64);                   \
	} name SEC(".maps")

SLE_COUNTS_MAP(sle_counts_0);
SLE_COUNTS_MAP(sle_counts_1);

/* Exact per-CPU totals that never fill, SLE_TOTAL_COUNT per generation: for each generation,
 * sum(counts) + overflow == calls. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * SLE_TOTAL_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} sle_totals SEC(".maps");

/* One hook call as its body saw it, before the config shapes it into a key. */
struct sle_call {
	__u16 family;
	__u16 type;
	__u16 protocol;
	bool has_port; /* an inet or inet6 port goes with the call */
	__u16 port;    /* host order */
	__u8 peer;     /* enum sle_peer_class */
	__u32 level;   /* setsockopt */
	__u32 optname; /* setsockopt */
};

static __always_inline bool sle_label_on(enum sle_label label)
{
	return sle_cfg.label_mask & SLE_LABEL_BIT(label);
}

static __always_inline void sle_add_total(__u32 index)
{
	__u64 *v = bpf_map_lookup_elem(&sle_totals, &index);

	if (v)
		__sync_fetch_and_add(v, 1);
}

/* Whether this is the exporter's own self-test call (then it is counted there only). */
static __always_inline bool sle_is_self_test(void)
{
	__u64 comm[2] = {};

	if (!sle_self_test_active)
		return false;
	bpf_get_current_comm(comm, sizeof(comm));
	if (comm[0] != sle_self_test_comm[0] || comm[1] != sle_self_test_comm[1])
		return false;
	__sync_fetch_and_add(&sle_self_test_hits, 1);
	return true;
}

/* The key of a call: labels switched off are zeroed so their series collapse in the kernel. */
static __always_inline void sle_make_key(struct sle_key *key, const struct sle_call *call)
{
	/* The protocol and optname names depend on family and level: keep those for decoding. */
	if (sle_label_on(SLE_LABEL_FAMILY) || sle_label_on(SLE_LABEL_PROTOCOL))
		key->family = call->family;
	if (sle_label_on(SLE_LABEL_TYPE))
		key->type = call->type;
	if (sle_label_on(SLE_LABEL_PROTOCOL))
		key->protocol = call->protocol;
	if (sle_label_on(SLE_LABEL_PORT) && call->has_port) {
		__u16 port = call->port;
		int exact = (sle_exact_ports[(port >> 6) & (SLE_PORT_BITMAP_WORDS - 1)] >>
			     (port & 63)) &
			    1;

		key->port_class = sle_classify_port(port, exact);
		key->port = key->port_class == SLE_PORT_EXACT ? port : 0;
	}
	if (sle_label_on(SLE_LABEL_PEER))
		key->peer = call->peer;
	if (sle_label_on(SLE_LABEL_LEVEL) || sle_label_on(SLE_LABEL_OPTNAME))
		key->level = call->level;
	if (sle_label_on(SLE_LABEL_OPTNAME))
		key->optname = call->optname;
	if (sle_cfg.label_mask & SLE_CGROUP_LABELS)
		key->cgroup_id = bpf_get_current_cgroup_id();
}

/* Adds one to the key's entry in counts, or to the generation's overflow when the map is full. */
static __always_inline void sle_count_in(void *counts, const struct sle_key *key, __u32 gen)
{
	__u64 one = 1, *value;
	long err;

	value = bpf_map_lookup_elem(counts, key);
	if (value) {
		__sync_fetch_and_add(value, 1);
		return;
	}
	/* Insert only on a miss; another CPU may insert the same key first (-EEXIST). */
	err = bpf_map_update_elem(counts, key, &one, BPF_NOEXIST);
	if (!err)
		return;
	if (err == -EEXIST) {
		value = bpf_map_lookup_elem(counts, key);
		if (value) {
			__sync_fetch_and_add(value, 1);
			return;
		}
	}
	sle_add_total(gen * SLE_TOTAL_COUNT + SLE_TOTAL_OVERFLOW);
}

/* Applies the filters, then counts the call in the current generation. */
static __always_inline void sle_count(const struct sle_call *call)
{
	__u64 family_mask = sle_cfg.family_mask;
	struct sle_key key = {};
	__u32 gen;

	if (sle_is_self_test())
		return;
	if (family_mask && (call->family >= 64 || !(family_mask & (1ULL << call->family))))
		return;
	sle_make_key(&key, call);
	gen = sle_gen & 1;
	sle_add_total(gen * SLE_TOTAL_COUNT + SLE_TOTAL_CALLS);
	if (gen)
		sle_count_in(&sle_counts_1, &key, 1);
	else
		sle_count_in(&sle_counts_0, &key, 0);
}

#endif /* SLE_COUNTING_BPF_H */
