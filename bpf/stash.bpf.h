/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The kprobe backend's counting at the hook's return: a call stashed per thread at the entry. */
#ifndef SLE_STASH_BPF_H
#define SLE_STASH_BPF_H

#include "counting.bpf.h"
#include "socket_read.bpf.h"

/*
 * Counting at the hook's return where only a kretprobe can see it (the kprobe backend with the
 * outcome labels on): the arguments are gone by then, so the entry program describes the call
 * (with its caller's cgroup) and stashes it in the thread's slot, and the return program counts
 * it with the verdict. Every stashed call is counted once, by the first of:
 *   - the return program, with the verdict;
 *   - the thread's next call of the hook, as unknown, when the kretprobe missed this return (more
 *     threads inside the hook than its maxactive instances; the kernel's count of those is in
 *     bpf_link_info only from 6.7): the slot is still pending then;
 *   - the thread's exit (sle_drain_exiting_thread), as unknown, when it makes no next call.
 * With no slot to be had, the entry counts the call itself, as unknown. The unknown ones are also
 * in sle_lost_verdicts. User space attaches the return programs before the entry ones, so that
 * no call is stashed with none to take it. One case gives a call another's verdict: a thread
 * whose last return was missed, and whose next entry the kernel skips (recursion_misses): that
 * next return then counts the old call.
 *
 * The slots: the thread's own task storage where kprobe programs may use it (5.11+, with
 * bpf_get_current_task_btf: SLE_FEAT_TASK_BTF), a lookup in the task without a lock; else user
 * space makes the map a hash by thread id (BPF_MAP_TYPE_HASH, 2048 threads inside the hook at
 * once), which costs a bucket lock per update. Only the thread itself touches its slot.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int); /* a hash's: the thread id */
	__type(value, struct sle_stash_slot);
} sle_stash SEC(".maps");

/* Calls counted as unknown because their verdict was lost (see above). */
__u64 sle_lost_verdicts = 0;

static __always_inline void sle_count_lost(struct sle_call *call, enum sle_flavour kind)
{
	call->outcome = SLE_OUTCOME_UNKNOWN;
	call->err = 0;
	if (sle_count(call, kind))
		__sync_fetch_and_add(&sle_lost_verdicts, 1);
}

/* The current thread's slot; with create, made where missing. NULL when there is none (or no
 * memory, or the task storage is busy on this CPU). */
static __always_inline struct sle_stash_slot *sle_stash_slot(bool create)
{
	struct sle_stash_slot fresh = {};
	int thread = (int)bpf_get_current_pid_tgid();
	struct sle_stash_slot *slot;

	if (sle_feature(SLE_FEAT_TASK_BTF))
		return bpf_task_storage_get(&sle_stash, bpf_get_current_task_btf(), 0,
					    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	slot = bpf_map_lookup_elem(&sle_stash, &thread);
	if (slot || !create)
		return slot;
	bpf_map_update_elem(&sle_stash, &thread, &fresh, BPF_NOEXIST);
	return bpf_map_lookup_elem(&sle_stash, &thread);
}

/* Gives the thread's slot back where it is a hash entry (a task's storage goes with the task). */
static __always_inline void sle_stash_release(void)
{
	int thread = (int)bpf_get_current_pid_tgid();

	if (!sle_feature(SLE_FEAT_TASK_BTF))
		bpf_map_delete_elem(&sle_stash, &thread);
}

static __always_inline void sle_stash_call(struct sle_call *call)
{
	struct sle_stash_slot *slot;
	struct sle_call lost;

	if (!sle_family_counted(call))
		return; /* the self-test is checked at the return, where it counts */
	call->cgroup_id = bpf_get_current_cgroup_id();
	slot = sle_stash_slot(true);
	if (!slot) {
		sle_count_lost(call, SLE_PROBE);
		return;
	}
	if (slot->pending) { /* this thread's last call never reached the return program */
		lost = slot->call;
		sle_count_lost(&lost, SLE_PROBE);
	}
	slot->call = *call;
	slot->pending = 1;
}

static __always_inline void sle_count_stashed(long ret)
{
	struct sle_stash_slot *slot = sle_stash_slot(false);
	struct sle_call call;

	if (!slot || !slot->pending)
		return; /* its entry was skipped (recursion_misses) or counted it already */
	call = slot->call;
	slot->pending = 0;
	sle_stash_release();
	sle_set_verdict(&call, ret);
	sle_count(&call, SLE_PROBE);
}

/* A thread exits: a call it stashed whose return was missed is counted now. Runs from a raw
 * tracepoint, which kprobe programs do not interrupt but which is no kprobe: atomic updates. */
static __always_inline void sle_drain_exiting_thread(void)
{
	struct sle_stash_slot *slot = sle_stash_slot(false);
	struct sle_call lost;

	if (!slot)
		return;
	if (slot->pending) {
		lost = slot->call;
		slot->pending = 0;
		sle_count_lost(&lost, SLE_TRAMPOLINE);
	}
	sle_stash_release();
}

#endif /* SLE_STASH_BPF_H */
