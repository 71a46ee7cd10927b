// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* listen(2): security_socket_listen(sock, backlog); port is the bound local port (0 if unbound). */
#include "core_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "socket_calls.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

static __always_inline void describe(struct sle_call *call, struct socket *sock,
				     enum sle_flavour kind)
{
	sle_describe_local_port(call, sock, kind);
}

SEC("fentry/security_socket_listen")
int BPF_PROG(fentry_socket_listen, struct socket *sock, int backlog)
{
	struct sle_call call = {};

	describe(&call, sock, SLE_TRAMPOLINE);
	sle_count(&call, SLE_TRAMPOLINE);
	return 0;
}

SEC("fexit/security_socket_listen")
int BPF_PROG(fexit_socket_listen, struct socket *sock, int backlog, int ret)
{
	struct sle_call call = {};

	describe(&call, sock, SLE_TRAMPOLINE);
	sle_count_at_return(&call, ret);
	return 0;
}

SEC("kprobe/security_socket_listen")
int BPF_KPROBE(kprobe_socket_listen, struct socket *sock, int backlog)
{
	struct sle_call call = {};

	describe(&call, sock, SLE_PROBE);
	sle_count(&call, SLE_PROBE);
	return 0;
}

SEC("kprobe/security_socket_listen")
int BPF_KPROBE(kret_entry_socket_listen, struct socket *sock, int backlog)
{
	struct sle_call call = {};

	describe(&call, sock, SLE_PROBE);
	sle_stash_call(&call);
	return 0;
}

SEC("kretprobe/security_socket_listen")
int BPF_KRETPROBE(kret_exit_socket_listen, int ret)
{
	sle_count_stashed(ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_listen")
int tp_sys_enter_listen(struct trace_event_raw_sys_enter *ctx)
{
	struct socket *sock = sle_socket_from_fd((long)ctx->args[0]);
	struct sle_call call = {};

	if (!sock)
		return 0;
	describe(&call, sock, SLE_PROBE);
	sle_count(&call, SLE_PROBE); /* the verdict is not visible here: unknown */
	return 0;
}
