// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bind(2): security_socket_bind(sock, address, addrlen); port is the local port asked for. */
#include "core_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "socket_calls.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

static __always_inline void describe(struct sle_call *call, struct socket *sock,
				     enum sle_flavour kind, const void *address, int addrlen,
				     bool user)
{
	sle_describe_address(call, sock, kind, address, addrlen, user, false);
}

SEC("fentry/security_socket_bind")
int BPF_PROG(fentry_socket_bind, struct socket *sock, struct sockaddr *address, int addrlen)
{
	struct sle_call call = {};

	describe(&call, sock, SLE_TRAMPOLINE, address, addrlen, false);
	sle_count(&call, SLE_TRAMPOLINE);
	return 0;
}

SEC("fexit/security_socket_bind")
int BPF_PROG(fexit_socket_bind, struct socket *sock, struct sockaddr *address, int addrlen, int ret)
{
	struct sle_call call = {};

	describe(&call, sock, SLE_TRAMPOLINE, address, addrlen, false);
	sle_count_at_return(&call, ret);
	return 0;
}

SEC("kprobe/security_socket_bind")
int BPF_KPROBE(kprobe_socket_bind, struct socket *sock, struct sockaddr *address, int addrlen)
{
	struct sle_call call = {};

	describe(&call, sock, SLE_PROBE, address, addrlen, false);
	sle_count(&call, SLE_PROBE);
	return 0;
}

SEC("kprobe/security_socket_bind")
int BPF_KPROBE(kret_entry_socket_bind, struct socket *sock, struct sockaddr *address, int addrlen)
{
	struct sle_call call = {};

	describe(&call, sock, SLE_PROBE, address, addrlen, false);
	sle_stash_call(&call);
	return 0;
}

SEC("kretprobe/security_socket_bind")
int BPF_KRETPROBE(kret_exit_socket_bind, int ret)
{
	sle_count_stashed(ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_bind")
int tp_sys_enter_bind(struct trace_event_raw_sys_enter *ctx)
{
	struct socket *sock = sle_socket_from_fd((long)ctx->args[0]);
	struct sle_call call = {};

	if (!sock)
		return 0;
	describe(&call, sock, SLE_PROBE, (const void *)ctx->args[1], (int)ctx->args[2], true);
	sle_count(&call, SLE_PROBE); /* the verdict is not visible here: unknown */
	return 0;
}
