/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Counting: the maps of one hook object and sle_count(), where every hook body ends. A body
 * describes the call (struct sle_call, from what socket_read.bpf.h read); sle_count applies the
 * configured filters and label mask, builds the key and counts it. Each hook is its own BPF
 * object (bpf/<hook>.bpf.c), so the maps here are that hook's own.
 *
 * Two tiers, so that neither memory nor a read grows with the number of possible CPUs, and a hot
 * key costs no shared cache line (socket_lsm.h): a shared hash with one plain count per key, and
 * in front of it, per CPU, a small set-associative cache of slots. A call whose key has a slot on
 * its CPU adds to the slot; any other adds to the hash, atomically, and takes a free slot for the
 * key if its set has one. Slots are never given back by a program, so a count never moves while
 * programs run: user space empties them into the hash when nothing can count into them.
 *
 * Counts and totals come in two generations. Programs count into the one sle_gen names; to read,
 * user space switches sle_gen to the other and reads the old one's hash while an RCU grace period
 * runs (after it, no program still counts into the old one), then its slots and totals, final by
 * then. Counts only grow, so the hash can only lack what programs still running added to it:
 * sum(hash) + sum(slots) + overflow == calls proves it complete, else it is read again. Then the
 * slots' counts go into the hash and the slots are emptied, before the generation counts again.
 *
 * A trampoline program (fentry, fexit) may share its CPU with another run midway (flavour.bpf.h):
 * its updates of the per-CPU counts are atomic, and it takes a slot only inside
 * sle_claim_slot()'s per-CPU exclusion. A probe program (kprobe, tracepoint) runs alone on its
 * CPU and spares both. Updates of the shared hash are atomic for both.
 */
#ifndef SLE_COUNTING_BPF_H
#define SLE_COUNTING_BPF_H

#include "core_types.h"
#include <bpf/bpf_helpers.h>
#include "socket_lsm.h"
#include "classify.h"
#include "flavour.bpf.h"

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

/* Each generation's counts. Capacity is set from the config before load. */
#define SLE_COUNTS_MAP(name)                     \
	struct {                                 \
		__uint(type, BPF_MAP_TYPE_HASH); \
		__uint(max_entries, 10240);      \
		__type(key, struct sle_key);     \
		__type(value, __u64);            \
	} name SEC(".maps")

SLE_COUNTS_MAP(sle_counts_0);
SLE_COUNTS_MAP(sle_counts_1);

/* Each generation's per-CPU totals and cache (index: the generation). For each generation, once
 * no program counts into it, sum(counts in the hash and the slots) + overflow == calls. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct sle_totals);
} sle_totals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct sle_cache);
} sle_cache SEC(".maps");

static __always_inline bool sle_label_on(enum sle_label label)
{
	return sle_cfg.label_mask & SLE_LABEL_BIT(label);
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
	if (sle_label_on(SLE_LABEL_OUTCOME))
		key->outcome = call->outcome ? call->outcome : SLE_OUTCOME_UNKNOWN;
	if (sle_label_on(SLE_LABEL_ERRNO) && call->outcome == SLE_OUTCOME_DENIED)
		key->err = call->err;
	if (sle_cfg.label_mask & SLE_CGROUP_LABELS)
		key->cgroup_id = call->cgroup_id ? call->cgroup_id : bpf_get_current_cgroup_id();
}

#define SLE_READ_ONCE(x) (*(volatile typeof(x) *)&(x))
#define SLE_WRITE_ONCE(x, v) (*(volatile typeof(x) *)&(x) = (v))

static __always_inline bool sle_key_equal(const struct sle_key *a, const struct sle_key *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3];
}

/* The set of slots a key may take: a multiplicative hash of its four words. */
static __always_inline __u32 sle_slot_set(const struct sle_key *key)
{
	const __u64 *w = (const __u64 *)key;
	__u64 h = w[0] ^ (w[1] << 7 | w[1] >> 57) ^ (w[2] << 23 | w[2] >> 41) ^
		  (w[3] << 41 | w[3] >> 23);

	return (__u32)((h * 0x9E3779B97F4A7C15ULL) >> 59) & (SLE_CACHE_SETS - 1);
}

/* Adds one to a per-CPU count: atomically where another program may run on the CPU midway. */
static __always_inline void sle_cpu_add(__u64 *count, enum sle_flavour kind)
{
	if (kind == SLE_PROBE)
		*count += 1;
	else
		__sync_fetch_and_add(count, 1);
}

/* A hit: the slot holds the key; the call is counted there. A taken slot's key is written before
 * its count turns non-zero (sle_claim_slot), and never changes while programs run. */
