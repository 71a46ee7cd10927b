// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* setsockopt(2): security_socket_setsockopt(sock, level, optname); names decoded in user space. */
#include "core_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "socket_calls.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

static __always_inline void describe(struct sle_call *call, struct socket *sock,
				     enum sle_flavour kind, int level, int optname)
{
	__u16 local_port;

	sle_call_from_socket(call, sock, kind, &local_port);
	call->level = (__u32)level;
	call->optname = (__u32)optname;
}

SEC("fentry/security_socket_setsockopt")
int BPF_PROG(fentry_socket_setsockopt, struct socket *sock, int level, int optname)
{
	struct sle_call call = {};

	describe(&call, sock, SLE_TRAMPOLINE, level, optname);
	sle_count(&call, SLE_TRAMPOLINE);
	return 0;
}

SEC("fexit/security_socket_setsockopt")
int BPF_PROG(fexit_socket_setsockopt, struct socket *sock, int level, int optname, int ret)
{
	struct sle_call call = {};

	describe(&call, sock, SLE_TRAMPOLINE, level, optname);
	sle_count_at_return(&call, ret);
	return 0;
}

SEC("kprobe/security_socket_setsockopt")
int BPF_KPROBE(kprobe_socket_setsockopt, struct socket *sock, int level, int optname)
{
	struct sle_call call = {};

	describe(&call, sock, SLE_PROBE, level, optname);
	sle_count(&call, SLE_PROBE);
	return 0;
}

SEC("kprobe/security_socket_setsockopt")
int BPF_KPROBE(kret_entry_socket_setsockopt, struct socket *sock, int level, int optname)
{
	struct sle_call call = {};

	describe(&call, sock, SLE_PROBE, level, optname);
	sle_stash_call(&call);
	return 0;
}

SEC("kretprobe/security_socket_setsockopt")
int BPF_KRETPROBE(kret_exit_socket_setsockopt, int ret)
{
	sle_count_stashed(ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_setsockopt")
int tp_sys_enter_setsockopt(struct trace_event_raw_sys_enter *ctx)
{
	struct socket *sock = sle_socket_from_fd((long)ctx->args[0]);
	struct sle_call call = {};

	if (!sock)
		return 0;
	describe(&call, sock, SLE_PROBE, (int)ctx->args[1], (int)ctx->args[2]);
	sle_count(&call, SLE_PROBE); /* the verdict is not visible here: unknown */
	return 0;
}
