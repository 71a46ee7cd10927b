/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared by bpf/cgroup_events.bpf.c and user space (exporter/loader/cgroup_events.*): one record of
 * the ring buffer through which the kernel tells the exporter that a cgroup v2 directory was made
 * or removed, with its id and its path, so that a cgroup is named at birth however briefly it
 * lives.
 */
#ifndef SLE_CGROUP_EVENTS_H
#define SLE_CGROUP_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

enum sle_cgroup_event_kind {
	SLE_CGROUP_MKDIR = 1,
	SLE_CGROUP_RMDIR = 2,
};

/* The longest path sent; a longer one arrives cut short with path_truncated set. */
#define SLE_CGROUP_PATH_MAX 1024

struct sle_cgroup_event {
	__u64 id;	/* the cgroup id: its kernfs node id, as bpf_get_current_cgroup_id() */
	__u32 kind;	/* enum sle_cgroup_event_kind */
	__u16 path_len; /* bytes of path, without the terminating NUL */
	__u8 path_truncated;
	__u8 pad;
	char path[SLE_CGROUP_PATH_MAX]; /* relative to the cgroup2 root: "/a/b" ("/" itself) */
};

/* Indexes of the per-CPU "sle_cgroup_stats" array. */
enum sle_cgroup_stat {
	SLE_CGROUP_EVENTS_SENT = 0,
	SLE_CGROUP_EVENTS_DROPPED, /* the ring buffer was full */
	SLE_CGROUP_STAT_COUNT,
};

#endif /* SLE_CGROUP_EVENTS_H */
