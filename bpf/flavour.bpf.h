/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The two flavours of program a hook's wrappers come in, and what each may assume. Every body
 * takes its wrapper's flavour as a constant, so the compiler keeps one path per program.
 */
#ifndef SLE_FLAVOUR_BPF_H
#define SLE_FLAVOUR_BPF_H

enum sle_flavour {
	/* fentry and fexit: arguments are BTF pointers the verifier tracks (direct loads). Such a
	 * program can be preempted on preemptible kernels (5.11+), midway, while others run on its
	 * CPU (the kernel skips further runs of the same program there, in recursion_misses). Its
	 * per-CPU updates are made safe against another run of the object midway all the same:
	 * that costs little, and held for the BPF LSM programs this flavour once had, which nest. */
	SLE_TRAMPOLINE,
	/* kprobe and tracepoint: pointers are plain addresses (a kprobe's arguments, a socket found
	 * from an fd), to cast or probe-read. It runs with preemption off, and the kernel skips a
	 * run that would nest (bpf_prog_active, counted in recursion_misses): alone on its CPU. */
	SLE_PROBE,
};

#endif /* SLE_FLAVOUR_BPF_H */
