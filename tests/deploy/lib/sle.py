"""Helpers shared by the tests in tests/deploy: the cgroup2 mount, a pod-shaped cgroup, the
workload, starting the exporter, scraping and parsing /metrics. Standard library only."""
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
WORKLOAD = os.path.join(HERE, "workload.py")
SKIP_MARKER = "SLE-DEPLOY-SKIPPED"


def skip(reason):
    """Ends the test as skipped (ctest: SKIP_REGULAR_EXPRESSION), saying why."""
    print(f"{SKIP_MARKER}: {reason}")
    sys.exit(0)


def require_root():
    if os.geteuid() != 0:
        skip("needs root (BPF programs, cgroups, mounts); CI runs it as root")


def hooks():
    """The hooks, in table order, as exporter/hooks/hook_table.h lists them in kHooks: the first
    string of each entry (hook_table_test.cpp checks that this reading agrees with kHooks)."""
    with open(os.path.join(ROOT, "exporter", "hooks", "hook_table.h"), encoding="utf-8") as fh:
        text = fh.read()
    table = text[text.index("kHooks = std::to_array<HookSpec>({"):]
    table = table[:table.index("\n});")]
    return re.findall(r'^    \{"([a-z_]+)",', table, re.M)


def root_is_mount_point():
    """Whether / is a mount point: not in a chroot, or a container whose root is a plain
    directory, where mountinfo, relative to the root, has no line for it."""
    with open("/proc/self/mountinfo", encoding="utf-8") as fh:
        return any(line.split()[4] == "/" for line in fh)


def cgroup2_mount():
    """The host's cgroup2 mount point, from /proc/self/mountinfo (never assumed)."""
    with open("/proc/self/mountinfo", encoding="utf-8") as fh:
        for line in fh:
            left, _, right = line.partition(" - ")
            if right.split()[0] == "cgroup2":
                return left.split()[4].replace("\\040", " ")
    raise RuntimeError("no cgroup2 mount in /proc/self/mountinfo")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PodCgroup:
    """A cgroup laid out as the kubelet's systemd driver and containerd lay out a container's:
    /kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod<uid_>.slice/
    cri-containerd-<64 hex>.scope, under the host's cgroup2 mount. pod_uid is the Kubernetes
    form (dashes), container_id the 64 hex digits."""

    def __init__(self):
        self.pod_uid = str(uuid.uuid4())
        self.container_id = secrets.token_hex(32)
        self.mount = cgroup2_mount()
        uid_ = self.pod_uid.replace("-", "_")
        self.parents = ["/kubepods.slice", "/kubepods.slice/kubepods-besteffort.slice",
                        f"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{uid_}.slice"]
        self.path = f"{self.parents[-1]}/cri-containerd-{self.container_id}.scope"
        self.created = []

    def __enter__(self):
        for p in self.parents + [self.path]:
            full = self.mount + p
            if not os.path.isdir(full):
                os.mkdir(full)
                self.created.append(full)
        return self

    def __exit__(self, *exc):
        for full in reversed(self.created):
            for _ in range(50):
                try:
                    os.rmdir(full)
                    break
                except OSError:
                    time.sleep(0.1)  # the workload's last task is still leaving

    @property
    def abspath(self):
        return self.mount + self.path


def start_workload(cgroup_abspath, *args):
    """Starts tests/deploy/lib/workload.py inside the cgroup: the shell moves itself in before
    it execs Python, so every socket call of the workload is counted under that cgroup."""
    return subprocess.Popen(
        ["/bin/sh", "-c", 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"', "sh",
         cgroup_abspath, "/usr/bin/python3", WORKLOAD, *args],
        stdout=subprocess.PIPE, text=True)


def run_workload(cgroup_abspath, *args, timeout=120):
    p = start_workload(cgroup_abspath, *args)
    out, _ = p.communicate(timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"workload exited {p.returncode}: {out}")
    return json.loads(out.strip().splitlines()[-1])


def http_get(url, timeout=5):
    """(status, body); status 0 when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError):
        return 0, ""


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:\\.|[^"\\])*)"')


def parse_metrics(text):
    """[(name, {label: value}, float)] of a text exposition."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if m:
            labels = {k: v.replace('\\"', '"').replace("\\\\", "\\")
                      for k, v in LABEL.findall(m.group(2) or "")}
            out.append((m.group(1), labels, float(m.group(3))))
    return out


