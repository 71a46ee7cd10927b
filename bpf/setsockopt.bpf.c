// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* setsockopt(2): security_socket_setsockopt(sock, level, optname); names decoded in user space. */
#include "core_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "socket_calls.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

static __always_inline void on_setsockopt(struct socket *sock, enum sle_flavour kind, int level,
					  int optname)
{
	struct sle_call call = {};
	__u16 local_port;

	sle_call_from_socket(&call, sock, kind, &local_port);
	call.level = (__u32)level;
	call.optname = (__u32)optname;
	sle_count(&call, kind);
}

SEC("lsm/socket_setsockopt")
int BPF_PROG(lsm_socket_setsockopt, struct socket *sock, int level, int optname, int ret)
{
	on_setsockopt(sock, SLE_TRAMPOLINE, level, optname);
	return ret; /* observe only: never change the hook's decision */
}

SEC("fentry/security_socket_setsockopt")
int BPF_PROG(fentry_socket_setsockopt, struct socket *sock, int level, int optname)
{
	on_setsockopt(sock, SLE_TRAMPOLINE, level, optname);
	return 0;
}

SEC("kprobe/security_socket_setsockopt")
int BPF_KPROBE(kprobe_socket_setsockopt, struct socket *sock, int level, int optname)
{
	on_setsockopt(sock, SLE_PROBE, level, optname);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_setsockopt")
int tp_sys_enter_setsockopt(struct trace_event_raw_sys_enter *ctx)
{
	struct socket *sock = sle_socket_from_fd((long)ctx->args[0]);

	if (sock)
		on_setsockopt(sock, SLE_PROBE, (int)ctx->args[1], (int)ctx->args[2]);
	return 0;
}