static __always_inline bool sle_slot_hit(struct sle_slot *slot, const struct sle_key *key,
					 enum sle_flavour kind)
{
	if (!SLE_READ_ONCE(slot->count))
		return false;
	asm volatile("" ::: "memory"); /* the count before the key */
	if (!sle_key_equal(&slot->key, key))
		return false;
	sle_cpu_add(&slot->count, kind);
	return true;
}

/*
 * Takes the empty slot for the key, counting the call there; false if it is not empty, or another
 * program on this CPU is taking a slot meanwhile. A probe program is alone on its CPU. For
 * trampoline programs, exclusion without compare-and-swap (which 5.10 lacks): each adds 1 to
 * cache->claiming, reads it, and subtracts 1 at the end; only one that reads 1 writes a slot.
 * Whoever else is between its add and its subtract has its 1 in the counter then (atomic adds
 * lose nothing), so two programs can never both read 1 while both are inside. Programs of one CPU
 * only ever touch its sle_cache: migration is disabled while they run.
 */
static __always_inline bool sle_claim_slot(struct sle_cache *cache, struct sle_slot *slot,
					   const struct sle_key *key, enum sle_flavour kind)
{
	bool claimed = false;

	if (SLE_READ_ONCE(slot->count))
		return false;
	if (kind == SLE_PROBE) {
		slot->key = *key;
		slot->count = 1;
		return true;
	}
	__sync_fetch_and_add(&cache->claiming, 1);
	if (SLE_READ_ONCE(cache->claiming) == 1 && !SLE_READ_ONCE(slot->count)) {
		slot->key = *key;
		asm volatile("" ::: "memory"); /* the key before the count: see sle_slot_hit */
		SLE_WRITE_ONCE(slot->count, 1);
		claimed = true;
	}
	__sync_fetch_and_add(&cache->claiming, -1);
	return claimed;
}

/* Counts one call of key in a generation: its counts hash, and this CPU's cache and totals. */
static __always_inline void sle_count_in(void *counts, struct sle_cache *cache,
					 struct sle_totals *totals, const struct sle_key *key,
					 enum sle_flavour kind)
{
	struct sle_slot *set = &cache->slots[sle_slot_set(key) * SLE_CACHE_WAYS];
	__u64 zero = 0, *value;
	long err;

	if (sle_slot_hit(&set[0], key, kind) || sle_slot_hit(&set[1], key, kind))
		return;
	/* A key has its place in the hash before it takes a slot, so that emptying a slot into the
	 * hash never finds the hash full. Insert only on a miss; another CPU may insert the same key
	 * first (-EEXIST). */
	value = bpf_map_lookup_elem(counts, key);
	if (!value) {
		err = bpf_map_update_elem(counts, key, &zero, BPF_NOEXIST);
		if (!err || err == -EEXIST)
			value = bpf_map_lookup_elem(counts, key);
	}
	if (!value) {
		sle_cpu_add(&totals->overflow, kind);
		return;
	}
	if (sle_claim_slot(cache, &set[0], key, kind) || sle_claim_slot(cache, &set[1], key, kind))
		return;
	__sync_fetch_and_add(value, 1); /* shared with every CPU */
}

/* Whether the configured families take the call. */
static __always_inline bool sle_family_counted(const struct sle_call *call)
{
	__u64 family_mask = sle_cfg.family_mask;

	return !family_mask || (call->family < 64 && (family_mask & (1ULL << call->family)));
}

/* Applies the filters, then counts the call in the current generation; false if filtered. */
static __always_inline bool sle_count(const struct sle_call *call, enum sle_flavour kind)
{
	struct sle_key key = {};
	struct sle_totals *totals;
	struct sle_cache *cache;
	__u32 gen;

	if (sle_is_self_test())
		return false;
	if (!sle_family_counted(call))
		return false;
	sle_make_key(&key, call);
	gen = sle_gen & 1;
	totals = bpf_map_lookup_elem(&sle_totals, &gen);
	cache = bpf_map_lookup_elem(&sle_cache, &gen);
	if (!totals || !cache)
		return false; /* never: both arrays have both generations */
	sle_cpu_add(&totals->calls, kind);
	if (gen)
		sle_count_in(&sle_counts_1, cache, totals, &key, kind);
	else
		sle_count_in(&sle_counts_0, cache, totals, &key, kind);
	return true;
}

/* What security_socket_<hook>() returned: 0 allows; an LSM's refusal is a negative errno. */
static __always_inline void sle_set_verdict(struct sle_call *call, long ret)
{
	if (!ret) {
		call->outcome = SLE_OUTCOME_ALLOWED;
		return;
	}
	call->outcome = SLE_OUTCOME_DENIED;
	call->err = (__u16)(ret < 0 && ret >= -0xffff ? -ret : 0xffff);
}

#endif /* SLE_COUNTING_BPF_H */
