/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The bodies several hooks share: read the socket (socket_read.bpf.h), then count (counting.bpf.h). */
#ifndef SLE_SOCKET_CALLS_BPF_H
#define SLE_SOCKET_CALLS_BPF_H

#include "counting.bpf.h"
#include "socket_read.bpf.h"

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

/* Counts a call on an existing socket, labelled with its bound local port (listen, accept). */
static __always_inline void sle_count_socket_local_port(struct socket *sock, enum sle_flavour kind)
{
	struct sle_call call = {};
	__u16 local_port;

	sle_call_from_socket(&call, sock, kind, &local_port);
	if (sle_family_has_ports(call.family)) {
		call.has_port = true;
		call.port = local_port;
	}
	sle_count(&call, kind);
}

/* Counts a call on an existing socket, labelled from the address it names: its port (bind: the
 * local port asked for; connect: the remote port) and, with_peer, the peer class. */
static __always_inline void sle_count_socket_address(struct socket *sock, enum sle_flavour kind,
						     const void *address, int addrlen, bool user,
						     bool with_peer)
{
	struct sle_call call = {};
	struct sle_addr addr;
	__u16 bound_port;

	sle_call_from_socket(&call, sock, kind, &bound_port);
	sle_read_sockaddr(&addr, address, addrlen, user);
	if (addr.has_port && sle_family_has_ports(call.family)) {
		call.has_port = true;
		call.port = addr.port;
		if (with_peer)
			call.peer = addr.peer;
	}
	sle_count(&call, kind);
}

#endif /* SLE_SOCKET_CALLS_BPF_H */
