/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reading sockets: family, type, protocol and bound port of a struct socket, port and peer class
 * of a socket address, and the struct socket behind a file descriptor. Nothing here counts
 * (counting.bpf.h does).
 *
 * The hot path reads kernel memory with direct loads wherever the verifier can check them, and
 * with bpf_probe_read_*() only where this kernel demands it. Which is which is decided once, at
 * load time: user space (exporter/loader/kernel_features.cpp) sets sle_kernel_features, a
 * constant for the verifier, which then drops every path this kernel cannot take.
 *
 *   pointer                       direct loads                     otherwise
 *   fentry/fexit arguments        always (BTF pointers)            -
 *   kprobe arguments, a file's    after bpf_rdonly_cast (6.2+)     probe reads
 *     private_data
 *   task -> files -> fdtable      bpf_get_current_task_btf (5.11+) probe reads
 *   fdtable->fd[fd]               bpf_rdonly_cast to void (6.17+)  one probe read
 *   a user sockaddr (tracepoint)  never                            one probe read (user)
 */
#ifndef SLE_SOCKET_READ_BPF_H
#define SLE_SOCKET_READ_BPF_H

#include "core_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "core_fixes.bpf.h"
#include "classify.h"
#include "flavour.bpf.h"

/* SLE_FEAT_* bits (socket_lsm.h), set by user space between open and load. */
const volatile __u32 sle_kernel_features = 0;

/* A no-op for the CPU (the verifier inlines it as a move); for the verifier, the pointer is now
 * an untrusted BTF pointer of the given type (btf_id 0: read-only memory) that direct loads may
 * read. Weak: the programs still load where the kernel lacks it (before 6.2), never calling it. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

static __always_inline bool sle_feature(__u32 feature)
{
	return sle_kernel_features & feature;
}

static __always_inline bool sle_family_has_ports(__u16 family)
{
	return family == AF_INET || family == AF_INET6;
}

/* socket(2) resolves protocol 0 to the family's default for the type; do as the kernel does so
 * that series join across hooks (inet_create() takes the first inetsw entry of the type). */
static __always_inline __u16 sle_resolve_protocol(__u16 family, __u16 type, __u16 protocol)
{
	if (protocol || !sle_family_has_ports(family))
		return protocol;
	if (type == SOCK_STREAM)
		return IPPROTO_TCP;
	if (type == SOCK_DGRAM)
		return IPPROTO_UDP;
	return protocol;
}

/* What an existing socket tells: family, type, protocol, and its bound local port (0 if none). */
struct sle_socket_info {
	__u16 family;
	__u16 type;
	__u16 protocol;
	__u16 local_port;
};

/* sock is a BTF pointer (trusted or not): direct loads only. */
static __always_inline void sle_read_socket_direct(struct sle_socket_info *out, struct socket *sock)
{
	struct sock *sk = sock->sk;

	out->family = 0;
	out->protocol = 0;
	out->local_port = 0;
	if (!sk) {
		out->type = (__u16)sock->type;
		return;
	}
	out->family = sk->__sk_common.skc_family;
	out->type = (__u16)BPF_CORE_READ_BITFIELD(sk, sk_type);
	out->protocol = (__u16)BPF_CORE_READ_BITFIELD(sk, sk_protocol);
	out->local_port = sk->__sk_common.skc_num;
}

/*
 * sock is an address: probe reads, as few as the layout allows. skc_num and skc_family are
 * neighbours in struct sock_common, and sk_type and sk_protocol are neighbouring u16s since 5.6:
 * one 4-byte read for each pair. The offsets are CO-RE constants: the verifier keeps one branch.
 */
static __always_inline void sle_read_socket_probed(struct sle_socket_info *out, struct socket *sock)
{
	__u32 num_off = bpf_core_field_offset(struct sock, __sk_common.skc_num);
	__u32 family_off = bpf_core_field_offset(struct sock, __sk_common.skc_family);
	__u32 type_off = bpf_core_field_offset(struct sock, sk_type);
	__u32 protocol_off = bpf_core_field_offset(struct sock, sk_protocol);
	struct sock *sk = BPF_CORE_READ(sock, sk);
	__u16 pair[2] = {};

	out->family = 0;
	out->protocol = 0;
	out->local_port = 0;
	if (!sk) {
		out->type = (__u16)BPF_CORE_READ(sock, type);
		return;
	}
	if (family_off == num_off + 2) {
		bpf_probe_read_kernel(pair, sizeof(pair), (const void *)sk + num_off);
		out->local_port = pair[0];
		out->family = pair[1];
	} else {
		out->family = BPF_CORE_READ(sk, __sk_common.skc_family);
		out->local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
	}
	if (bpf_core_field_size(struct sock, sk_type) == 2 &&
	    bpf_core_field_size(struct sock, sk_protocol) == 2 && protocol_off == type_off + 2) {
		pair[0] = pair[1] = 0;
		bpf_probe_read_kernel(pair, sizeof(pair), (const void *)sk + type_off);
		out->type = pair[0];
		out->protocol = pair[1];
	} else {
		out->type = sle_sk_type(sk);
		out->protocol = sle_sk_protocol(sk);
	}
}

