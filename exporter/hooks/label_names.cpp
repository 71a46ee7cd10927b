#include "hooks/label_names.h"

#include <algorithm>
#include <array>
#include <span>

#include "common/numbers.h"

namespace sle {
namespace {

// One entry of a decoding table. Every table is sorted by value, without duplicates (checked at
// compile time below), so lookups can bisect.
struct Name {
  std::uint32_t value;
  std::string_view name;
};

// A setsockopt level and the table of its option names (empty: options are not decoded).
struct Level {
  std::uint32_t value;
  std::string_view name;
  std::span<const Name> optnames;
};

template <typename Entry, std::size_t N>
constexpr bool strictly_ascending(const std::array<Entry, N>& table) {
  for (std::size_t i = 1; i < N; ++i)
    if (table[i - 1].value >= table[i].value) return false;
  return true;
}

template <typename Entry>
const Entry* find(std::span<const Entry> table, std::uint32_t value) {
  const auto it =
      std::lower_bound(table.begin(), table.end(), value,
                       [](const Entry& entry, std::uint32_t v) { return entry.value < v; });
  return it != table.end() && it->value == value ? &*it : nullptr;
}

std::optional<std::uint32_t> find_value(std::span<const Name> table, std::string_view name) {
  const auto it = std::ranges::find(table, name, &Name::name);
  return it != table.end() ? std::optional(it->value) : std::nullopt;
}

// Levels and option names are C ints: unknown ones print as such.
std::string signed_decimal(std::uint32_t value) {
  return std::to_string(static_cast<std::int32_t>(value));
}

std::string name_or_decimal(std::span<const Name> table, std::uint32_t value) {
  const Name* entry = find(table, value);
  return entry ? std::string(entry->name) : std::to_string(value);
}

std::string name_or_signed_decimal(std::span<const Name> table, std::uint32_t value) {
  const Name* entry = find(table, value);
  return entry ? std::string(entry->name) : signed_decimal(value);
}

// --- families (linux/socket.h) ---------------------------------------------------------------

constexpr std::uint32_t kAfInet = 2;
constexpr std::uint32_t kAfInet6 = 10;
constexpr std::uint32_t kAfNetlink = 16;

constexpr auto kFamilies = std::to_array<Name>({
    {0, "unspec"},    {1, "unix"},        {2, "inet"},     {3, "ax25"},     {4, "ipx"},
    {5, "appletalk"}, {6, "netrom"},      {7, "bridge"},   {8, "atmpvc"},   {9, "x25"},
    {10, "inet6"},    {11, "rose"},       {12, "decnet"},  {13, "netbeui"}, {14, "security"},
    {15, "key"},      {16, "netlink"},    {17, "packet"},  {18, "ash"},     {19, "econet"},
    {20, "atmsvc"},   {21, "rds"},        {22, "sna"},     {23, "irda"},    {24, "pppox"},
    {25, "wanpipe"},  {26, "llc"},        {27, "ib"},      {28, "mpls"},    {29, "can"},
    {30, "tipc"},     {31, "bluetooth"},  {32, "iucv"},    {33, "rxrpc"},   {34, "isdn"},
    {35, "phonet"},   {36, "ieee802154"}, {37, "caif"},    {38, "alg"},     {39, "nfc"},
    {40, "vsock"},    {41, "kcm"},        {42, "qipcrtr"}, {43, "smc"},     {44, "xdp"},
    {45, "mctp"},
});

// Accepted by family_from_name only: AF_LOCAL and AF_ROUTE.
constexpr auto kFamilyAliases = std::to_array<Name>({{1, "local"}, {16, "route"}});

// --- types (linux/net.h) ---------------------------------------------------------------------

constexpr std::uint32_t kSockTypeMask = 0xf;  // SOCK_TYPE_MASK: the rest are SOCK_* flags

constexpr auto kTypes = std::to_array<Name>({
    {1, "stream"},
    {2, "dgram"},
    {3, "raw"},
    {4, "rdm"},
    {5, "seqpacket"},
    {6, "dccp"},
    {10, "packet"},
});

// --- protocols -------------------------------------------------------------------------------

// IPPROTO_* of linux/in.h and IPPROTO_ICMPV6 of linux/in6.h, for inet and inet6 sockets.
constexpr auto kIpProtocols = std::to_array<Name>({
    {0, "ip"},      {1, "icmp"},       {2, "igmp"},      {4, "ipip"},    {6, "tcp"},
    {8, "egp"},     {12, "pup"},       {17, "udp"},      {22, "idp"},    {29, "tp"},
    {33, "dccp"},   {41, "ipv6"},      {46, "rsvp"},     {47, "gre"},    {50, "esp"},
    {51, "ah"},     {58, "icmpv6"},    {92, "mtp"},      {94, "beetph"}, {98, "encap"},
    {103, "pim"},   {108, "comp"},     {115, "l2tp"},    {132, "sctp"},  {136, "udplite"},
    {137, "mpls"},  {143, "ethernet"}, {144, "aggfrag"},  // aggfrag: 6.2
    {255, "raw"},   {256, "smc"},                         // smc: 6.11
    {262, "mptcp"},
});

// NETLINK_* of linux/netlink.h.
constexpr auto kNetlinkProtocols = std::to_array<Name>({
    {0, "route"},      {1, "unused"},         {2, "usersock"},    {3, "firewall"},
    {4, "sock_diag"},  {5, "nflog"},          {6, "xfrm"},        {7, "selinux"},
    {8, "iscsi"},      {9, "audit"},          {10, "fib_lookup"}, {11, "connector"},
    {12, "netfilter"}, {13, "ip6_fw"},        {14, "dnrtmsg"},    {15, "kobject_uevent"},
    {16, "generic"},   {18, "scsitransport"}, {19, "ecryptfs"},   {20, "rdma"},
    {21, "crypto"},    {22, "smc"},
});

// --- option names, one table per level -------------------------------------------------------

// asm-generic/socket.h, which x86_64 uses.
constexpr auto kSocketOptions = std::to_array<Name>({
    {1, "SO_DEBUG"},
    {2, "SO_REUSEADDR"},
    {3, "SO_TYPE"},
    {4, "SO_ERROR"},
    {5, "SO_DONTROUTE"},
    {6, "SO_BROADCAST"},
    {7, "SO_SNDBUF"},
    {8, "SO_RCVBUF"},
    {9, "SO_KEEPALIVE"},
    {10, "SO_OOBINLINE"},
    {11, "SO_NO_CHECK"},
    {12, "SO_PRIORITY"},
    {13, "SO_LINGER"},
    {14, "SO_BSDCOMPAT"},
    {15, "SO_REUSEPORT"},
    {16, "SO_PASSCRED"},
    {17, "SO_PEERCRED"},
    {18, "SO_RCVLOWAT"},
    {19, "SO_SNDLOWAT"},
    {20, "SO_RCVTIMEO_OLD"},
    {21, "SO_SNDTIMEO_OLD"},
    {22, "SO_SECURITY_AUTHENTICATION"},
    {23, "SO_SECURITY_ENCRYPTION_TRANSPORT"},
    {24, "SO_SECURITY_ENCRYPTION_NETWORK"},
    {25, "SO_BINDTODEVICE"},
    {26, "SO_ATTACH_FILTER"},
    {27, "SO_DETACH_FILTER"},
    {28, "SO_PEERNAME"},
    {29, "SO_TIMESTAMP_OLD"},
    {30, "SO_ACCEPTCONN"},
    {31, "SO_PEERSEC"},
    {32, "SO_SNDBUFFORCE"},
    {33, "SO_RCVBUFFORCE"},
    {34, "SO_PASSSEC"},
    {35, "SO_TIMESTAMPNS_OLD"},
    {36, "SO_MARK"},
    {37, "SO_TIMESTAMPING_OLD"},
    {38, "SO_PROTOCOL"},
    {39, "SO_DOMAIN"},
    {40, "SO_RXQ_OVFL"},
    {41, "SO_WIFI_STATUS"},
    {42, "SO_PEEK_OFF"},
    {43, "SO_NOFCS"},
    {44, "SO_LOCK_FILTER"},
    {45, "SO_SELECT_ERR_QUEUE"},
    {46, "SO_BUSY_POLL"},
    {47, "SO_MAX_PACING_RATE"},
    {48, "SO_BPF_EXTENSIONS"},
    {49, "SO_INCOMING_CPU"},
    {50, "SO_ATTACH_BPF"},
    {51, "SO_ATTACH_REUSEPORT_CBPF"},
    {52, "SO_ATTACH_REUSEPORT_EBPF"},
    {53, "SO_CNX_ADVICE"},
    {54, "SCM_TIMESTAMPING_OPT_STATS"},
    {55, "SO_MEMINFO"},
    {56, "SO_INCOMING_NAPI_ID"},
    {57, "SO_COOKIE"},
    {58, "SCM_TIMESTAMPING_PKTINFO"},
    {59, "SO_PEERGROUPS"},
    {60, "SO_ZEROCOPY"},
    {61, "SO_TXTIME"},
    {62, "SO_BINDTOIFINDEX"},
    {63, "SO_TIMESTAMP_NEW"},
    {64, "SO_TIMESTAMPNS_NEW"},
    {65, "SO_TIMESTAMPING_NEW"},
    {66, "SO_RCVTIMEO_NEW"},
    {67, "SO_SNDTIMEO_NEW"},
    {68, "SO_DETACH_REUSEPORT_BPF"},
    {69, "SO_PREFER_BUSY_POLL"},
    {70, "SO_BUSY_POLL_BUDGET"},
    {71, "SO_NETNS_COOKIE"},
    {72, "SO_BUF_LOCK"},
    {73, "SO_RESERVE_MEM"},
    {74, "SO_TXREHASH"},
    {75, "SO_RCVMARK"},
    {76, "SO_PASSPIDFD"},        // 6.5
    {77, "SO_PEERPIDFD"},        // 6.5
    {78, "SO_DEVMEM_LINEAR"},    // 6.12
    {79, "SO_DEVMEM_DMABUF"},    // 6.12
    {80, "SO_DEVMEM_DONTNEED"},  // 6.12
    {81, "SCM_TS_OPT_ID"},       // 6.13
    {82, "SO_RCVPRIORITY"},      // 6.14
    {83, "SO_PASSRIGHTS"},       // 6.16
    {84, "SO_INQ"},              // 6.17
});

// linux/in.h, plus the setsockopt commands of iptables (netfilter_ipv4/ip_tables.h), arptables,
// ebtables, multicast routing (linux/mroute.h) and IPVS (linux/ip_vs.h), all at this level.
constexpr auto kIpOptions = std::to_array<Name>({
    {1, "IP_TOS"},
    {2, "IP_TTL"},
    {3, "IP_HDRINCL"},
    {4, "IP_OPTIONS"},
    {5, "IP_ROUTER_ALERT"},
    {6, "IP_RECVOPTS"},
    {7, "IP_RETOPTS"},
    {8, "IP_PKTINFO"},
    {9, "IP_PKTOPTIONS"},
    {10, "IP_MTU_DISCOVER"},
    {11, "IP_RECVERR"},
    {12, "IP_RECVTTL"},
    {13, "IP_RECVTOS"},
    {14, "IP_MTU"},
    {15, "IP_FREEBIND"},
    {16, "IP_IPSEC_POLICY"},
    {17, "IP_XFRM_POLICY"},
    {18, "IP_PASSSEC"},
    {19, "IP_TRANSPARENT"},
    {20, "IP_ORIGDSTADDR"},
    {21, "IP_MINTTL"},
    {22, "IP_NODEFRAG"},
    {23, "IP_CHECKSUM"},
    {24, "IP_BIND_ADDRESS_NO_PORT"},
    {25, "IP_RECVFRAGSIZE"},
    {26, "IP_RECVERR_RFC4884"},
    {32, "IP_MULTICAST_IF"},
    {33, "IP_MULTICAST_TTL"},
    {34, "IP_MULTICAST_LOOP"},
    {35, "IP_ADD_MEMBERSHIP"},
    {36, "IP_DROP_MEMBERSHIP"},
    {37, "IP_UNBLOCK_SOURCE"},
    {38, "IP_BLOCK_SOURCE"},
    {39, "IP_ADD_SOURCE_MEMBERSHIP"},
    {40, "IP_DROP_SOURCE_MEMBERSHIP"},
    {41, "IP_MSFILTER"},
    {42, "MCAST_JOIN_GROUP"},
    {43, "MCAST_BLOCK_SOURCE"},
    {44, "MCAST_UNBLOCK_SOURCE"},
    {45, "MCAST_LEAVE_GROUP"},
    {46, "MCAST_JOIN_SOURCE_GROUP"},
    {47, "MCAST_LEAVE_SOURCE_GROUP"},
    {48, "MCAST_MSFILTER"},
    {49, "IP_MULTICAST_ALL"},
    {50, "IP_UNICAST_IF"},
    {51, "IP_LOCAL_PORT_RANGE"},
    {52, "IP_PROTOCOL"},
    {64, "IPT_SO_SET_REPLACE"},
    {65, "IPT_SO_SET_ADD_COUNTERS"},
    {96, "ARPT_SO_SET_REPLACE"},
    {97, "ARPT_SO_SET_ADD_COUNTERS"},
    {128, "EBT_SO_SET_ENTRIES"},
    {129, "EBT_SO_SET_COUNTERS"},
    {200, "MRT_INIT"},
    {201, "MRT_DONE"},
    {202, "MRT_ADD_VIF"},
    {203, "MRT_DEL_VIF"},
    {204, "MRT_ADD_MFC"},
    {205, "MRT_DEL_MFC"},
    {206, "MRT_VERSION"},
    {207, "MRT_ASSERT"},
    {208, "MRT_PIM"},
    {209, "MRT_TABLE"},
    {210, "MRT_ADD_MFC_PROXY"},
    {211, "MRT_DEL_MFC_PROXY"},
    {212, "MRT_FLUSH"},
    {1152, "IP_VS_SO_SET_NONE"},
    {1153, "IP_VS_SO_SET_INSERT"},
    {1154, "IP_VS_SO_SET_ADD"},
    {1155, "IP_VS_SO_SET_EDIT"},
    {1156, "IP_VS_SO_SET_DEL"},
    {1157, "IP_VS_SO_SET_FLUSH"},
    {1158, "IP_VS_SO_SET_LIST"},
    {1159, "IP_VS_SO_SET_ADDDEST"},
    {1160, "IP_VS_SO_SET_DELDEST"},
    {1161, "IP_VS_SO_SET_EDITDEST"},
    {1162, "IP_VS_SO_SET_TIMEOUT"},
    {1163, "IP_VS_SO_SET_STARTDAEMON"},
    {1164, "IP_VS_SO_SET_STOPDAEMON"},
    {1165, "IP_VS_SO_SET_RESTORE"},
    {1166, "IP_VS_SO_SET_SAVE"},
    {1167, "IP_VS_SO_SET_ZERO"},
});

// linux/in6.h, plus the setsockopt commands of ip6tables (netfilter_ipv6/ip6_tables.h) and
// multicast routing (linux/mroute6.h).
constexpr auto kIpv6Options = std::to_array<Name>({
    {1, "IPV6_ADDRFORM"},
    {2, "IPV6_2292PKTINFO"},
    {3, "IPV6_2292HOPOPTS"},
    {4, "IPV6_2292DSTOPTS"},
    {5, "IPV6_2292RTHDR"},
    {6, "IPV6_2292PKTOPTIONS"},
    {7, "IPV6_CHECKSUM"},
    {8, "IPV6_2292HOPLIMIT"},
    {9, "IPV6_NEXTHOP"},
    {10, "IPV6_AUTHHDR"},
    {11, "IPV6_FLOWINFO"},
    {16, "IPV6_UNICAST_HOPS"},
    {17, "IPV6_MULTICAST_IF"},
    {18, "IPV6_MULTICAST_HOPS"},
    {19, "IPV6_MULTICAST_LOOP"},
    {20, "IPV6_ADD_MEMBERSHIP"},
    {21, "IPV6_DROP_MEMBERSHIP"},
    {22, "IPV6_ROUTER_ALERT"},
    {23, "IPV6_MTU_DISCOVER"},
    {24, "IPV6_MTU"},
    {25, "IPV6_RECVERR"},
    {26, "IPV6_V6ONLY"},
    {27, "IPV6_JOIN_ANYCAST"},
    {28, "IPV6_LEAVE_ANYCAST"},
    {29, "IPV6_MULTICAST_ALL"},
    {30, "IPV6_ROUTER_ALERT_ISOLATE"},
    {31, "IPV6_RECVERR_RFC4884"},
    {32, "IPV6_FLOWLABEL_MGR"},
    {33, "IPV6_FLOWINFO_SEND"},
    {34, "IPV6_IPSEC_POLICY"},
    {35, "IPV6_XFRM_POLICY"},
    {36, "IPV6_HDRINCL"},
    {42, "MCAST_JOIN_GROUP"},
    {43, "MCAST_BLOCK_SOURCE"},
    {44, "MCAST_UNBLOCK_SOURCE"},
    {45, "MCAST_LEAVE_GROUP"},
    {46, "MCAST_JOIN_SOURCE_GROUP"},
    {47, "MCAST_LEAVE_SOURCE_GROUP"},
    {48, "MCAST_MSFILTER"},
    {49, "IPV6_RECVPKTINFO"},
    {50, "IPV6_PKTINFO"},
    {51, "IPV6_RECVHOPLIMIT"},
    {52, "IPV6_HOPLIMIT"},
    {53, "IPV6_RECVHOPOPTS"},
    {54, "IPV6_HOPOPTS"},
    {55, "IPV6_RTHDRDSTOPTS"},
    {56, "IPV6_RECVRTHDR"},
    {57, "IPV6_RTHDR"},
    {58, "IPV6_RECVDSTOPTS"},
    {59, "IPV6_DSTOPTS"},
    {60, "IPV6_RECVPATHMTU"},
    {61, "IPV6_PATHMTU"},
    {62, "IPV6_DONTFRAG"},
    {64, "IP6T_SO_SET_REPLACE"},
    {65, "IP6T_SO_SET_ADD_COUNTERS"},
    {66, "IPV6_RECVTCLASS"},
    {67, "IPV6_TCLASS"},
    {70, "IPV6_AUTOFLOWLABEL"},
    {72, "IPV6_ADDR_PREFERENCES"},
    {73, "IPV6_MINHOPCOUNT"},
    {74, "IPV6_ORIGDSTADDR"},
    {75, "IPV6_TRANSPARENT"},
    {76, "IPV6_UNICAST_IF"},
    {77, "IPV6_RECVFRAGSIZE"},
    {78, "IPV6_FREEBIND"},
    {200, "MRT6_INIT"},
    {201, "MRT6_DONE"},
    {202, "MRT6_ADD_MIF"},
    {203, "MRT6_DEL_MIF"},
    {204, "MRT6_ADD_MFC"},
    {205, "MRT6_DEL_MFC"},
    {206, "MRT6_VERSION"},
    {207, "MRT6_ASSERT"},
    {208, "MRT6_PIM"},
    {209, "MRT6_TABLE"},
    {210, "MRT6_ADD_MFC_PROXY"},
    {211, "MRT6_DEL_MFC_PROXY"},
    {212, "MRT6_FLUSH"},
});

// linux/tcp.h.
constexpr auto kTcpOptions = std::to_array<Name>({
    {1, "TCP_NODELAY"},
    {2, "TCP_MAXSEG"},
    {3, "TCP_CORK"},
    {4, "TCP_KEEPIDLE"},
    {5, "TCP_KEEPINTVL"},
    {6, "TCP_KEEPCNT"},
    {7, "TCP_SYNCNT"},
    {8, "TCP_LINGER2"},
    {9, "TCP_DEFER_ACCEPT"},
    {10, "TCP_WINDOW_CLAMP"},
    {11, "TCP_INFO"},
    {12, "TCP_QUICKACK"},
    {13, "TCP_CONGESTION"},
    {14, "TCP_MD5SIG"},
    {16, "TCP_THIN_LINEAR_TIMEOUTS"},
    {17, "TCP_THIN_DUPACK"},
    {18, "TCP_USER_TIMEOUT"},
    {19, "TCP_REPAIR"},
    {20, "TCP_REPAIR_QUEUE"},
    {21, "TCP_QUEUE_SEQ"},
    {22, "TCP_REPAIR_OPTIONS"},
    {23, "TCP_FASTOPEN"},
    {24, "TCP_TIMESTAMP"},
    {25, "TCP_NOTSENT_LOWAT"},
    {26, "TCP_CC_INFO"},
    {27, "TCP_SAVE_SYN"},
    {28, "TCP_SAVED_SYN"},
    {29, "TCP_REPAIR_WINDOW"},
    {30, "TCP_FASTOPEN_CONNECT"},
    {31, "TCP_ULP"},
    {32, "TCP_MD5SIG_EXT"},
    {33, "TCP_FASTOPEN_KEY"},
    {34, "TCP_FASTOPEN_NO_COOKIE"},
    {35, "TCP_ZEROCOPY_RECEIVE"},
    {36, "TCP_INQ"},
    {37, "TCP_TX_DELAY"},
    {38, "TCP_AO_ADD_KEY"},     // 6.7
    {39, "TCP_AO_DEL_KEY"},     // 6.7
    {40, "TCP_AO_INFO"},        // 6.7
    {41, "TCP_AO_GET_KEYS"},    // 6.7
    {42, "TCP_AO_REPAIR"},      // 6.7
    {43, "TCP_IS_MPTCP"},       // 6.2
    {44, "TCP_RTO_MAX_MS"},     // 6.15
    {45, "TCP_RTO_MIN_US"},     // 6.16
    {46, "TCP_DELACK_MAX_US"},  // 6.16
});

// linux/udp.h.
constexpr auto kUdpOptions = std::to_array<Name>({
    {1, "UDP_CORK"},
    {100, "UDP_ENCAP"},
    {101, "UDP_NO_CHECK6_TX"},
    {102, "UDP_NO_CHECK6_RX"},
    {103, "UDP_SEGMENT"},
    {104, "UDP_GRO"},
});

// UDP-Lite takes the UDP options and its own two (net/udplite.h, in no uapi header).
constexpr auto kUdpliteOptions = std::to_array<Name>({
    {1, "UDP_CORK"},
    {10, "UDPLITE_SEND_CSCOV"},  // 2.6.20, kernel-internal net/udplite.h
    {11, "UDPLITE_RECV_CSCOV"},  // 2.6.20, kernel-internal net/udplite.h
    {100, "UDP_ENCAP"},
    {101, "UDP_NO_CHECK6_TX"},
    {102, "UDP_NO_CHECK6_RX"},
    {103, "UDP_SEGMENT"},
    {104, "UDP_GRO"},
});

// linux/icmpv6.h.
constexpr auto kIcmpv6Options = std::to_array<Name>({{1, "ICMPV6_FILTER"}});

// SOL_RAW: ICMP_FILTER (linux/icmp.h) on inet raw sockets; inet6 raw sockets also take their
// IPV6_CHECKSUM and IPV6_HDRINCL at this level.
constexpr auto kRawOptions = std::to_array<Name>({
    {1, "ICMP_FILTER"},
    {7, "IPV6_CHECKSUM"},
    {36, "IPV6_HDRINCL"},
});

// linux/sctp.h.
constexpr auto kSctpOptions = std::to_array<Name>({
    {0, "SCTP_RTOINFO"},
    {1, "SCTP_ASSOCINFO"},
    {2, "SCTP_INITMSG"},
    {3, "SCTP_NODELAY"},
    {4, "SCTP_AUTOCLOSE"},
    {5, "SCTP_SET_PEER_PRIMARY_ADDR"},
    {6, "SCTP_PRIMARY_ADDR"},
    {7, "SCTP_ADAPTATION_LAYER"},
    {8, "SCTP_DISABLE_FRAGMENTS"},
    {9, "SCTP_PEER_ADDR_PARAMS"},
    {10, "SCTP_DEFAULT_SEND_PARAM"},
    {11, "SCTP_EVENTS"},
    {12, "SCTP_I_WANT_MAPPED_V4_ADDR"},
    {13, "SCTP_MAXSEG"},
    {14, "SCTP_STATUS"},
    {15, "SCTP_GET_PEER_ADDR_INFO"},
    {16, "SCTP_DELAYED_ACK_TIME"},
    {17, "SCTP_CONTEXT"},
    {18, "SCTP_FRAGMENT_INTERLEAVE"},
    {19, "SCTP_PARTIAL_DELIVERY_POINT"},
    {20, "SCTP_MAX_BURST"},
    {21, "SCTP_AUTH_CHUNK"},
    {22, "SCTP_HMAC_IDENT"},
    {23, "SCTP_AUTH_KEY"},
    {24, "SCTP_AUTH_ACTIVE_KEY"},
    {25, "SCTP_AUTH_DELETE_KEY"},
    {26, "SCTP_PEER_AUTH_CHUNKS"},
    {27, "SCTP_LOCAL_AUTH_CHUNKS"},
    {28, "SCTP_GET_ASSOC_NUMBER"},
    {29, "SCTP_GET_ASSOC_ID_LIST"},
    {30, "SCTP_AUTO_ASCONF"},
    {31, "SCTP_PEER_ADDR_THLDS"},
    {32, "SCTP_RECVRCVINFO"},
    {33, "SCTP_RECVNXTINFO"},
    {34, "SCTP_DEFAULT_SNDINFO"},
    {35, "SCTP_AUTH_DEACTIVATE_KEY"},
    {36, "SCTP_REUSE_PORT"},
    {37, "SCTP_PEER_ADDR_THLDS_V2"},
    {100, "SCTP_SOCKOPT_BINDX_ADD"},
    {101, "SCTP_SOCKOPT_BINDX_REM"},
    {102, "SCTP_SOCKOPT_PEELOFF"},
    {107, "SCTP_SOCKOPT_CONNECTX_OLD"},
    {108, "SCTP_GET_PEER_ADDRS"},
    {109, "SCTP_GET_LOCAL_ADDRS"},
    {110, "SCTP_SOCKOPT_CONNECTX"},
    {111, "SCTP_SOCKOPT_CONNECTX3"},
    {112, "SCTP_GET_ASSOC_STATS"},
    {113, "SCTP_PR_SUPPORTED"},
    {114, "SCTP_DEFAULT_PRINFO"},
    {115, "SCTP_PR_ASSOC_STATUS"},
    {116, "SCTP_PR_STREAM_STATUS"},
    {117, "SCTP_RECONFIG_SUPPORTED"},
    {118, "SCTP_ENABLE_STREAM_RESET"},
    {119, "SCTP_RESET_STREAMS"},
    {120, "SCTP_RESET_ASSOC"},
    {121, "SCTP_ADD_STREAMS"},
    {122, "SCTP_SOCKOPT_PEELOFF_FLAGS"},
    {123, "SCTP_STREAM_SCHEDULER"},
    {124, "SCTP_STREAM_SCHEDULER_VALUE"},
    {125, "SCTP_INTERLEAVING_SUPPORTED"},
    {126, "SCTP_SENDMSG_CONNECT"},
    {127, "SCTP_EVENT"},
    {128, "SCTP_ASCONF_SUPPORTED"},
    {129, "SCTP_AUTH_SUPPORTED"},
    {130, "SCTP_ECN_SUPPORTED"},
    {131, "SCTP_EXPOSE_POTENTIALLY_FAILED_STATE"},
    {132, "SCTP_REMOTE_UDP_ENCAPS_PORT"},
    {133, "SCTP_PLPMTUD_PROBE_INTERVAL"},
});

// linux/netlink.h.
constexpr auto kNetlinkOptions = std::to_array<Name>({
    {1, "NETLINK_ADD_MEMBERSHIP"},
    {2, "NETLINK_DROP_MEMBERSHIP"},
    {3, "NETLINK_PKTINFO"},
    {4, "NETLINK_BROADCAST_ERROR"},
    {5, "NETLINK_NO_ENOBUFS"},
    {6, "NETLINK_RX_RING"},
    {7, "NETLINK_TX_RING"},
    {8, "NETLINK_LISTEN_ALL_NSID"},
    {9, "NETLINK_LIST_MEMBERSHIPS"},
    {10, "NETLINK_CAP_ACK"},
    {11, "NETLINK_EXT_ACK"},
    {12, "NETLINK_GET_STRICT_CHK"},
});

// linux/if_packet.h.
constexpr auto kPacketOptions = std::to_array<Name>({
    {1, "PACKET_ADD_MEMBERSHIP"}, {2, "PACKET_DROP_MEMBERSHIP"},
    {3, "PACKET_RECV_OUTPUT"},    {5, "PACKET_RX_RING"},
    {6, "PACKET_STATISTICS"},     {7, "PACKET_COPY_THRESH"},
    {8, "PACKET_AUXDATA"},        {9, "PACKET_ORIGDEV"},
    {10, "PACKET_VERSION"},       {11, "PACKET_HDRLEN"},
    {12, "PACKET_RESERVE"},       {13, "PACKET_TX_RING"},
    {14, "PACKET_LOSS"},          {15, "PACKET_VNET_HDR"},
    {16, "PACKET_TX_TIMESTAMP"},  {17, "PACKET_TIMESTAMP"},
    {18, "PACKET_FANOUT"},        {19, "PACKET_TX_HAS_OFF"},
    {20, "PACKET_QDISC_BYPASS"},  {21, "PACKET_ROLLOVER_STATS"},
    {22, "PACKET_FANOUT_DATA"},   {23, "PACKET_IGNORE_OUTGOING"},
    {24, "PACKET_VNET_HDR_SZ"},  // 6.3
});

// linux/if_alg.h.
constexpr auto kAlgOptions = std::to_array<Name>({
    {1, "ALG_SET_KEY"},
    {2, "ALG_SET_IV"},
    {3, "ALG_SET_OP"},
    {4, "ALG_SET_AEAD_ASSOCLEN"},
    {5, "ALG_SET_AEAD_AUTHSIZE"},
    {6, "ALG_SET_DRBG_ENTROPY"},
    {7, "ALG_SET_KEY_BY_KEY_SERIAL"},  // 6.2
});

// linux/kcm.h.
constexpr auto kKcmOptions = std::to_array<Name>({{1, "KCM_RECV_DISABLE"}});

// linux/tls.h.
constexpr auto kTlsOptions = std::to_array<Name>({
    {1, "TLS_TX"},
    {2, "TLS_RX"},
    {3, "TLS_TX_ZEROCOPY_RO"},
    {4, "TLS_RX_EXPECT_NO_PAD"},
    {5, "TLS_TX_MAX_PAYLOAD_LEN"},  // 6.17
});

// linux/if_xdp.h.
constexpr auto kXdpOptions = std::to_array<Name>({
    {1, "XDP_MMAP_OFFSETS"},
    {2, "XDP_RX_RING"},
    {3, "XDP_TX_RING"},
    {4, "XDP_UMEM_REG"},
    {5, "XDP_UMEM_FILL_RING"},
    {6, "XDP_UMEM_COMPLETION_RING"},
    {7, "XDP_STATISTICS"},
    {8, "XDP_OPTIONS"},
});

// linux/mptcp.h.
constexpr auto kMptcpOptions = std::to_array<Name>({
    {1, "MPTCP_INFO"},
    {2, "MPTCP_TCPINFO"},
    {3, "MPTCP_SUBFLOW_ADDRS"},
    {4, "MPTCP_FULL_INFO"},  // 6.5
});

// linux/smc.h.
constexpr auto kSmcOptions = std::to_array<Name>({{1, "SMC_LIMIT_HS"}});

// linux/vm_sockets.h. vsock sockets take their options at level AF_VSOCK.
constexpr auto kVsockOptions = std::to_array<Name>({
    {0, "SO_VM_SOCKETS_BUFFER_SIZE"},
    {1, "SO_VM_SOCKETS_BUFFER_MIN_SIZE"},
    {2, "SO_VM_SOCKETS_BUFFER_MAX_SIZE"},
    {3, "SO_VM_SOCKETS_PEER_HOST_VM_ID"},
    {5, "SO_VM_SOCKETS_TRUSTED"},
    {6, "SO_VM_SOCKETS_CONNECT_TIMEOUT_OLD"},
    {7, "SO_VM_SOCKETS_NONBLOCK_TXRX"},
    {8, "SO_VM_SOCKETS_CONNECT_TIMEOUT_NEW"},
});

// --- levels (linux/socket.h SOL_*, and the IPPROTO_* levels) ---------------------------------

constexpr auto kLevels = std::to_array<Level>({
    {0, "IPPROTO_IP", kIpOptions},
    {1, "SOL_SOCKET", kSocketOptions},
    {6, "IPPROTO_TCP", kTcpOptions},
    {17, "IPPROTO_UDP", kUdpOptions},
    {40, "AF_VSOCK", kVsockOptions},
    {41, "IPPROTO_IPV6", kIpv6Options},
    {58, "IPPROTO_ICMPV6", kIcmpv6Options},
    {101, "SOL_CAN_RAW", {}},
    {106, "SOL_CAN_ISOTP", {}},
    {107, "SOL_CAN_J1939", {}},
    {132, "SOL_SCTP", kSctpOptions},
    {136, "SOL_UDPLITE", kUdpliteOptions},
    {255, "SOL_RAW", kRawOptions},
    {256, "SOL_IPX", {}},
    {257, "SOL_AX25", {}},
    {258, "SOL_ATALK", {}},
    {259, "SOL_NETROM", {}},
    {260, "SOL_ROSE", {}},
    {261, "SOL_DECNET", {}},
    {262, "SOL_X25", {}},
    {263, "SOL_PACKET", kPacketOptions},
    {264, "SOL_ATM", {}},
    {265, "SOL_AAL", {}},
    {266, "SOL_IRDA", {}},
    {267, "SOL_NETBEUI", {}},
    {268, "SOL_LLC", {}},
    {269, "SOL_DCCP", {}},
    {270, "SOL_NETLINK", kNetlinkOptions},
    {271, "SOL_TIPC", {}},
    {272, "SOL_RXRPC", {}},
    {273, "SOL_PPPOL2TP", {}},
    {274, "SOL_BLUETOOTH", {}},
    {275, "SOL_PNPIPE", {}},
    {276, "SOL_RDS", {}},
    {277, "SOL_IUCV", {}},
    {278, "SOL_CAIF", {}},
    {279, "SOL_ALG", kAlgOptions},
    {280, "SOL_NFC", {}},
    {281, "SOL_KCM", kKcmOptions},
    {282, "SOL_TLS", kTlsOptions},
    {283, "SOL_XDP", kXdpOptions},
    {284, "SOL_MPTCP", kMptcpOptions},
    {285, "SOL_MCTP", {}},
    {286, "SOL_SMC", kSmcOptions},
    {287, "SOL_VSOCK", {}},  // 6.6
});

static_assert(strictly_ascending(kFamilies));
static_assert(strictly_ascending(kTypes));
static_assert(strictly_ascending(kIpProtocols));
static_assert(strictly_ascending(kNetlinkProtocols));
static_assert(strictly_ascending(kSocketOptions));
static_assert(strictly_ascending(kIpOptions));
static_assert(strictly_ascending(kIpv6Options));
static_assert(strictly_ascending(kTcpOptions));
static_assert(strictly_ascending(kUdpOptions));
static_assert(strictly_ascending(kUdpliteOptions));
static_assert(strictly_ascending(kIcmpv6Options));
static_assert(strictly_ascending(kRawOptions));
static_assert(strictly_ascending(kSctpOptions));
static_assert(strictly_ascending(kNetlinkOptions));
static_assert(strictly_ascending(kPacketOptions));
static_assert(strictly_ascending(kAlgOptions));
static_assert(strictly_ascending(kKcmOptions));
static_assert(strictly_ascending(kTlsOptions));
static_assert(strictly_ascending(kXdpOptions));
static_assert(strictly_ascending(kMptcpOptions));
static_assert(strictly_ascending(kSmcOptions));
static_assert(strictly_ascending(kVsockOptions));
static_assert(strictly_ascending(kLevels));

}  // namespace

std::string family_name(std::uint32_t family) { return name_or_decimal(kFamilies, family); }

std::optional<std::uint32_t> family_from_name(std::string_view name) {
  if (auto value = find_value(kFamilies, name)) return value;
  if (auto value = find_value(kFamilyAliases, name)) return value;
  return parse_unsigned<std::uint32_t>(name);
}

std::string type_name(std::uint32_t type) { return name_or_decimal(kTypes, type & kSockTypeMask); }

std::string protocol_name(std::uint32_t family, std::uint32_t protocol) {
  if (family == kAfInet || family == kAfInet6) return name_or_decimal(kIpProtocols, protocol);
  if (family == kAfNetlink) return name_or_decimal(kNetlinkProtocols, protocol);
  return std::to_string(protocol);
}

std::string level_name(std::uint32_t level) {
  const Level* entry = find<Level>(kLevels, level);
  return entry ? std::string(entry->name) : signed_decimal(level);
}

std::string optname_name(std::uint32_t level, std::uint32_t optname) {
  const Level* entry = find<Level>(kLevels, level);
  return name_or_signed_decimal(entry ? entry->optnames : std::span<const Name>(), optname);
}

}  // namespace sle
