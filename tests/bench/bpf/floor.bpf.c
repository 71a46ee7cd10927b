// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor of the benchmark (tests/bench/hook_bench.cpp): an empty program on every attach point
 * the exporter uses, for each backend. What an empty program adds to a socket call is the price
 * of the attach point itself (trampoline, kprobe, perf-event tracepoint), which no program on it
 * can avoid; the exporter's cost is compared with that. The bench loads one backend's programs
 * (by the prefix of their names, as the exporter's loader does: hooks/backend.h), at the entry
 * (outcome labels off) or the return (on): for kprobe the pair of an empty kprobe and kretprobe.
 */
#include "core_types.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define FLOOR(section, name)             \
	SEC(section) int name(void *ctx) \
	{                                \
		return 0;                \
	}

FLOOR("fentry/security_socket_create", fentry_create)
FLOOR("fentry/security_socket_bind", fentry_bind)
FLOOR("fentry/security_socket_connect", fentry_connect)
FLOOR("fentry/security_socket_listen", fentry_listen)
FLOOR("fentry/security_socket_accept", fentry_accept)
FLOOR("fentry/security_socket_setsockopt", fentry_setsockopt)

FLOOR("kprobe/security_socket_create", kprobe_create)
FLOOR("kprobe/security_socket_bind", kprobe_bind)
FLOOR("kprobe/security_socket_connect", kprobe_connect)
FLOOR("kprobe/security_socket_listen", kprobe_listen)
FLOOR("kprobe/security_socket_accept", kprobe_accept)
FLOOR("kprobe/security_socket_setsockopt", kprobe_setsockopt)

FLOOR("fexit/security_socket_create", fexit_create)
FLOOR("fexit/security_socket_bind", fexit_bind)
FLOOR("fexit/security_socket_connect", fexit_connect)
FLOOR("fexit/security_socket_listen", fexit_listen)
FLOOR("fexit/security_socket_accept", fexit_accept)
FLOOR("fexit/security_socket_setsockopt", fexit_setsockopt)

FLOOR("kprobe/security_socket_create", kret_entry_create)
FLOOR("kretprobe/security_socket_create", kret_exit_create)
FLOOR("kprobe/security_socket_bind", kret_entry_bind)
FLOOR("kretprobe/security_socket_bind", kret_exit_bind)
FLOOR("kprobe/security_socket_connect", kret_entry_connect)
FLOOR("kretprobe/security_socket_connect", kret_exit_connect)
FLOOR("kprobe/security_socket_listen", kret_entry_listen)
FLOOR("kretprobe/security_socket_listen", kret_exit_listen)
FLOOR("kprobe/security_socket_accept", kret_entry_accept)
FLOOR("kretprobe/security_socket_accept", kret_exit_accept)
FLOOR("kprobe/security_socket_setsockopt", kret_entry_setsockopt)
FLOOR("kretprobe/security_socket_setsockopt", kret_exit_setsockopt)

FLOOR("tracepoint/syscalls/sys_enter_socket", tp_socket)
FLOOR("tracepoint/syscalls/sys_enter_socketpair", tp_socketpair)
FLOOR("tracepoint/syscalls/sys_enter_bind", tp_bind)
FLOOR("tracepoint/syscalls/sys_enter_connect", tp_connect)
FLOOR("tracepoint/syscalls/sys_enter_listen", tp_listen)
FLOOR("tracepoint/syscalls/sys_enter_accept", tp_accept)
FLOOR("tracepoint/syscalls/sys_enter_accept4", tp_accept4)
FLOOR("tracepoint/syscalls/sys_enter_setsockopt", tp_setsockopt)
