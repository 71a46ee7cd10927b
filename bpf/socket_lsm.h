/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared by the kernel side (the bpf/ hook objects) and user space (exporter/): the map key, the label bits
 * and the read-only configuration each hook object is loaded with. Keep it plain C with fixed-size
 * fields so both compilers lay it out the same way.
 */
#ifndef SOCKET_LSM_H
#define SOCKET_LSM_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Labels a hook can carry. A bit per label in sle_hook_config.label_mask; a cleared bit zeroes the
 * field in the kernel so series collapse before they take a map entry. */
enum sle_label {
	SLE_LABEL_FAMILY = 0,
	SLE_LABEL_TYPE,
	SLE_LABEL_PROTOCOL,
	SLE_LABEL_PORT,
	SLE_LABEL_PEER,
	SLE_LABEL_LEVEL,
	SLE_LABEL_OPTNAME,
	SLE_LABEL_CGROUP,
	SLE_LABEL_POD_UID,
	SLE_LABEL_CONTAINER_ID,
	SLE_LABEL_POD, /* workload names, from the container runtime's annotations */
	SLE_LABEL_NAMESPACE,
	SLE_LABEL_CONTAINER,
	SLE_LABEL_OUTCOME, /* allowed, denied or unknown: the LSMs' verdict (enum sle_outcome) */
	SLE_LABEL_ERRNO,   /* with denied: the error the verdict carried */
	SLE_LABEL_COUNT,
};

#define SLE_LABEL_BIT(l) (1u << (l))
/* Any of the cgroup-derived labels needs the cgroup id in the key. */
#define SLE_CGROUP_LABELS                                                       \
	(SLE_LABEL_BIT(SLE_LABEL_CGROUP) | SLE_LABEL_BIT(SLE_LABEL_POD_UID) |   \
	 SLE_LABEL_BIT(SLE_LABEL_CONTAINER_ID) | SLE_LABEL_BIT(SLE_LABEL_POD) | \
	 SLE_LABEL_BIT(SLE_LABEL_NAMESPACE) | SLE_LABEL_BIT(SLE_LABEL_CONTAINER))

/* What the port field of a key means. */
enum sle_port_class {
	SLE_PORT_NONE = 0,   /* family without ports, or label switched off: label absent */
	SLE_PORT_EXACT,	     /* port is in the configured exact set: label is the number */
	SLE_PORT_SYSTEM,     /* 0-1023 but not in the exact set */
	SLE_PORT_REGISTERED, /* 1024-49151 */
	SLE_PORT_DYNAMIC,    /* 49152-65535 */
};

/* Class of a connect() peer address. */
enum sle_peer_class {
	SLE_PEER_NONE = 0, /* no IP address: label absent */
	SLE_PEER_LOOPBACK,
	SLE_PEER_PRIVATE,
	SLE_PEER_LINK_LOCAL,
	SLE_PEER_MULTICAST,
	SLE_PEER_BROADCAST,
	SLE_PEER_UNSPECIFIED,
	SLE_PEER_PUBLIC,
};

/* The verdict of security_socket_<hook>(): what every LSM together decided. Programs that run at
 * the hook's return (fexit, kretprobe) see it; the others count unknown. */
enum sle_outcome {
	SLE_OUTCOME_NONE = 0, /* label switched off: label absent */
	SLE_OUTCOME_ALLOWED,  /* returned 0 (the syscall may still fail later, e.g. EADDRINUSE) */
	SLE_OUTCOME_DENIED,   /* returned an error: an LSM refused; errno is the error */
	SLE_OUTCOME_UNKNOWN,  /* the program cannot see the verdict (tracepoint), or lost it */
};

/* Either label needs the verdict: the programs that can see it then count at the hook's return. */
#define SLE_OUTCOME_LABELS (SLE_LABEL_BIT(SLE_LABEL_OUTCOME) | SLE_LABEL_BIT(SLE_LABEL_ERRNO))

