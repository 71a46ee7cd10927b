// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* socket(2), socketpair(2): security_socket_create(family, type, protocol, kern). */
#include "core_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "counting.bpf.h"
#include "socket_read.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* The hook fires before the socket exists, so the key comes from the arguments. */
static __always_inline void on_create(enum sle_flavour kind, int family, int type, int protocol)
{
	struct sle_call call = {};

	call.family = (__u16)family;
	call.type = (__u16)(type & SOCK_TYPE_MASK);
	call.protocol = sle_resolve_protocol(call.family, call.type, (__u16)protocol);
	sle_count(&call, kind);
}

SEC("lsm/socket_create")
int BPF_PROG(lsm_socket_create, int family, int type, int protocol, int kern, int ret)
{
	on_create(SLE_TRAMPOLINE, family, type, protocol);
	return ret; /* observe only: never change the hook's decision */
}

SEC("fentry/security_socket_create")
int BPF_PROG(fentry_socket_create, int family, int type, int protocol, int kern)
{
	on_create(SLE_TRAMPOLINE, family, type, protocol);
	return 0;
}

SEC("kprobe/security_socket_create")
int BPF_KPROBE(kprobe_socket_create, int family, int type, int protocol, int kern)
{
	on_create(SLE_PROBE, family, type, protocol);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_socket")
int tp_sys_enter_socket(struct trace_event_raw_sys_enter *ctx)
{
	on_create(SLE_PROBE, (int)ctx->args[0], (int)ctx->args[1], (int)ctx->args[2]);
	return 0;
}

/* socketpair(2) creates two sockets: the hook runs twice. */
SEC("tracepoint/syscalls/sys_enter_socketpair")
int tp_sys_enter_socketpair(struct trace_event_raw_sys_enter *ctx)
{
	on_create(SLE_PROBE, (int)ctx->args[0], (int)ctx->args[1], (int)ctx->args[2]);
	on_create(SLE_PROBE, (int)ctx->args[0], (int)ctx->args[1], (int)ctx->args[2]);
	return 0;
}
