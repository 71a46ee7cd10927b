#!/usr/bin/python3
"""The test workload: socket calls of every hook, in known numbers, on loopback only.

    workload.py [--iterations N] [--interval SECONDS]

Each iteration:
- a TCP listener: socket, setsockopt(SO_REUSEADDR), bind(127.0.0.1:0), listen;
- 3 clients: socket, setsockopt(SO_KEEPALIVE), connect to the listener (peer loopback);
  the listener accepts each;
- a UDP socket bound to a free privileged port (below 1024; root), with setsockopt SO_MARK and
  SO_BINDTODEVICE("lo") (security-relevant options);
- a raw ICMP socket and a packet socket, created and closed (no packet is sent).
Prints, as the last line, a JSON report of what it did (counts and ports)."""
import argparse
import json
import socket
import time

SO_MARK = getattr(socket, "SO_MARK", 36)
SO_BINDTODEVICE = getattr(socket, "SO_BINDTODEVICE", 25)
CLIENTS = 3


def privileged_udp_port():
    for port in range(900, 1000):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind(("127.0.0.1", port))
            return s, port
        except OSError:
            s.close()
    raise RuntimeError("no free UDP port in 900-999")


def iteration(report):
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind(("127.0.0.1", 0))
    lst.listen(16)
    port = lst.getsockname()[1]
    report["listen_ports"].append(port)
    clients, accepted = [], []
    for _ in range(CLIENTS):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        c.connect(("127.0.0.1", port))
        clients.append(c)
        accepted.append(lst.accept()[0])
    udp, uport = privileged_udp_port()
    report["udp_ports"].append(uport)
    udp.setsockopt(socket.SOL_SOCKET, SO_MARK, 7)
    udp.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, b"lo")
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    pkt = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, 0)
    for s in clients + accepted + [lst, udp, raw, pkt]:
        s.close()
    report["iterations"] += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iterations", type=int, default=1)
    ap.add_argument("--interval", type=float, default=0.0)
    a = ap.parse_args()
    report = {"iterations": 0, "clients": CLIENTS, "listen_ports": [], "udp_ports": []}
    for i in range(a.iterations):
        iteration(report)
        if a.interval and i + 1 < a.iterations:
            time.sleep(a.interval)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