static __always_inline void sle_read_socket(struct sle_socket_info *out, struct socket *sock,
					    enum sle_flavour kind)
{
	if (kind == SLE_TRAMPOLINE)
		sle_read_socket_direct(out, sock);
	else if (sle_feature(SLE_FEAT_RDONLY_CAST))
		sle_read_socket_direct(
			out, bpf_rdonly_cast(sock, bpf_core_type_id_kernel(struct socket)));
	else
		sle_read_socket_probed(out, sock);
}

/* What the port and peer labels need from a socket address. */
struct sle_addr {
	bool has_port; /* an inet or inet6 address */
	__u16 port;    /* host order */
	__u8 peer;     /* enum sle_peer_class */
};

/* Classifies a socket address already in sa (the first len bytes of it are valid). */
static __always_inline void sle_classify_sockaddr(struct sle_addr *out,
						  const struct sockaddr_in6 *sa, int len)
{
	if (sa->sin6_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		out->port = bpf_ntohs(in->sin_port);
		out->peer = sle_classify_ipv4(bpf_ntohl(in->sin_addr.s_addr));
		out->has_port = true;
	} else if (sa->sin6_family == AF_INET6 && len >= SIN6_LEN_RFC2133) {
		/* The kernel takes the RFC 2133 length (no scope id); port and address come first. */
		out->port = bpf_ntohs(sa->sin6_port);
		out->peer = sle_classify_ipv6(sa->sin6_addr.s6_addr);
		out->has_port = true;
	}
}

/*
 * addr points to kernel memory (fentry, fexit, kprobe: the kernel's copy of the caller's address)
 * or to user memory (syscall tracepoints). One read: the RFC 2133 length when addrlen allows it,
 * else a sockaddr_in's (a short user buffer must not make the longer read fail).
 */
static __always_inline void sle_read_sockaddr(struct sle_addr *out, const void *addr, int addrlen,
					      bool user)
{
	struct sockaddr_in6 sa;
	int len = addrlen >= SIN6_LEN_RFC2133 ? SIN6_LEN_RFC2133 : (int)sizeof(struct sockaddr_in);
	long err;

	out->has_port = false;
	out->port = 0;
	out->peer = SLE_PEER_NONE;
	if (!addr || addrlen < (int)sizeof(struct sockaddr_in))
		return;
	if (!user && sle_feature(SLE_FEAT_RDONLY_CAST)) {
		/* The kernel's copy is a struct sockaddr_storage: 128 bytes, direct loads. */
		const struct sockaddr_in6 *k =
			bpf_rdonly_cast(addr, bpf_core_type_id_kernel(struct sockaddr_in6));

		sle_classify_sockaddr(out, k, len);
		return;
	}
	if (len == SIN6_LEN_RFC2133)
		err = user ? bpf_probe_read_user(&sa, SIN6_LEN_RFC2133, addr) :
			     bpf_probe_read_kernel(&sa, SIN6_LEN_RFC2133, addr);
	else
		err = user ? bpf_probe_read_user(&sa, sizeof(struct sockaddr_in), addr) :
			     bpf_probe_read_kernel(&sa, sizeof(struct sockaddr_in), addr);
	if (!err)
		sle_classify_sockaddr(out, &sa, len);
}

/* The fdtable of the current task, and whether fd is inside it; NULL if the task has none. */
static __always_inline struct fdtable *sle_current_fdtable_btf(long fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct files_struct *files = task->files;
	struct fdtable *fdt;

	if (!files)
		return NULL;
	fdt = files->fdt;
	if (!fdt || fd < 0 || fd >= fdt->max_fds)
		return NULL;
	return fdt;
}

/*
 * The struct socket behind a file descriptor of the current task, or NULL if it is none. The
 * result is an address: read it as SLE_PROBE does.
 */
static __always_inline struct socket *sle_socket_from_fd(long fd)
{
	struct file *file = NULL;

	if (sle_feature(SLE_FEAT_TASK_BTF) && sle_feature(SLE_FEAT_RDONLY_CAST)) {
		struct fdtable *fdt = sle_current_fdtable_btf(fd);
		struct file **fds;

		if (!fdt)
			return NULL;
		fds = fdt->fd; /* a pointer to pointers: a plain number for the verifier */
		if (sle_feature(SLE_FEAT_CAST_TO_VOID)) {
			struct file **mem = bpf_rdonly_cast(fds, 0);

			file = mem[fd];
		} else if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd])) {
			return NULL;
		}
		if (!file)
			return NULL;
		file = bpf_rdonly_cast(file, bpf_core_type_id_kernel(struct file));
		if ((file->f_inode->i_mode & S_IFMT) != S_IFSOCK)
			return NULL;
		return file->private_data;
	}

	if (sle_feature(SLE_FEAT_TASK_BTF)) {
		struct fdtable *fdt = sle_current_fdtable_btf(fd);

		if (!fdt || bpf_probe_read_kernel(&file, sizeof(file), &fdt->fd[fd]) || !file)
			return NULL;
	} else {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();
		struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
		struct file **fds;

		if (!fdt || fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
			return NULL;
		fds = BPF_CORE_READ(fdt, fd);
		if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
			return NULL;
	}
	if ((BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	return BPF_CORE_READ(file, private_data);
}

#endif /* SLE_SOCKET_READ_BPF_H */
