// bpf/classify.h is compiled into the BPF programs; here the same code runs in user space.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <array>
#include <string>

extern "C" {
#include "classify.h"
}
#include "metrics/series_labels.h"

namespace sle {
namespace {

std::string peer4(const char* addr) {
  in_addr a{};
  EXPECT_EQ(inet_pton(AF_INET, addr, &a), 1) << addr;
  return peer_label(sle_classify_ipv4(ntohl(a.s_addr)));
}

std::string peer6(const char* addr) {
  std::array<__u8, 16> a{};
  EXPECT_EQ(inet_pton(AF_INET6, addr, a.data()), 1) << addr;
  return peer_label(sle_classify_ipv6(a.data()));
}

TEST(ClassifyPeer, Ipv4EachClass) {
  EXPECT_EQ(peer4("127.0.0.1"), "loopback");
  EXPECT_EQ(peer4("127.255.0.9"), "loopback");
  EXPECT_EQ(peer4("10.1.2.3"), "private");
  EXPECT_EQ(peer4("172.16.0.1"), "private");
  EXPECT_EQ(peer4("172.31.255.255"), "private");
  EXPECT_EQ(peer4("192.168.1.1"), "private");
  EXPECT_EQ(peer4("100.64.0.1"), "private");
  EXPECT_EQ(peer4("100.127.255.254"), "private");
  EXPECT_EQ(peer4("169.254.1.1"), "link_local");
  EXPECT_EQ(peer4("224.0.0.251"), "multicast");
  EXPECT_EQ(peer4("239.255.255.250"), "multicast");
  EXPECT_EQ(peer4("255.255.255.255"), "broadcast");
  EXPECT_EQ(peer4("0.0.0.0"), "unspecified");
  EXPECT_EQ(peer4("8.8.8.8"), "public");
}

TEST(ClassifyPeer, Ipv4RangeEdgesArePublic) {
  EXPECT_EQ(peer4("172.15.255.255"), "public");
  EXPECT_EQ(peer4("172.32.0.0"), "public");
  EXPECT_EQ(peer4("100.63.255.255"), "public");
  EXPECT_EQ(peer4("100.128.0.0"), "public");
  EXPECT_EQ(peer4("192.169.0.1"), "public");
  EXPECT_EQ(peer4("11.0.0.1"), "public");
  EXPECT_EQ(peer4("240.0.0.1"), "public");
}

TEST(ClassifyPeer, Ipv6EachClass) {
  EXPECT_EQ(peer6("::1"), "loopback");
  EXPECT_EQ(peer6("::"), "unspecified");
  EXPECT_EQ(peer6("fc00::1"), "private");
  EXPECT_EQ(peer6("fd12:3456::1"), "private");
  EXPECT_EQ(peer6("fe80::1"), "link_local");
  EXPECT_EQ(peer6("febf::1"), "link_local");
  EXPECT_EQ(peer6("ff02::1"), "multicast");
  EXPECT_EQ(peer6("2001:db8::1"), "public");
  EXPECT_EQ(peer6("fec0::1"), "public");  // site-local, deprecated: not link_local
  EXPECT_EQ(peer6("::2"), "public");
}

TEST(ClassifyPeer, Ipv4MappedIpv6IsClassifiedAsIpv4) {
  EXPECT_EQ(peer6("::ffff:127.0.0.1"), "loopback");
  EXPECT_EQ(peer6("::ffff:10.0.0.1"), "private");
  EXPECT_EQ(peer6("::ffff:169.254.0.1"), "link_local");
  EXPECT_EQ(peer6("::ffff:224.0.0.1"), "multicast");
  EXPECT_EQ(peer6("::ffff:255.255.255.255"), "broadcast");
  EXPECT_EQ(peer6("::ffff:0.0.0.0"), "unspecified");
  EXPECT_EQ(peer6("::ffff:1.1.1.1"), "public");
}

std::string port(__u16 p, bool exact) { return port_label(sle_classify_port(p, exact), p); }

TEST(ClassifyPort, ExactPortsAreTheirNumber) {
  EXPECT_EQ(port(0, true), "0");
  EXPECT_EQ(port(22, true), "22");
  EXPECT_EQ(port(8080, true), "8080");
  EXPECT_EQ(port(65535, true), "65535");
}

TEST(ClassifyPort, OtherPortsAreTheirClass) {
  EXPECT_EQ(port(22, false), "system");
  EXPECT_EQ(port(1023, false), "system");
  EXPECT_EQ(port(1024, false), "registered");
  EXPECT_EQ(port(49151, false), "registered");
  EXPECT_EQ(port(49152, false), "dynamic");
  EXPECT_EQ(port(65535, false), "dynamic");
}

TEST(ClassifyPort, NoPortIsNoLabel) {
  EXPECT_EQ(port_label(SLE_PORT_NONE, 0), "");
  EXPECT_EQ(peer_label(SLE_PEER_NONE), "");
}

}  // namespace
}  // namespace sle
