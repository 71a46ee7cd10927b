/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reading sockets: family, type, protocol and bound port of a struct socket, port and peer class
 * of a socket address, and the struct socket behind a file descriptor. Nothing here counts
 * (counting.bpf.h does).
 */
#ifndef SLE_SOCKET_READ_BPF_H
#define SLE_SOCKET_READ_BPF_H

#include "core_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "core_fixes.bpf.h"
#include "classify.h"

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

static __always_inline void sle_read_socket(struct sle_socket_info *out, struct socket *sock)
{
	struct sock *sk = BPF_CORE_READ(sock, sk);

	out->family = 0;
	out->protocol = 0;
	out->local_port = 0;
	if (!sk) {
		out->type = (__u16)BPF_CORE_READ(sock, type);
		return;
	}
	out->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	out->type = sle_sk_type(sk);
	out->protocol = sle_sk_protocol(sk);
	out->local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
}

/* What the port and peer labels need from a socket address. */
struct sle_addr {
	bool has_port; /* an inet or inet6 address */
	__u16 port;    /* host order */
	__u8 peer;     /* enum sle_peer_class */
};

static __always_inline long sle_read(void *dst, __u32 size, const void *src, bool user)
{
	return user ? bpf_probe_read_user(dst, size, src) : bpf_probe_read_kernel(dst, size, src);
}

/* addr points to kernel memory (LSM, fentry, kprobe) or to user memory (syscall tracepoints). */
static __always_inline void sle_read_sockaddr(struct sle_addr *out, const void *addr, int addrlen,
					      bool user)
{
	struct sockaddr_in6 sa = {};
	__u16 family = 0;

	out->has_port = false;
	out->port = 0;
	out->peer = SLE_PEER_NONE;
	if (!addr || addrlen < (int)sizeof(struct sockaddr_in) ||
	    sle_read(&family, sizeof(family), addr, user))
		return;
	if (family == AF_INET) {
		if (sle_read(&sa, sizeof(struct sockaddr_in), addr, user))
			return;
		struct sockaddr_in *in = (struct sockaddr_in *)&sa;
		out->port = bpf_ntohs(in->sin_port);
		out->peer = sle_classify_ipv4(bpf_ntohl(in->sin_addr.s_addr));
		out->has_port = true;
	} else if (family == AF_INET6 && addrlen >= SIN6_LEN_RFC2133) {
		/* The kernel takes the RFC 2133 length (no scope id); port and address come first. */
		if (sle_read(&sa, SIN6_LEN_RFC2133, addr, user))
			return;
		out->port = bpf_ntohs(sa.sin6_port);
		out->peer = sle_classify_ipv6(sa.sin6_addr.s6_addr);
		out->has_port = true;
	}
}

/* The struct socket behind a file descriptor of the current task, or NULL if it is none. */
static __always_inline struct socket *sle_socket_from_fd(long fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds, *file = NULL;

	if (!fdt || fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return NULL;
	if ((BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	return BPF_CORE_READ(file, private_data);
}

#endif /* SLE_SOCKET_READ_BPF_H */
