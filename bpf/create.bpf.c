// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* socket(2), socketpair(2): security_socket_create(family, type, protocol, kern). */
#include "core_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "socket_calls.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* The hook runs before the socket exists, so the call is described by the arguments. */
static __always_inline void describe(struct sle_call *call, int family, int type, int protocol)
{
	call->family = (__u16)family;
	call->type = (__u16)(type & SOCK_TYPE_MASK);
	call->protocol = sle_resolve_protocol(call->family, call->type, (__u16)protocol);
}

SEC("fentry/security_socket_create")
int BPF_PROG(fentry_socket_create, int family, int type, int protocol, int kern)
{
	struct sle_call call = {};

	describe(&call, family, type, protocol);
	sle_count(&call, SLE_TRAMPOLINE);
	return 0;
}

SEC("fexit/security_socket_create")
int BPF_PROG(fexit_socket_create, int family, int type, int protocol, int kern, int ret)
{
	struct sle_call call = {};

	describe(&call, family, type, protocol);
	sle_count_at_return(&call, ret);
	return 0;
}

SEC("kprobe/security_socket_create")
int BPF_KPROBE(kprobe_socket_create, int family, int type, int protocol, int kern)
{
	struct sle_call call = {};

	describe(&call, family, type, protocol);
	sle_count(&call, SLE_PROBE);
	return 0;
}

SEC("kprobe/security_socket_create")
int BPF_KPROBE(kret_entry_socket_create, int family, int type, int protocol, int kern)
{
	struct sle_call call = {};

	describe(&call, family, type, protocol);
	sle_stash_call(&call);
	return 0;
}

SEC("kretprobe/security_socket_create")
int BPF_KRETPROBE(kret_exit_socket_create, int ret)
{
	sle_count_stashed(ret);
	return 0;
}

static __always_inline void count_create(struct trace_event_raw_sys_enter *ctx)
{
	struct sle_call call = {};

	describe(&call, (int)ctx->args[0], (int)ctx->args[1], (int)ctx->args[2]);
	sle_count(&call, SLE_PROBE); /* the verdict is not visible here: unknown */
}

SEC("tracepoint/syscalls/sys_enter_socket")
int tp_sys_enter_socket(struct trace_event_raw_sys_enter *ctx)
{
	count_create(ctx);
	return 0;
}

/* socketpair(2) creates two sockets: the hook runs twice. */
SEC("tracepoint/syscalls/sys_enter_socketpair")
int tp_sys_enter_socketpair(struct trace_event_raw_sys_enter *ctx)
{
	count_create(ctx);
	count_create(ctx);
	return 0;
}
