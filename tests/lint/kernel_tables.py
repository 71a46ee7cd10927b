#!/usr/bin/python3
"""lint.kernel_tables: the label tables of exporter/hooks/label_names.cpp against the headers
that define them: the kernel's uapi headers (linux-libc-dev) and glibc's <sys/socket.h> and
<netinet/in.h>.

For every table:
- each entry's value is the value its macro has in the headers (families as AF_<NAME>, types as
  SOCK_<NAME>, protocols as IPPROTO_<NAME> or NETLINK_<NAME>, levels and option names as they
  are spelled). A name the headers here lack must say, on its line in the table, the kernel that
  added it ("// 6.5"): it is checked where the headers have it.
- for the option tables and the families, every macro of the table's prefix the headers define
  has its value in the table (aliases of a value already there are fine), except what EXCLUDE
  leaves out, each with its reason.

Each table is checked by compiling a small C program against its headers (gcc), so values come
from the compiler, not from parsing the headers. Prints every drift and fails on any.

Usage: kernel_tables.py [SOURCE_ROOT]"""
import os
import re
import subprocess
import sys
import tempfile

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCE = os.path.join(ROOT, "exporter", "hooks", "label_names.cpp")

# table: (headers, how an entry's name becomes its macro, coverage prefix regex or None)
GLIBC_SOCKET = ["sys/socket.h"]
TABLES = {
    # glibc spells DECnet's in mixed case.
    "kFamilies": (GLIBC_SOCKET, lambda n: "AF_DECnet" if n == "decnet" else "AF_" + n.upper(),
                  r"AF_\w+"),
    "kTypes": (GLIBC_SOCKET, lambda n: "SOCK_" + n.upper(), None),
    "kIpProtocols": (["linux/in.h", "linux/in6.h"], lambda n: "IPPROTO_" + n.upper(), None),
    "kNetlinkProtocols": (["linux/netlink.h"], lambda n: "NETLINK_" + n.upper(), None),
    "kSocketOptions": (["sys/types.h", "asm/socket.h"], None, r"SO_\w+"),
    "kIpOptions": (["linux/in.h", "linux/mroute.h", "linux/netfilter_ipv4/ip_tables.h",
                    "linux/netfilter_arp/arp_tables.h", "linux/netfilter_bridge/ebtables.h",
                    "linux/ip_vs.h"],
                   None, r"(IP|MRT|IPT_SO|ARPT_SO|EBT_SO|IP_VS_SO)_\w+"),
    "kIpv6Options": (["linux/in6.h", "linux/mroute6.h", "linux/netfilter_ipv6/ip6_tables.h"],
                     None, r"(IPV6|MCAST|MRT6|IP6T_SO)_\w+"),
    "kTcpOptions": (["linux/tcp.h"], None, r"TCP_\w+"),
    "kUdpOptions": (["linux/udp.h"], None, r"UDP_\w+"),
    # UDPLITE_* are in no uapi header (the kernel's net/udplite.h): the table says so per line.
    "kUdpliteOptions": (["linux/udp.h"], None, r"UDP_\w+"),
    "kIcmpv6Options": (["linux/icmpv6.h"], None, r"ICMPV6_FILTER"),
    "kRawOptions": (["linux/icmp.h", "linux/in6.h"], None, None),
    "kSctpOptions": (["stdint.h", "sys/socket.h", "linux/sctp.h"], None, r"SCTP_\w+"),
    "kNetlinkOptions": (["linux/netlink.h"], None, r"NETLINK_\w+"),
    "kPacketOptions": (["linux/if_packet.h"], None, r"PACKET_\w+"),
    "kAlgOptions": (["linux/if_alg.h"], None, r"ALG_SET_\w+"),
    "kKcmOptions": (["linux/kcm.h"], None, r"KCM_RECV_DISABLE"),
    "kTlsOptions": (["linux/tls.h"], None, r"TLS_(TX|RX)\w*"),
    "kXdpOptions": (["linux/if_xdp.h"], None, r"XDP_\w+"),
    "kMptcpOptions": (["linux/mptcp.h"], None, r"MPTCP_(INFO|TCPINFO|SUBFLOW_ADDRS|FULL_INFO)\w*"),
    "kSmcOptions": (["linux/smc.h"], None, r"SMC_LIMIT_HS"),
    "kVsockOptions": (["sys/socket.h", "linux/vm_sockets.h"], None, r"SO_VM_SOCKETS_\w+"),
    # SOL_SCTP and SOL_UDPLITE are the kernel's own names (include/linux/socket.h, not uapi) for
    # the levels that equal their protocol numbers.
    "kLevels": (["sys/socket.h", "netinet/in.h", "netipx/ipx.h", "netax25/ax25.h", "netatalk/at.h",
                 "netrom/netrom.h", "netrose/rose.h", "linux/can/raw.h", "linux/can/isotp.h",
                 "linux/can/j1939.h", "linux/vm_sockets.h"],
                lambda n: {"SOL_SCTP": "IPPROTO_SCTP", "SOL_UDPLITE": "IPPROTO_UDPLITE"}.get(n, n), None),
}

