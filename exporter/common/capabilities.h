// Least privilege (docs/security.md): once the programs are attached and the files the exporter
// needs are open, it gives up every capability. Capabilities belong to threads in Linux, so the
// drop is made before any other thread starts, and every thread started after has none: the
// serving threads run with an empty effective set.
//
// Kernels before 5.19 check CAP_BPF on every bpf() call while kernel.unprivileged_bpf_disabled
// is set, map reads included: there CAP_BPF stays permitted (not effective), and a thread about to
// read the maps raises it for itself alone (enable_bpf_for_this_thread()); before 5.8, which has
// no CAP_BPF, CAP_SYS_ADMIN plays its part.
#pragma once

namespace sle::capabilities {

// Whether this kernel needs CAP_BPF to read maps the exporter made (before 5.19).
bool map_reads_need_cap_bpf();

// Drops every capability from this thread's effective, permitted, inheritable and ambient sets
// and, where allowed, from the bounding set; sets no_new_privs. With keep_bpf, CAP_BPF stays
// permitted. Throws SystemError when the kernel refuses.
void drop_all(bool keep_bpf);

// Makes CAP_BPF effective in the calling thread, when drop_all() kept it permitted; else nothing.
void enable_bpf_for_this_thread();

}  // namespace sle::capabilities
