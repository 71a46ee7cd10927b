// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A BPF LSM program of the tests of refused calls (tests/integration/denial_test.cpp), standing
 * for an operator's own BPF policy: it refuses, with EPERM, the IPv4 connects to one port made
 * from one cgroup. Not one of the exporter's objects: the test loads it beside the exporter, whose
 * programs at the return of security_socket_connect() must count those connects as denied with
 * errno EPERM.
 */
#include "core_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u64 refused_cgroup = 0;
const volatile __u16 refused_port = 0;

#define SLE_AF_INET 2
#define SLE_EPERM 1

SEC("lsm/socket_connect")
int BPF_PROG(refuse_connect, struct socket *sock, struct sockaddr *address, int addrlen, int ret)
{
	struct sockaddr_in sin = {};

	if (ret != 0 || bpf_get_current_cgroup_id() != refused_cgroup)
		return ret; /* refused before us, or not the test's cgroup */
	if (addrlen < (int)sizeof(sin) || bpf_probe_read_kernel(&sin, sizeof(sin), address) != 0)
		return 0;
	if (sin.sin_family != SLE_AF_INET || sin.sin_port != bpf_htons(refused_port))
		return 0;
	return -SLE_EPERM;
}
