/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What every hook object shares: describing a call from the socket (socket_read.bpf.h), and the
 * programs' bodies, which count it (counting.bpf.h). A hook's file describes its call once, in
 * describe(); its programs differ only in where they run and count:
 *   fentry_  at the entry of security_socket_<hook> (fentry backend, outcome labels off)
 *   fexit_   at its return, with the verdict (lsm backend; fentry with the outcome labels on)
 *   kprobe_  at the entry (kprobe backend, outcome labels off)
 *   kret_    kret_entry_ stashes at the entry, kret_exit_ counts at the return, with the verdict,
 *            and kret_thread_exit counts what an exiting thread left stashed (kprobe backend,
 *            outcome labels on; stash.bpf.h)
 *   tp_      at the syscall's entry tracepoint (tracepoint backend: the verdict is not visible)
 * User space picks the set by the names' prefixes (exporter/hooks/backend.h).
 */
#ifndef SLE_SOCKET_CALLS_BPF_H
#define SLE_SOCKET_CALLS_BPF_H

#include "counting.bpf.h"
#include "socket_read.bpf.h"
#include "stash.bpf.h"

/* A call on an existing socket, described by the socket alone. */
static __always_inline void sle_call_from_socket(struct sle_call *call, struct socket *sock,
						 enum sle_flavour kind, __u16 *local_port)
{
	struct sle_socket_info info;

	sle_read_socket(&info, sock, kind);
	call->family = info.family;
	call->type = info.type;
	call->protocol = info.protocol;
	*local_port = info.local_port;
}

/* A call on an existing socket, labelled with its bound local port (listen, accept). */
static __always_inline void sle_describe_local_port(struct sle_call *call, struct socket *sock,
						    enum sle_flavour kind)
{
	__u16 local_port;

	sle_call_from_socket(call, sock, kind, &local_port);
	if (sle_family_has_ports(call->family)) {
		call->has_port = true;
		call->port = local_port;
	}
}

/* A call on an existing socket, labelled from the address it names: its port (bind: the local
 * port asked for; connect: the remote port) and, with_peer, the peer class. */
static __always_inline void sle_describe_address(struct sle_call *call, struct socket *sock,
						 enum sle_flavour kind, const void *address,
						 int addrlen, bool user, bool with_peer)
{
	struct sle_addr addr;
	__u16 bound_port;

	sle_call_from_socket(call, sock, kind, &bound_port);
	sle_read_sockaddr(&addr, address, addrlen, user);
	if (addr.has_port && sle_family_has_ports(call->family)) {
		call->has_port = true;
		call->port = addr.port;
		if (with_peer)
			call->peer = addr.peer;
	}
}

/* Every hook object's: a thread's exit counts a call it stashed whose return was missed. */
SEC("raw_tp/sched_process_exit")
int kret_thread_exit(void *ctx)
{
	sle_drain_exiting_thread();
	return 0;
}

/* The fexit programs' body: the call with the verdict the hook returned. */
static __always_inline void sle_count_at_return(struct sle_call *call, long ret)
{
	sle_set_verdict(call, ret);
	sle_count(call, SLE_TRAMPOLINE);
}

#endif /* SLE_SOCKET_CALLS_BPF_H */
