/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The few kernel types the BPF programs read, instead of a generated vmlinux.h.
 *
 * Why not vmlinux.h: it is several megabytes of one kernel's types, and a build that dumps it from
 * the build machine's /sys/kernel/btf/vmlinux depends on that kernel. Here every struct is marked
 * preserve_access_index, so each field access becomes a CO-RE relocation that libbpf resolves
 * against the running kernel's BTF at load time: only the field names matter, not these layouts.
 * Nested anonymous unions in the real kernel (e.g. skc_num) need not be reproduced; libbpf finds
 * the field by name inside them. UAPI types (sockaddr*, trace event layout) are stable ABI.
 */
#ifndef __VMLINUX_H__
#define __VMLINUX_H__

typedef signed char __s8;
typedef unsigned char __u8;
typedef short __s16;
typedef unsigned short __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long __s64;
typedef unsigned long long __u64;
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s64 s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u16 __sum16;
typedef __u32 __wsum;
typedef __u16 umode_t;
typedef _Bool bool;
enum { false = 0, true = 1 };

enum bpf_map_type {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_HASH = 5,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_TASK_STORAGE = 29,
	BPF_MAP_TYPE_RINGBUF = 27,
};

#define BPF_F_NO_PREALLOC (1U << 0)
#define BPF_LOCAL_STORAGE_GET_F_CREATE (1ULL << 0)

enum {
	BPF_ANY = 0,
	BPF_NOEXIST = 1,
	BPF_EXIST = 2,
};

#define EEXIST 17
#define E2BIG 7

#define AF_UNSPEC 0
#define AF_INET 2
#define AF_INET6 10
#define SIN6_LEN_RFC2133 24
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_TYPE_MASK 0xf
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define S_IFMT 00170000
#define S_IFSOCK 0140000

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct sock_common {
	unsigned short skc_family;
	__u16 skc_num; /* local port, host order (inside an anonymous union in the kernel) */
};

struct sock {
	struct sock_common __sk_common;
	__u16 sk_type;	   /* a bitfield before Linux 5.6: read through core_fixes.bpf.h */
	__u16 sk_protocol; /* likewise */
};

struct socket {
	short type;
	struct sock *sk;
};

struct inode {
	umode_t i_mode;
};

struct file {
	struct inode *f_inode;
	void *private_data;
};

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
};

struct files_struct {
	struct fdtable *fdt;
};

struct task_struct {
	struct files_struct *files;
};

/* x86_64 register layout, for kprobe programs (bpf_tracing.h reads di, si, dx, ...). */
struct pt_regs {
	unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di, orig_ax, ip,
		cs, flags, sp, ss;
};

struct trace_entry {
	unsigned short type;
	unsigned char flags;
	unsigned char preempt_count;
	int pid;
};

/* The raw syscalls:sys_enter layout; every syscalls:sys_enter_* event shares it. */
struct trace_event_raw_sys_enter {
	struct trace_entry ent;
	long id;
	unsigned long args[6];
};

/* cgroup:cgroup_mkdir, cgroup:cgroup_rmdir and the rest of the cgroup event class. */
struct trace_event_raw_cgroup {
	struct trace_entry ent;
	int root; /* hierarchy id: 0 is cgroup v2 */
	int level;
	u64 id;
	u32 __data_loc_path;
};

#pragma clang attribute pop

/* UAPI socket addresses: fixed ABI, read as plain memory. */
struct sockaddr {
	unsigned short sa_family;
	char sa_data[14];
};

struct in_addr {
	__be32 s_addr;
};

struct sockaddr_in {
	unsigned short sin_family;
	__be16 sin_port;
	struct in_addr sin_addr;
	unsigned char sin_zero[8];
};

struct in6_addr {
	__u8 s6_addr[16];
};

struct sockaddr_in6 {
	unsigned short sin6_family;
	__be16 sin6_port;
	__be32 sin6_flowinfo;
	struct in6_addr sin6_addr;
	__u32 sin6_scope_id;
};

#endif /* __VMLINUX_H__ */
