/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Port and peer classification, compiled into the BPF programs (so series collapse in the kernel,
 * before they take map entries) and into the user-space unit tests (so the very same code is
 * tested). Plain C on plain values: no helpers, no pointers into kernel memory.
 */
#ifndef SLE_CLASSIFY_H
#define SLE_CLASSIFY_H

#include "socket_lsm.h"

#ifdef __bpf__
#define SLE_INLINE static __always_inline
#else
#define SLE_INLINE static inline
#endif

/* exact: the port is in the configured exact set. */
SLE_INLINE __u8 sle_classify_port(__u16 port, int exact)
{
	if (exact)
		return SLE_PORT_EXACT;
	if (port < 1024)
		return SLE_PORT_SYSTEM;
	if (port < 49152)
		return SLE_PORT_REGISTERED;
	return SLE_PORT_DYNAMIC;
}

/* addr in host byte order. */
SLE_INLINE __u8 sle_classify_ipv4(__u32 addr)
{
	if (addr == 0)
		return SLE_PEER_UNSPECIFIED;
	if (addr == 0xffffffffu)
		return SLE_PEER_BROADCAST;
	if ((addr >> 24) == 127)
		return SLE_PEER_LOOPBACK;
	if ((addr >> 24) == 10 || (addr >> 20) == 0xac1 /* 172.16/12 */ ||
	    (addr >> 16) == 0xc0a8 /* 192.168/16 */ || (addr >> 22) == 0x191 /* 100.64/10 */)
		return SLE_PEER_PRIVATE;
	if ((addr >> 16) == 0xa9fe) /* 169.254/16 */
		return SLE_PEER_LINK_LOCAL;
	if ((addr >> 28) == 0xe) /* 224/4 */
		return SLE_PEER_MULTICAST;
	return SLE_PEER_PUBLIC;
}

/* a: the 16 address bytes in network order. IPv4-mapped addresses are classified as IPv4. */
SLE_INLINE __u8 sle_classify_ipv6(const __u8 *a)
{
	__u32 zero_prefix = 1; /* a[0..9] all zero */
	for (int i = 0; i < 10; i++)
		if (a[i])
			zero_prefix = 0;
	if (zero_prefix && a[10] == 0xff && a[11] == 0xff)
		return sle_classify_ipv4(((__u32)a[12] << 24) | ((__u32)a[13] << 16) |
					 ((__u32)a[14] << 8) | a[15]);
	if (zero_prefix && !a[10] && !a[11] && !a[12] && !a[13] && !a[14]) {
		if (a[15] == 0)
			return SLE_PEER_UNSPECIFIED;
		if (a[15] == 1)
			return SLE_PEER_LOOPBACK;
	}
	if ((a[0] & 0xfe) == 0xfc) /* fc00::/7 */
		return SLE_PEER_PRIVATE;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) /* fe80::/10 */
		return SLE_PEER_LINK_LOCAL;
	if (a[0] == 0xff)
		return SLE_PEER_MULTICAST;
	return SLE_PEER_PUBLIC;
}

#endif /* SLE_CLASSIFY_H */