def value(samples, name, **labels):
    """Sum of the samples of NAME whose labels include LABELS."""
    return sum(v for n, l, v in samples if n == name and all(l.get(k) == x for k, x in labels.items()))


def port_label(port, exact=range(0, 1024)):
    """The exporter's port label for PORT with the default ports.exact."""
    if port in exact:
        return str(port)
    if port < 1024:
        return "system"
    return "registered" if port < 49152 else "dynamic"


def expected_counts(report):
    """[(metric, labels, count)] that workload.py's REPORT makes in its cgroup, each exact."""
    n, k = report["iterations"], report["clients"]
    return [
        ("socket_lsm_create_total", dict(family="inet", type="stream", protocol="tcp"), n * (1 + k)),
        ("socket_lsm_create_total", dict(family="inet", type="raw", protocol="icmp"), n),
        ("socket_lsm_create_total", dict(family="packet", type="dgram"), n),
        ("socket_lsm_bind_total", dict(family="inet", type="stream", protocol="tcp", port="0"), n),
    ] + [
        # The privileged UDP port, reported as its number (default ports.exact 0-1023).
        ("socket_lsm_bind_total", dict(family="inet", type="dgram", protocol="udp", port=str(p)),
         report["udp_ports"].count(p)) for p in sorted(set(report["udp_ports"]))
    ] + [
        ("socket_lsm_listen_total", dict(family="inet", protocol="tcp"), n),
        ("socket_lsm_connect_total", dict(family="inet", protocol="tcp", peer="loopback"), n * k),
        ("socket_lsm_accept_total", dict(family="inet", protocol="tcp"), n * k),
        ("socket_lsm_setsockopt_total", dict(level="SOL_SOCKET", optname="SO_REUSEADDR"), n),
        ("socket_lsm_setsockopt_total", dict(level="SOL_SOCKET", optname="SO_KEEPALIVE"), n * k),
        ("socket_lsm_setsockopt_total", dict(level="SOL_SOCKET", optname="SO_MARK"), n),
        ("socket_lsm_setsockopt_total", dict(level="SOL_SOCKET", optname="SO_BINDTODEVICE"), n),
    ]


class Exporter:
    """The exporter binary started with ARGS (plus a loopback listen address), stopped with
    SIGTERM on exit. PREFIX is prepended to the command (setpriv, capsh, ...)."""

    def __init__(self, binary, *args, prefix=(), port=None, log=None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.cmd = [*prefix, binary, *args, f"--web.listen-address=127.0.0.1:{self.port}"]
        self.log_path = log
        self.proc = None

    def __enter__(self):
        self.log = open(self.log_path, "w") if self.log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(self.cmd, stdout=self.log, stderr=subprocess.STDOUT)
        return self

    def wait_serving(self, timeout=30):
        """True once /metrics answers 200; False if the process exits or time runs out."""
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                return False
            if http_get(self.url + "/metrics")[0] == 200:
                return True
            time.sleep(0.2)
        return False

    def scrape(self):
        status, body = http_get(self.url + "/metrics")
        if status != 200:
            raise RuntimeError(f"GET /metrics: {status}")
        return parse_metrics(body)

    def stop(self, timeout=20):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def __exit__(self, *exc):
        self.stop()
        if self.log_path:
            self.log.close()

    def log_tail(self, n=20):
        if not self.log_path:
            return ""
        with open(self.log_path, encoding="utf-8", errors="replace") as fh:
            return "".join(fh.readlines()[-n:])


def wait_for(predicate, timeout, step=0.5):
    end = time.time() + timeout
    while True:
        result = predicate()
        if result or time.time() >= end:
            return result
        time.sleep(step)


def exporter_binary(argv_path):
    path = os.path.abspath(argv_path)
    if not os.access(path, os.X_OK):
        raise SystemExit(f"exporter binary {path} not found: build it first (scripts/build.sh)")
    return path


class Checks:
    """PASS/FAIL lines and the closing 'N passed, N failed' line."""

    def __init__(self, name):
        self.name, self.passed, self.failed = name, 0, 0

    def __call__(self, what, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"PASS {what}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL {what}" + (f": {detail}" if detail else ""), flush=True)
        return ok

    def finish(self):
        print(f"{self.name}: {self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0


def which(tool):
    return shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/sbin")
