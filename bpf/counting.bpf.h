/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The maps of one hook object and sle_count(), where every hook body ends. Each hook is its own BPF
 * object (bpf/<hook>.bpf.c), so "counts" and "totals" here are that hook's own maps.
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
 * Self-test: while self_test_active, calls from the thread named self_test_comm are counted in
 * self_test_hits only, never in the metrics. A unique thread name rather than a pid identifies
 * the exporter: inside a PID namespace (a container) its pid differs from the one BPF sees.
 */
volatile __u32 self_test_active = 0;
__u64 self_test_comm[2] = {};
__u64 self_test_hits = 0;

/* Capacity is set from the config before load. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 10240);
	__type(key, struct sle_key);
	__type(value, __u64);
} counts SEC(".maps");

/* Exact per-CPU totals that never fill: the invariant sum(counts) + overflow == calls. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SLE_TOTAL_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} totals SEC(".maps");

static __always_inline bool sle_label_on(enum sle_label label)
{
	return sle_cfg.label_mask & SLE_LABEL_BIT(label);
}

static __always_inline void sle_add_total(__u32 index)
{
	__u64 *v = bpf_map_lookup_elem(&totals, &index);

	if (v)
		__sync_fetch_and_add(v, 1);
}

/* Port and class of a port, collapsing ports outside the exact set into their class. */
static __always_inline void sle_key_set_port(struct sle_key *key, __u16 port)
{
	int exact = (sle_exact_ports[(port >> 6) & (SLE_PORT_BITMAP_WORDS - 1)] >> (port & 63)) & 1;

	key->port_class = sle_classify_port(port, exact);
	key->port = key->port_class == SLE_PORT_EXACT ? port : 0;
}

/* Applies the filters and the label mask, then adds one to the key's entry. */
static __always_inline void sle_count(struct sle_key *key)
{
	__u64 family_mask = sle_cfg.family_mask;
	__u64 one = 1, *value;
	long err;

	if (self_test_active) {
		__u64 comm[2] = {};

		bpf_get_current_comm(comm, sizeof(comm));
		if (comm[0] == self_test_comm[0] && comm[1] == self_test_comm[1]) {
			__sync_fetch_and_add(&self_test_hits, 1);
			return;
		}
	}
	if (family_mask && (key->family >= 64 || !(family_mask & (1ULL << key->family))))
		return;

	if (sle_cfg.label_mask & SLE_CGROUP_LABELS)
		key->cgroup_id = bpf_get_current_cgroup_id();
	/* The protocol and optname names depend on family and level: keep those for decoding. */
	if (!sle_label_on(SLE_LABEL_FAMILY) && !sle_label_on(SLE_LABEL_PROTOCOL))
		key->family = 0;
	if (!sle_label_on(SLE_LABEL_TYPE))
		key->type = 0;
	if (!sle_label_on(SLE_LABEL_PROTOCOL))
		key->protocol = 0;
	if (!sle_label_on(SLE_LABEL_PORT)) {
		key->port = 0;
		key->port_class = SLE_PORT_NONE;
	}
	if (!sle_label_on(SLE_LABEL_PEER))
		key->peer = SLE_PEER_NONE;
	if (!sle_label_on(SLE_LABEL_LEVEL) && !sle_label_on(SLE_LABEL_OPTNAME))
		key->level = 0;
	if (!sle_label_on(SLE_LABEL_OPTNAME))
		key->optname = 0;

	sle_add_total(SLE_TOTAL_CALLS);

	value = bpf_map_lookup_elem(&counts, key);
	if (value) {
		__sync_fetch_and_add(value, 1);
		return;
	}
	/* Insert only on a miss; another CPU may insert the same key first (-EEXIST). */
	err = bpf_map_update_elem(&counts, key, &one, BPF_NOEXIST);
	if (!err)
		return;
	if (err == -EEXIST) {
		value = bpf_map_lookup_elem(&counts, key);
		if (value) {
			__sync_fetch_and_add(value, 1);
			return;
		}
	}
	sle_add_total(SLE_TOTAL_OVERFLOW);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#endif /* SLE_COUNTING_BPF_H */