/* One aggregation key; fields a hook does not use stay zero. 32 bytes, no implicit padding. */
struct sle_key {
	__u64 cgroup_id;
	__u32 level;   /* setsockopt */
	__u32 optname; /* setsockopt */
	__u16 family;
	__u16 type;
	__u16 protocol;
	__u16 port;
	__u8 port_class; /* enum sle_port_class */
	__u8 peer;	 /* enum sle_peer_class */
	__u8 outcome;	 /* enum sle_outcome */
	__u8 pad0;
	__u16 err; /* denied: the errno (positive); else 0 */
	__u8 pad[2];
};

/*
 * Counting (bpf/counting.bpf.h): each generation of a hook has a shared hash of counts (struct
 * sle_key -> __u64) and, per CPU, its totals (struct sle_totals) and a small cache of slots in
 * front of the hash (struct sle_cache), where a CPU counts its hot keys without touching shared
 * memory. A slot, once taken in a generation, keeps its key until user space has read the
 * generation (after switching away from it and an RCU grace period) and moved the slots' counts
 * into the hash: then it empties them all. Totals and slots are apart so that a read that only
 * asks whether a generation had calls copies 16 bytes per possible CPU, not the slots.
 */
#define SLE_CACHE_WAYS 2 /* slots a key may take: a set */
#define SLE_CACHE_SETS 32
#define SLE_CACHE_SLOTS (SLE_CACHE_WAYS * SLE_CACHE_SETS)

struct sle_totals {
	__u64 calls; /* calls that passed the filters */
	/* Of those, calls not in a series: the hash was full or, rarely, would not take the key. */
	__u64 overflow;
};

struct sle_slot {
	__u64 count; /* 0: empty; else the calls of key counted here */
	struct sle_key key;
};

struct sle_cache {
	__u64 claiming; /* programs on this CPU inside sle_claim_slot(), see there */
	struct sle_slot slots[SLE_CACHE_SLOTS];
};

/* One hook call as its body saw it, before the config shapes it into a key (bpf/counting.bpf.h). */
struct sle_call {
	__u64 cgroup_id; /* a stashed call: its caller's cgroup; else 0, the current task's */
	__u32 level;	 /* setsockopt */
	__u32 optname;	 /* setsockopt */
	__u16 family;
	__u16 type;
	__u16 protocol;
	__u16 port;    /* host order */
	__u16 err;     /* denied: the errno */
	__u8 has_port; /* an inet or inet6 port goes with the call */
	__u8 peer;     /* enum sle_peer_class */
	__u8 outcome;  /* enum sle_outcome; 0 (not seen) counts as unknown */
	__u8 pad[3];   /* explicit: the struct is copied into a map (the stash) */
};

/* The kprobe backend's slot per thread (bpf/stash.bpf.h): a call waiting for its return. */
struct sle_stash_slot {
	struct sle_call call;
	__u64 pending; /* 1: call waits for its return */
};

/* Read-only configuration, set by user space between open and load. */
struct sle_hook_config {
	__u32 label_mask; /* SLE_LABEL_BIT()s kept */
	__u32 pad;
	__u64 family_mask; /* bit f set: count family f (< 64); 0: count every family */
};

#define SLE_PORT_BITMAP_WORDS (65536 / 64)

/* What the running kernel lets the programs read directly (bpf/socket_read.bpf.h): bits of the
 * read-only sle_kernel_features, found by user space before load (exporter/loader/
 * kernel_features.h). Without a bit the programs take the slower path that every kernel allows. */
enum sle_kernel_feature {
	SLE_FEAT_TASK_BTF = 1u << 0, /* bpf_get_current_task_btf() in tracepoint programs (5.11+) */
	SLE_FEAT_RDONLY_CAST = 1u << 1,	 /* the bpf_rdonly_cast kfunc (6.2+) */
	SLE_FEAT_CAST_TO_VOID = 1u << 2, /* bpf_rdonly_cast(p, 0): loads at any offset (6.17+) */
};

#endif /* SOCKET_LSM_H */
