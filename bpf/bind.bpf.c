// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bind(2): security_socket_bind(sock, address, addrlen); port is the local port asked for. */
#include "core_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "socket_calls.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

static __always_inline void on_bind(struct socket *sock, enum sle_flavour kind, const void *address,
				    int addrlen, bool user)
{
	sle_count_socket_address(sock, kind, address, addrlen, user, false);
}

SEC("lsm/socket_bind")
int BPF_PROG(lsm_socket_bind, struct socket *sock, struct sockaddr *address, int addrlen, int ret)
{
	on_bind(sock, SLE_TRAMPOLINE, address, addrlen, false);
	return ret; /* observe only: never change the hook's decision */
}

SEC("fentry/security_socket_bind")
int BPF_PROG(fentry_socket_bind, struct socket *sock, struct sockaddr *address, int addrlen)
{
	on_bind(sock, SLE_TRAMPOLINE, address, addrlen, false);
	return 0;
}

SEC("kprobe/security_socket_bind")
int BPF_KPROBE(kprobe_socket_bind, struct socket *sock, struct sockaddr *address, int addrlen)
{
	on_bind(sock, SLE_PROBE, address, addrlen, false);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_bind")
int tp_sys_enter_bind(struct trace_event_raw_sys_enter *ctx)
{
	struct socket *sock = sle_socket_from_fd((long)ctx->args[0]);

	if (sock)
		on_bind(sock, SLE_PROBE, (const void *)ctx->args[1], (int)ctx->args[2], true);
	return 0;
}
