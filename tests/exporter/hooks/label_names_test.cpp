#include "hooks/label_names.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace sle {
namespace {

// Numbers spelled out rather than taken from system headers: the label values are a contract
// for Linux x86_64 whatever machine builds the tests.
constexpr std::uint32_t kAfUnix = 1;
constexpr std::uint32_t kAfInet = 2;
constexpr std::uint32_t kAfInet6 = 10;
constexpr std::uint32_t kAfNetlink = 16;
constexpr std::uint32_t kAfPacket = 17;

constexpr std::uint32_t kSockNonblock = 04000;
constexpr std::uint32_t kSockCloexec = 02000000;

constexpr std::uint32_t kSolSocket = 1;
constexpr std::uint32_t kIpprotoIp = 0;
constexpr std::uint32_t kIpprotoTcp = 6;
constexpr std::uint32_t kIpprotoIpv6 = 41;

TEST(FamilyName, ContractValues) {
  EXPECT_EQ(family_name(0), "unspec");
  EXPECT_EQ(family_name(1), "unix");
  EXPECT_EQ(family_name(2), "inet");
  EXPECT_EQ(family_name(10), "inet6");
  EXPECT_EQ(family_name(16), "netlink");
  EXPECT_EQ(family_name(17), "packet");
  EXPECT_EQ(family_name(40), "vsock");
  EXPECT_EQ(family_name(44), "xdp");
}

TEST(FamilyName, OtherFamilies) {
  EXPECT_EQ(family_name(12), "decnet");
  EXPECT_EQ(family_name(29), "can");
  EXPECT_EQ(family_name(31), "bluetooth");
  EXPECT_EQ(family_name(38), "alg");
  EXPECT_EQ(family_name(45), "mctp");
}

TEST(FamilyName, UnknownIsDecimal) {
  EXPECT_EQ(family_name(46), "46");
  EXPECT_EQ(family_name(77), "77");
  EXPECT_EQ(family_name(200), "200");
  EXPECT_EQ(family_name(0xffffffff), "4294967295");
}

TEST(FamilyFromName, RoundTripsEveryFamily) {
  for (std::uint32_t family = 0; family <= 45; ++family) {
    const std::string name = family_name(family);
    ASSERT_NE(name, std::to_string(family)) << "family " << family << " has no name";
    EXPECT_EQ(family_from_name(name), family) << name;
  }
}

TEST(FamilyFromName, NamesAliasesAndNumbers) {
  EXPECT_EQ(family_from_name("inet6"), 10u);
  EXPECT_EQ(family_from_name("local"), 1u);
  EXPECT_EQ(family_from_name("route"), 16u);
  EXPECT_EQ(family_from_name("10"), 10u);
  EXPECT_EQ(family_from_name("200"), 200u);
  EXPECT_EQ(family_from_name("4294967295"), 0xffffffffu);
}

TEST(FamilyFromName, RejectsUnknownText) {
  EXPECT_EQ(family_from_name(""), std::nullopt);
  EXPECT_EQ(family_from_name("INET"), std::nullopt);
  EXPECT_EQ(family_from_name("AF_INET"), std::nullopt);
  EXPECT_EQ(family_from_name("inet "), std::nullopt);
  EXPECT_EQ(family_from_name("-1"), std::nullopt);
  EXPECT_EQ(family_from_name("+2"), std::nullopt);
  EXPECT_EQ(family_from_name("2x"), std::nullopt);
  EXPECT_EQ(family_from_name("4294967296"), std::nullopt);
}

TEST(TypeName, AllTypes) {
  EXPECT_EQ(type_name(1), "stream");
  EXPECT_EQ(type_name(2), "dgram");
  EXPECT_EQ(type_name(3), "raw");
  EXPECT_EQ(type_name(4), "rdm");
  EXPECT_EQ(type_name(5), "seqpacket");
  EXPECT_EQ(type_name(6), "dccp");
  EXPECT_EQ(type_name(10), "packet");
}

TEST(TypeName, FlagsRemoved) {
  EXPECT_EQ(type_name(1 | kSockNonblock), "stream");
  EXPECT_EQ(type_name(2 | kSockCloexec), "dgram");
  EXPECT_EQ(type_name(5 | kSockNonblock | kSockCloexec), "seqpacket");
}

TEST(TypeName, UnknownIsDecimalWithoutFlags) {
  EXPECT_EQ(type_name(0), "0");
  EXPECT_EQ(type_name(7), "7");
  EXPECT_EQ(type_name(15 | kSockNonblock), "15");
}

TEST(ProtocolName, InetAndInet6) {
  for (const std::uint32_t family : {kAfInet, kAfInet6}) {
    SCOPED_TRACE(family);
    EXPECT_EQ(protocol_name(family, 0), "ip");
    EXPECT_EQ(protocol_name(family, 1), "icmp");
    EXPECT_EQ(protocol_name(family, 6), "tcp");
    EXPECT_EQ(protocol_name(family, 17), "udp");
    EXPECT_EQ(protocol_name(family, 58), "icmpv6");
    EXPECT_EQ(protocol_name(family, 132), "sctp");
    EXPECT_EQ(protocol_name(family, 136), "udplite");
    EXPECT_EQ(protocol_name(family, 255), "raw");
    EXPECT_EQ(protocol_name(family, 262), "mptcp");
    EXPECT_EQ(protocol_name(family, 253), "253");
  }
}

TEST(ProtocolName, Netlink) {
  EXPECT_EQ(protocol_name(kAfNetlink, 0), "route");
  EXPECT_EQ(protocol_name(kAfNetlink, 4), "sock_diag");
  EXPECT_EQ(protocol_name(kAfNetlink, 9), "audit");
  EXPECT_EQ(protocol_name(kAfNetlink, 15), "kobject_uevent");
  EXPECT_EQ(protocol_name(kAfNetlink, 16), "generic");
  EXPECT_EQ(protocol_name(kAfNetlink, 17), "17");
  EXPECT_EQ(protocol_name(kAfNetlink, 22), "smc");
}

TEST(ProtocolName, OtherFamiliesAreDecimal) {
  EXPECT_EQ(protocol_name(kAfUnix, 0), "0");
  EXPECT_EQ(protocol_name(kAfUnix, 6), "6");
  EXPECT_EQ(protocol_name(kAfPacket, 768), "768");  // htons(ETH_P_ALL)
  EXPECT_EQ(protocol_name(200, 6), "6");
}

TEST(LevelName, ContractValues) {
  EXPECT_EQ(level_name(1), "SOL_SOCKET");
  EXPECT_EQ(level_name(0), "IPPROTO_IP");
  EXPECT_EQ(level_name(41), "IPPROTO_IPV6");
  EXPECT_EQ(level_name(6), "IPPROTO_TCP");
  EXPECT_EQ(level_name(17), "IPPROTO_UDP");
  EXPECT_EQ(level_name(270), "SOL_NETLINK");
  EXPECT_EQ(level_name(263), "SOL_PACKET");
  EXPECT_EQ(level_name(282), "SOL_TLS");
}

TEST(LevelName, OtherLevels) {
  EXPECT_EQ(level_name(58), "IPPROTO_ICMPV6");
  EXPECT_EQ(level_name(132), "SOL_SCTP");
  EXPECT_EQ(level_name(255), "SOL_RAW");
  EXPECT_EQ(level_name(283), "SOL_XDP");
  EXPECT_EQ(level_name(287), "SOL_VSOCK");
}

TEST(LevelName, UnknownIsSignedDecimal) {
  EXPECT_EQ(level_name(9999), "9999");
  EXPECT_EQ(level_name(2), "2");
  EXPECT_EQ(level_name(0xffffffff), "-1");
}

TEST(OptnameName, ContractValues) {
  EXPECT_EQ(optname_name(kSolSocket, 2), "SO_REUSEADDR");
  EXPECT_EQ(optname_name(kSolSocket, 9), "SO_KEEPALIVE");
  EXPECT_EQ(optname_name(kIpprotoTcp, 1), "TCP_NODELAY");
  EXPECT_EQ(optname_name(kIpprotoTcp, 2), "TCP_MAXSEG");
  EXPECT_EQ(optname_name(kIpprotoIp, 2), "IP_TTL");
  EXPECT_EQ(optname_name(kIpprotoIp, 1), "IP_TOS");
  EXPECT_EQ(optname_name(kIpprotoIpv6, 26), "IPV6_V6ONLY");
}

TEST(OptnameName, DecodedPerLevel) {
  EXPECT_EQ(optname_name(kSolSocket, 1), "SO_DEBUG");
  EXPECT_EQ(optname_name(kIpprotoTcp, 1), "TCP_NODELAY");
  EXPECT_EQ(optname_name(kIpprotoIp, 1), "IP_TOS");
  EXPECT_EQ(optname_name(kIpprotoIpv6, 1), "IPV6_ADDRFORM");
  EXPECT_EQ(optname_name(17, 1), "UDP_CORK");
  EXPECT_EQ(optname_name(270, 1), "NETLINK_ADD_MEMBERSHIP");
  EXPECT_EQ(optname_name(263, 1), "PACKET_ADD_MEMBERSHIP");
  EXPECT_EQ(optname_name(282, 1), "TLS_TX");
}

TEST(OptnameName, MoreOptions) {
  EXPECT_EQ(optname_name(kSolSocket, 15), "SO_REUSEPORT");
  EXPECT_EQ(optname_name(kSolSocket, 20), "SO_RCVTIMEO_OLD");
  EXPECT_EQ(optname_name(kSolSocket, 25), "SO_BINDTODEVICE");
  EXPECT_EQ(optname_name(kSolSocket, 50), "SO_ATTACH_BPF");
  EXPECT_EQ(optname_name(kSolSocket, 77), "SO_PEERPIDFD");
  EXPECT_EQ(optname_name(kIpprotoTcp, 13), "TCP_CONGESTION");
  EXPECT_EQ(optname_name(kIpprotoTcp, 31), "TCP_ULP");
  EXPECT_EQ(optname_name(kIpprotoIp, 19), "IP_TRANSPARENT");
  EXPECT_EQ(optname_name(kIpprotoIp, 64), "IPT_SO_SET_REPLACE");
  EXPECT_EQ(optname_name(kIpprotoIpv6, 20), "IPV6_ADD_MEMBERSHIP");
  EXPECT_EQ(optname_name(kIpprotoIpv6, 64), "IP6T_SO_SET_REPLACE");
  EXPECT_EQ(optname_name(17, 103), "UDP_SEGMENT");
  EXPECT_EQ(optname_name(270, 12), "NETLINK_GET_STRICT_CHK");
  EXPECT_EQ(optname_name(263, 18), "PACKET_FANOUT");
  EXPECT_EQ(optname_name(282, 2), "TLS_RX");
  EXPECT_EQ(optname_name(255, 1), "ICMP_FILTER");
  EXPECT_EQ(optname_name(58, 1), "ICMPV6_FILTER");
  EXPECT_EQ(optname_name(132, 0), "SCTP_RTOINFO");
}

TEST(OptnameName, UnknownIsSignedDecimal) {
  EXPECT_EQ(optname_name(kSolSocket, 9999), "9999");
  EXPECT_EQ(optname_name(kSolSocket, 0), "0");
  EXPECT_EQ(optname_name(kIpprotoTcp, 15), "15");
  EXPECT_EQ(optname_name(kSolSocket, 0xffffffff), "-1");
  EXPECT_EQ(optname_name(9999, 1), "1");  // unknown level
  EXPECT_EQ(optname_name(287, 1), "1");   // known level, options not decoded
  EXPECT_EQ(optname_name(0xffffffff, 0xfffffffe), "-2");
}

}  // namespace
}  // namespace sle
