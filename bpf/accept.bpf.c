// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* accept(2), accept4(2): security_socket_accept(sock, newsock); port is the listener's port. */
#include "core_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "socket_calls.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* newsock has no struct sock yet when the hook runs: the listening socket carries the labels. */
static __always_inline void describe(struct sle_call *call, struct socket *sock,
				     enum sle_flavour kind)
{
	sle_describe_local_port(call, sock, kind);
}

SEC("fentry/security_socket_accept")
int BPF_PROG(fentry_socket_accept, struct socket *sock, struct socket *newsock)
{
	struct sle_call call = {};

	describe(&call, sock, SLE_TRAMPOLINE);
	sle_count(&call, SLE_TRAMPOLINE);
	return 0;
}

SEC("fexit/security_socket_accept")
int BPF_PROG(fexit_socket_accept, struct socket *sock, struct socket *newsock, int ret)
{
	struct sle_call call = {};

	describe(&call, sock, SLE_TRAMPOLINE);
	sle_count_at_return(&call, ret);
	return 0;
}

SEC("kprobe/security_socket_accept")
int BPF_KPROBE(kprobe_socket_accept, struct socket *sock, struct socket *newsock)
{
	struct sle_call call = {};

	describe(&call, sock, SLE_PROBE);
	sle_count(&call, SLE_PROBE);
	return 0;
}

SEC("kprobe/security_socket_accept")
int BPF_KPROBE(kret_entry_socket_accept, struct socket *sock, struct socket *newsock)
{
	struct sle_call call = {};

	describe(&call, sock, SLE_PROBE);
	sle_stash_call(&call);
	return 0;
}

SEC("kretprobe/security_socket_accept")
int BPF_KRETPROBE(kret_exit_socket_accept, int ret)
{
	sle_count_stashed(ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_accept")
int tp_sys_enter_accept(struct trace_event_raw_sys_enter *ctx)
{
	struct socket *sock = sle_socket_from_fd((long)ctx->args[0]);
	struct sle_call call = {};

	if (!sock)
		return 0;
	describe(&call, sock, SLE_PROBE);
	sle_count(&call, SLE_PROBE); /* the verdict is not visible here: unknown */
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_accept4")
int tp_sys_enter_accept4(struct trace_event_raw_sys_enter *ctx)
{
	struct socket *sock = sle_socket_from_fd((long)ctx->args[0]);
	struct sle_call call = {};

	if (!sock)
		return 0;
	describe(&call, sock, SLE_PROBE);
	sle_count(&call, SLE_PROBE); /* the verdict is not visible here: unknown */
	return 0;
}
