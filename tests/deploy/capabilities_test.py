#!/usr/bin/python3
"""deploy.capabilities: the capabilities the DaemonSet and the systemd unit grant are enough,
and each one the DaemonSet adds is needed. Measured on this kernel with the exporter's default
backend choice (auto; on the development machines it arrives at tracepoint).

For the DaemonSet's set (capabilities.add of deploy/kubernetes/base/daemonset.yaml) and the
systemd unit's (CapabilityBoundingSet of deploy/systemd/socket-lsm-exporter.service), the
exporter runs as uid 0 with exactly that bounding set, no inheritable or ambient capabilities
and no_new_privs (setpriv), as a container runtime or systemd would start it:
- it serves /metrics with every hook attached, and its bounding set stays within that set;
- a workload in a pod-shaped cgroup is counted exactly, with pod_uid and container_id (so no
  capability is missing for cgroup paths either).
Then the exporter is started once per capability of the DaemonSet's set with that one removed,
and must fail to start: the set has nothing it does not need.

Usage: capabilities_test.py EXPORTER_BINARY LOG_DIR"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import sle  # noqa: E402

import yaml  # noqa: E402

HOOKS = sle.hooks()


def cap_bits():
    """name (lower case, no CAP_) -> bit, from capsh --decode of every bit the kernel has."""
    with open("/proc/sys/kernel/cap_last_cap") as fh:
        last = int(fh.read())
    out = subprocess.run([sle.which("capsh"), f"--decode={(1 << (last + 1)) - 1:#x}"],
                         capture_output=True, text=True, check=True).stdout
    names = out.strip().split("=", 1)[1].split(",")
    return {n.removeprefix("cap_"): i for i, n in enumerate(names)}


def daemonset_caps():
    with open(os.path.join(sle.ROOT, "deploy/kubernetes/base/daemonset.yaml")) as fh:
        ds = yaml.safe_load(fh)
    c = ds["spec"]["template"]["spec"]["containers"][0]
    return [x.lower() for x in c["securityContext"]["capabilities"]["add"]]


def unit_caps():
    with open(os.path.join(sle.ROOT, "deploy/systemd/socket-lsm-exporter.service")) as fh:
        m = re.search(r"^CapabilityBoundingSet=(.*)$", fh.read(), re.M)
    return [x.lower().removeprefix("cap_") for x in m.group(1).split()] if m else None


def setpriv(caps):
    bounding = "-all" + "".join(f",+{c}" for c in caps)
    return [sle.which("setpriv"), f"--bounding-set={bounding}", "--inh-caps=-all",
            "--ambient-caps=-all", "--no-new-privs", "--"]


def cap_bnd(pid):
    with open(f"/proc/{pid}/status") as fh:
        return int(re.search(r"^CapBnd:\s+([0-9a-f]+)", fh.read(), re.M).group(1), 16)


def works(check, binary, logdir, label, caps, bits):
    log = os.path.join(logdir, f"caps-{label}.log")
    with sle.Exporter(binary, prefix=setpriv(caps), log=log) as ex:
        if not check(f"{label} [{','.join(caps)}]: the exporter starts and serves",
                     ex.wait_serving(), ex.log_tail()):
            return
        # Within the set (the exporter drops what it no longer needs once attached).
        allowed = sum(1 << bits[c] for c in caps)
        bnd = cap_bnd(ex.proc.pid)
        check(f"{label}: its bounding set is within [{','.join(caps)}]",
              bnd & ~allowed == 0, f"CapBnd {bnd:#x}, allowed {allowed:#x}")
        s = ex.scrape()
        attached = {h: sle.value(s, "socket_lsm_exporter_hook_attached", hook=h) for h in HOOKS}
        backends = sorted({l["backend"] for n, l, v in s
                           if n == "socket_lsm_exporter_hook_attached" and v == 1})
        check(f"{label}: every hook attached (backend {','.join(backends)})",
              all(v == 1 for v in attached.values()), f"{attached}")
        with sle.PodCgroup() as cg:
            rep = sle.run_workload(cg.abspath, "--iterations", "2")
            n = rep["iterations"]

            def counted():
                s = ex.scrape()
                return sle.value(s, "socket_lsm_bind_total", cgroup=cg.path, pod_uid=cg.pod_uid,
                                 container_id=cg.container_id, family="inet", protocol="tcp",
                                 port="0") == n and s

            s = sle.wait_for(counted, 20)
            check(f"{label}: a pod's binds counted exactly, with its cgroup, pod_uid, container_id",
                  bool(s), f"want {n} binds of port 0 under {cg.path}")
        check(f"{label}: SIGTERM stops it with exit code 0", ex.stop() == 0, ex.log_tail())


def main():
    sle.require_root()
    binary = sle.exporter_binary(sys.argv[1])
    logdir = os.path.abspath(sys.argv[2])
    os.makedirs(logdir, exist_ok=True)
    for tool in ("setpriv", "capsh"):
        if not sle.which(tool):
            raise SystemExit(f"{tool} not found: scripts/install-deps.sh installs it")
    check = sle.Checks("deploy.capabilities")
    bits = cap_bits()
    ds = daemonset_caps()
    works(check, binary, logdir, "DaemonSet", ds, bits)
    unit = unit_caps()
    if check("systemd unit: has a CapabilityBoundingSet", unit is not None):
        works(check, binary, logdir, "systemd unit", unit, bits)
    for cap in ds:
        rest = [c for c in ds if c != cap]
        log = os.path.join(logdir, f"caps-without-{cap}.log")
        with sle.Exporter(binary, prefix=setpriv(rest), log=log) as ex:
            serving = ex.wait_serving(timeout=20)
            ex.stop()
            check(f"without {cap.upper()} the exporter cannot start (so the DaemonSet needs it)",
                  not serving, "it started anyway: drop it from the DaemonSet")
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