# Macros of a table's prefix that are not among its values, and why.
EXCLUDE = {
    "kFamilies": [(r"AF_(MAX|LOCAL|ROUTE|FILE)", "AF_MAX is a bound; LOCAL, ROUTE, FILE are aliases")],
    "kSocketOptions": [(r"SO_(TIMESTAMP|TIMESTAMPNS|TIMESTAMPING|RCVTIMEO|SNDTIMEO)",
                        "pick _OLD or _NEW by time_t's size: both are in the table"),
                       (r"SO_VM_SOCKETS_\w+", "options of level AF_VSOCK (kVsockOptions)")],
    "kIpOptions": [(r"IP_PMTUDISC_\w+|IP_DEFAULT_MULTICAST_\w+|IP_MAX_MEMBERSHIPS|IP_RECVRETOPTS",
                    "values of IP_MTU_DISCOVER, defaults and bounds; RECVRETOPTS aliases RETOPTS"),
                   (r"IP_(MF|DF|CE|OFFMASK|VS_SO_(GET|SET)_MAX)", "header bits and range bounds"),
                   (r"MRT_(BASE|MAX)|IPT_SO_(SET|GET)_MAX|ARPT_SO_(SET|GET)_MAX|EBT_SO_(SET|GET)_MAX",
                    "range bounds"),
                   (r"IP_VS_SO_(GET|SET)_\w+_MAX|IP_VS_\w+", "IPVS values that are not option names"),
                   (r"IP_UNICAST_IF_\w+|IP_UNBLOCK_SOURCE_\w+", "not options"),
                   (r"(IPT|ARPT|EBT)_SO_GET_\w+",
                    "getsockopt commands, never a setsockopt's optname (their values that SET "
                    "commands share are in the table under the SET name)")],
    "kIpv6Options": [(r"IPV6_PMTUDISC_\w+|IPV6_PREFER_SRC_\w+|IPV6_FL_\w+|IPV6_PRIORITY_\w+",
                      "values of options, not options"),
                     (r"MRT6_(BASE|MAX)|IP6T_SO_(SET|GET)_MAX", "range bounds"),
                     (r"IPV6_(MIN|MAX)\w*|IPV6_FLOWINFO_\w+|IPV6_\w+_MASK", "bounds and masks"),
                     (r"IPV6_TLV_\w+|MCAST_(EXCLUDE|INCLUDE)", "option TLV types, filter modes"),
                     (r"IP6T_SO_GET_\w+|IP6T_SO_ORIGINAL_DST", "getsockopt commands")],
    "kTcpOptions": [(r"TCP_(MSS_DEFAULT|MSS_DESIRED|COOKIE_\w+|FASTOPEN_KEY_\w+|REPAIR_(ON|OFF|OFF_NO_WP)|"
                     r"NO_QUEUE|RECV_QUEUE|SEND_QUEUE|QUEUES_NR|CA_\w+|TX_DELAY\w*|S_\w+|"
                     r"AO_MAXKEYLEN|AO_KEYF_\w+|AO_\w+_FLAG\w*|FLAG_\w+|DATA_OFFSET|RESERVED_BITS|"
                     r"MD5SIG_MAXKEYLEN|MD5SIG_FLAG_\w+)",
                     "values of options, bounds and header bits, not options")],
    "kUdpOptions": [(r"UDP_ENCAP_\w+", "values of UDP_ENCAP")],
    "kUdpliteOptions": [(r"UDP_ENCAP_\w+", "values of UDP_ENCAP")],
    "kSctpOptions": [(r"SCTP_(AUTH_\w+_(EVENT|KEY)|PR_SCTP_\w+|PR_\w+|FUTURE_ASSOC|CURRENT_ASSOC|ALL_ASSOC|"
                      r"ENABLE_\w+|STREAM_RESET_\w+|ASSOC_\w+|ADDR_\w+|\w+_EVENT|"
                      r"BINDX_\w+|SACK_\w+|SOCKOPT_BINDX_\w+|SOCKOPT_CONNECTX\w*|SOCKOPT_PEELOFF\w*|"
                      r"UNORDERED|ADDR_OVER|ABORT|EOF|SENDALL|EOR|NOTIFICATION|SHUTDOWN_\w+|COMM_\w+|"
                      r"RESTART|CANT_\w+|PARTIAL_\w+|ADAPTATION_\w+|DATA_\w+|SEND_FAILED\w*|REMOTE_ERROR|"
                      r"SN_TYPE_\w+|FRAG_\w+|PMTUD_\w+|HB_\w+|SPP_\w+|SENDV_\w+|RECVV_\w+|"
                      r"\w+INFO_\w+|CMSG_\w+|INIT|SNDRCV|EXTRCV|AUTHINFO|DSTADDRV\d|PRINFO|NXTINFO|"
                      r"RCVINFO|SNDINFO|EVENT_\w+|AUTH_\w+|PLPMTUD_\w+_(DEFAULT|MIN)|DEFAULT_\w+|"
                      r"ASCONF_\w+|UNCONFIRMED|ACTIVE|INACTIVE|PF|MAX_\w+|PR_\w+|STREAM_CHANGE_\w+|"
                      r"PEER_ADDR_CHANGE|AUTHENTICATION_INDICATION)",
                      "message flags, event and state values, not option names")],
    "kNetlinkOptions": [(r"NETLINK_(ROUTE|UNUSED|USERSOCK|FIREWALL|SOCK_DIAG|NFLOG|XFRM|SELINUX|ISCSI|"
                         r"AUDIT|FIB_LOOKUP|CONNECTOR|NETFILTER|IP6_FW|DNRTMSG|KOBJECT_UEVENT|GENERIC|"
                         r"SCSITRANSPORT|ECRYPTFS|RDMA|CRYPTO|SMC|INET_DIAG)",
                         "protocols (kNetlinkProtocols)"),
                        (r"NETLINK_(UNCONNECTED|CONNECTED|ADD|DEL|\w+_BIT)", "socket states and ring flags")],
    "kPacketOptions": [(r"PACKET_(HOST|BROADCAST|MULTICAST|OTHERHOST|OUTGOING|LOOPBACK|USER|KERNEL|"
                        r"FASTROUTE|MR_\w+|FANOUT_\w+|MMAP_\w+)",
                        "packet types and option values, not options")],
    "kXdpOptions": [(r"XDP_(SHARED_UMEM|COPY|ZEROCOPY|USE_NEED_WAKEUP|USE_SG|UMEM_\w+_FLAG|"
                     r"UMEM_UNALIGNED_CHUNK_FLAG|RING_NEED_WAKEUP|OPTIONS_ZEROCOPY|PGOFF_\w+|"
                     r"UMEM_PGOFF_\w+|TXMD_\w+|TX_METADATA|PKT_CONTD|FLAGS_\w+)",
                     "bind flags, mmap offsets and descriptor flags, not options")],
}

