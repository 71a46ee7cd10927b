/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Kernel differences, in one place (after bcc's libbpf-tools/core_fixes.bpf.h). */
#ifndef CORE_FIXES_BPF_H
#define CORE_FIXES_BPF_H

#include "core_types.h"
#include <bpf/bpf_core_read.h>

/*
 * sk_type and sk_protocol became plain u16 fields in Linux 5.6 (commit bf9765145b85); before, they
 * were bitfields inside sk_flags. The probed bitfield read relocates byte offset, size and shifts
 * against the running kernel, so it is right for both layouts.
 */
static __always_inline __u16 sle_sk_type(const struct sock *sk)
{
	return (__u16)BPF_CORE_READ_BITFIELD_PROBED(sk, sk_type);
}

static __always_inline __u16 sle_sk_protocol(const struct sock *sk)
{
	return (__u16)BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol);
}

#endif /* CORE_FIXES_BPF_H */
