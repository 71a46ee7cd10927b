// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* accept(2), accept4(2): security_socket_accept(sock, newsock); port is the listener's port. */
#include "core_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "socket_calls.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* newsock has no struct sock yet when the hook runs: the listening socket carries the labels. */
static __always_inline void on_accept(struct socket *sock, enum sle_flavour kind)
{
	sle_count_socket_local_port(sock, kind);
}

SEC("lsm/socket_accept")
int BPF_PROG(lsm_socket_accept, struct socket *sock, struct socket *newsock, int ret)
{
	on_accept(sock, SLE_TRAMPOLINE);
	return ret; /* observe only: never change the hook's decision */
}

SEC("fentry/security_socket_accept")
int BPF_PROG(fentry_socket_accept, struct socket *sock, struct socket *newsock)
{
	on_accept(sock, SLE_TRAMPOLINE);
	return 0;
}

SEC("kprobe/security_socket_accept")
int BPF_KPROBE(kprobe_socket_accept, struct socket *sock, struct socket *newsock)
{
	on_accept(sock, SLE_PROBE);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_accept")
int tp_sys_enter_accept(struct trace_event_raw_sys_enter *ctx)
{
	struct socket *sock = sle_socket_from_fd((long)ctx->args[0]);

	if (sock)
		on_accept(sock, SLE_PROBE);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_accept4")
int tp_sys_enter_accept4(struct trace_event_raw_sys_enter *ctx)
{
	struct socket *sock = sle_socket_from_fd((long)ctx->args[0]);

	if (sock)
		on_accept(sock, SLE_PROBE);
	return 0;
}