ENTRY = re.compile(r'\{(\d+),\s*"([A-Za-z0-9_]+)"(?:,\s*(?:\w+|\{\}))?\}')
TABLE = re.compile(r"constexpr auto (k\w+) = std::to_array<(?:Name|Level)>\(\{(.*?)\}\);", re.S)
VERSION = re.compile(r"//.*\b(\d+\.\d+)\+?")


def tables():
    """{table: [(value, name, version or None)]} as label_names.cpp has them."""
    text = open(SOURCE, encoding="utf-8").read()
    out = {}
    for m in TABLE.finditer(text):
        entries = []
        for line in m.group(2).splitlines():
            v = VERSION.search(line)
            for e in ENTRY.finditer(line):
                entries.append((int(e.group(1)), e.group(2), v.group(1) if v else None))
        out[m.group(1)] = entries
    return out


def defines(headers):
    """Names of the object-like macros the headers define, with integer-looking bodies."""
    src = "".join(f"#include <{h}>\n" for h in headers)
    r = subprocess.run(["gcc", "-dM", "-E", "-x", "c", "-"], input=src, capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(f"gcc -E of {headers}: {r.stderr}")
    names = []
    for line in r.stdout.splitlines():
        m = re.match(r"#define ([A-Za-z_]\w*) (.+)$", line)
        if m and '"' not in m.group(2) and "{" not in m.group(2):
            names.append(m.group(1))
    return names


def evaluate(headers, names):
    """{name: value or None (absent)} for each macro, compiled and run."""
    body = []
    for i, n in enumerate(names):
        body.append(f'#ifdef {n}\n  printf("%d %lld\\n", {i}, (long long)({n}));\n'
                    f'#else\n  printf("%d -\\n", {i});\n#endif\n')
    src = ("#include <stdio.h>\n" + "".join(f"#include <{h}>\n" for h in headers) +
           "int main(void) {\n" + "".join(body) + "  return 0;\n}\n")
    with tempfile.TemporaryDirectory() as d:
        c, exe = os.path.join(d, "t.c"), os.path.join(d, "t")
        with open(c, "w") as fh:
            fh.write(src)
        r = subprocess.run(["gcc", "-w", "-o", exe, c], capture_output=True, text=True)
        if r.returncode:
            return None, r.stderr
        out = subprocess.run([exe], capture_output=True, text=True, check=True).stdout
    values = {}
    for line in out.splitlines():
        i, v = line.split()
        values[names[int(i)]] = None if v == "-" else int(v)
    return values, ""


def main():
    problems = []
    have = tables()
    problems += [f"{t}: a table of label_names.cpp this check does not know: add it to TABLES"
                 for t in have if t not in TABLES and t != "kFamilyAliases"]
    for table, (headers, macro, prefix) in TABLES.items():
        if table not in have:
            problems.append(f"{table}: not in {SOURCE}")
            continue
        entries = have[table]
        names = [macro(n) if macro else n for _, n, _ in entries]
        candidates = []
        if prefix:
            excluded = [re.compile(p) for p, _ in EXCLUDE.get(table, [])]
            candidates = [d for d in defines(headers) if re.fullmatch(prefix, d)
                          and not any(x.fullmatch(d) for x in excluded) and d not in names]
        # Candidates one by one when the whole program does not compile (a macro that is no
        # integer constant): those are reported, not guessed at.
        values, err = evaluate(headers, names + candidates)
        if values is None:
            values, err2 = evaluate(headers, names)
            if values is None:
                problems.append(f"{table}: the check does not compile against {headers}: {err2[:400]}")
                continue
            for c in candidates:
                v, _ = evaluate(headers, [c])
                if v is None:
                    problems.append(f"{table}: {c} of {headers} is no integer constant; "
                                    "exclude it with its reason (tests/lint/kernel_tables.py)")
                else:
                    values.update(v)
        for (value, name, version), m in zip(entries, names):
            got = values.get(m)
            if got is None:
                if not version:
                    problems.append(f"{table}: {name} ({m}) is not in {', '.join(headers)}; "
                                    "if it is newer, say on its line which kernel added it (// 6.x)")
            elif got != value:
                problems.append(f"{table}: {name} is {value} in the table, {got} in the headers ({m})")
        known = {v for v, _, _ in entries}
        for c in candidates:
            v = values.get(c)
            if v is not None and v not in known:
                problems.append(f"{table}: {c} = {v} of {', '.join(headers)} has no entry")
        print(f"{table}: {len(entries)} entries, {len(candidates)} more macros of its headers checked")
    for p in problems:
        print(f"FAIL {p}")
    print(f"lint.kernel_tables: {len(TABLES)} tables, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
