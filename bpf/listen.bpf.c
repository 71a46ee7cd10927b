// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* listen(2): security_socket_listen(sock, backlog); port is the bound local port (0 if unbound). */
#include "core_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "socket_calls.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

static __always_inline void on_listen(struct socket *sock, enum sle_flavour kind)
{
	sle_count_socket_local_port(sock, kind);
}

SEC("lsm/socket_listen")
int BPF_PROG(lsm_socket_listen, struct socket *sock, int backlog, int ret)
{
	on_listen(sock, SLE_TRAMPOLINE);
	return ret; /* observe only: never change the hook's decision */
}

SEC("fentry/security_socket_listen")
int BPF_PROG(fentry_socket_listen, struct socket *sock, int backlog)
{
	on_listen(sock, SLE_TRAMPOLINE);
	return 0;
}

SEC("kprobe/security_socket_listen")
int BPF_KPROBE(kprobe_socket_listen, struct socket *sock, int backlog)
{
	on_listen(sock, SLE_PROBE);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_listen")
int tp_sys_enter_listen(struct trace_event_raw_sys_enter *ctx)
{
	struct socket *sock = sle_socket_from_fd((long)ctx->args[0]);

	if (sock)
		on_listen(sock, SLE_PROBE);
	return 0;
}
