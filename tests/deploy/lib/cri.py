"""A private containerd driven through its CRI API as a kubelet drives it, for tests/deploy.

- Containerd: a containerd with its own root, state, socket and config (CRI plugin, runc,
  cgroupfs driver, native snapshotter), the test images imported before the first sandbox;
  everything it made (tasks, shims, shim sockets, pod cgroups in every hierarchy) removed on exit.
- RuntimeService: the CRI calls the tests use (runtime.v1), the messages encoded by hand. Field
  numbers are those of k8s.io/cri-api v0.25.0, pkg/apis/runtime/v1/api.proto (the CRI API of
  containerd 1.6); protobuf keeps them stable across versions.
- build_images: an OCI image layout of busybox-static (the container image) and a pause image of
  the same layer, built locally: no registry.

Needs containerd, ctr, runc, busybox-static and python3-grpcio (Debian's packages)."""
import contextlib
import glob
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import tarfile
import time

CRI_VERSION = "runtime.v1"

# NamespaceMode (api.proto): the pod's own namespace, or the node's.
NS_POD, NS_NODE = 0, 2
# ContainerState (api.proto).
CONTAINER_CREATED, CONTAINER_RUNNING, CONTAINER_EXITED = 0, 1, 2

PAUSE_IMAGE = "sle.test/pause:1"
BUSYBOX_IMAGE = "sle.test/busybox:1"
# The test's pause makes one TCP connect (to a closed loopback port) before it sleeps, so that a
# sandbox has series of its own to check; a real pause makes no socket call.
PAUSE_ENTRYPOINT = ["/bin/sh", "-c", "nc -w 1 127.0.0.1 1 </dev/null; exec sleep 2147483647"]


# -- protobuf, by hand: varints and length-delimited fields are all the CRI calls here need ----

def _varint(n):
    n &= (1 << 64) - 1  # negative int64s as two's complement, as protobuf does
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(num, value):
    if value is None:
        return b""
    if isinstance(value, (list, tuple)):
        return b"".join(_field(num, v) for v in value)
    if isinstance(value, dict):  # map<string, string>: repeated entries {key = 1, value = 2}
        return b"".join(_field(num, message({1: k, 2: v})) for k, v in value.items())
    if isinstance(value, bool) or isinstance(value, int):
        return _varint(num << 3) + _varint(int(value))
    if isinstance(value, str):
        value = value.encode()
    return _varint(num << 3 | 2) + _varint(len(value)) + value


def message(fields):
    """The encoding of a message given as {field number: value}: str, bytes (an encoded
    message), int, bool, a list (repeated) or a dict of strings (a map)."""
    return b"".join(_field(num, value) for num, value in sorted(fields.items()))


def decode(data):
    """{field number: [values]} of an encoded message: ints for varints, bytes for
    length-delimited fields (strings and messages)."""
    out, i = {}, 0

    def varint():
        nonlocal i
        shift = result = 0
        while True:
            b = data[i]
            i += 1
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return result

    while i < len(data):
        key = varint()
        num, wire = key >> 3, key & 7
        if wire == 0:
            value = varint()
        elif wire == 2:
            n = varint()
            value, i = data[i:i + n], i + n
        elif wire in (1, 5):
            n = 8 if wire == 1 else 4
            value, i = int.from_bytes(data[i:i + n], "little"), i + n
        else:
            raise ValueError(f"protobuf wire type {wire} of field {num}")
        out.setdefault(num, []).append(value)
    return out


def _string(fields, num):
    return fields.get(num, [b""])[0].decode()


class RuntimeService:
    """runtime.v1.RuntimeService over the containerd socket."""

    def __init__(self, socket_path):
        import grpc  # python3-grpcio; imported here so that a missing package is a SKIPPED test
        self._grpc = grpc
        self.channel = grpc.insecure_channel(f"unix://{socket_path}")

    def call(self, method, request, timeout=60):
        rpc = self.channel.unary_unary(f"/{CRI_VERSION}.RuntimeService/{method}")
        return decode(rpc(request, timeout=timeout))

    def version(self):
        return _string(self.call("Version", message({1: "v1"}), timeout=5), 4)  # runtime_api_version

    @staticmethod
    def pod_config(name, namespace, uid, cgroup_parent, log_directory):
        """PodSandboxConfig of a host-network pod (no CNI here; such a pod has no hostname)."""
        ns = message({1: NS_NODE, 2: NS_POD, 3: NS_POD})
        linux = message({1: cgroup_parent, 2: message({1: ns})})
        return message({1: message({1: name, 2: uid, 3: namespace, 4: 0}), 3: log_directory,
                        6: {"sle-test": "1"}, 8: linux})

    def run_pod(self, pod_config):
        return _string(self.call("RunPodSandbox", message({1: pod_config})), 1)

    def create_container(self, pod_id, pod_config, name, command, mounts=(), add_caps=(), log_path=""):
        """mounts: (host path, container path) pairs, read-only."""
        caps = message({1: list(add_caps)})
        config = message({
            1: message({1: name, 2: 0}),
            2: message({1: BUSYBOX_IMAGE}),
            3: list(command),
            7: [message({1: c, 2: h, 3: True}) for h, c in mounts],
            11: log_path,
            15: message({2: message({1: caps, 3: message({1: NS_NODE, 2: NS_POD, 3: NS_POD})})}),
        })
        return _string(self.call("CreateContainer", message({1: pod_id, 2: config, 3: pod_config})), 1)

    def start_container(self, container_id):
        self.call("StartContainer", message({1: container_id}))

    def container_state(self, container_id):
        """(state, exit code) of ContainerStatus."""
        status = decode(self.call("ContainerStatus", message({1: container_id}))[1][0])
        return status.get(3, [0])[0], status.get(7, [0])[0]

    def exec_sync(self, container_id, cmd, timeout=120):
        """(exit code, stdout, stderr) of a command run in the container, as kubectl exec."""
        r = self.call("ExecSync", message({1: container_id, 2: list(cmd), 3: timeout}), timeout=timeout + 30)
        return r.get(3, [0])[0], r.get(1, [b""])[0].decode(), r.get(2, [b""])[0].decode()

    def remove_container(self, container_id):
        self.call("StopContainer", message({1: container_id, 2: 1}))
        self.call("RemoveContainer", message({1: container_id}))

    def remove_pod(self, pod_id):
        self.call("StopPodSandbox", message({1: pod_id}))
        self.call("RemovePodSandbox", message({1: pod_id}))

    def list_pods(self):
        """The ids of every sandbox (ListPodSandbox, no filter)."""
        r = self.call("ListPodSandbox", message({}))
        return [_string(decode(item), 1) for item in r.get(1, [])]

    def close(self):
        self.channel.close()


# -- the images ------------------------------------------------------------------------------

def _blob(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(layout, "blobs", "sha256", digest)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def _layer(busybox):
    """One uncompressed layer: busybox-static as /bin/busybox with the applets the tests use,
    the usual top-level directories, and lib/lib64 as the host's merged-/usr symlinks (the tests
    mount the host's /usr to run its python3)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        def add(name, kind, **kw):
            info = tarfile.TarInfo(name)
            info.type, info.mtime = kind, 0
            info.mode = kw.pop("mode", 0o755)
            for k, v in kw.items():
                setattr(info, k, v)
            tar.addfile(info, kw.get("fileobj"))
        for d in ("bin", "dev", "etc", "proc", "sys", "tmp", "usr", "sle"):
            add(d, tarfile.DIRTYPE, mode=0o1777 if d == "tmp" else 0o755)
        with open(busybox, "rb") as fh:
            data = fh.read()
        info = tarfile.TarInfo("bin/busybox")
        info.size, info.mode, info.mtime = len(data), 0o755, 0
        tar.addfile(info, io.BytesIO(data))
        for applet in ("sh", "sleep", "nc", "cat", "true"):
            add(f"bin/{applet}", tarfile.SYMTYPE, linkname="busybox")
        for d in ("lib", "lib64"):
            if os.path.islink(f"/{d}"):
                add(d, tarfile.SYMTYPE, linkname=os.readlink(f"/{d}").lstrip("/"))
    return buf.getvalue()


def host_mounts():
    """(host, container) paths a container needs to run the host's /usr/bin/python3."""
    return [("/usr", "/usr")] + [(d, d) for d in ("/lib", "/lib64") if not os.path.islink(d)]


def build_images(layout, busybox="/bin/busybox"):
    """An OCI image layout at LAYOUT holding BUSYBOX_IMAGE and PAUSE_IMAGE (one layer, two
    configs), named for containerd by io.containerd.image.name. Returns the layout's tar."""
    shutil.rmtree(layout, ignore_errors=True)
    os.makedirs(layout)
    layer = _layer(busybox)
    layer_desc = {"mediaType": "application/vnd.oci.image.layer.v1.tar", **_blob(layout, layer)}
    diff_id = f"sha256:{hashlib.sha256(layer).hexdigest()}"
    manifests = []
    for name, cfg in ((BUSYBOX_IMAGE, {"Cmd": ["/bin/sh"]}), (PAUSE_IMAGE, {"Entrypoint": PAUSE_ENTRYPOINT})):
        cfg["Env"] = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
        config = json.dumps({"architecture": "amd64", "os": "linux", "config": cfg,
                             "rootfs": {"type": "layers", "diff_ids": [diff_id]}}).encode()
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **_blob(layout, config)},
            "layers": [layer_desc]}).encode()
        manifests.append({"mediaType": "application/vnd.oci.image.manifest.v1+json",
                          **_blob(layout, manifest),
                          "platform": {"architecture": "amd64", "os": "linux"},
                          "annotations": {"io.containerd.image.name": name,
                                          "org.opencontainers.image.ref.name": name.rsplit(":", 1)[1]}})
    with open(os.path.join(layout, "index.json"), "w") as fh:
        json.dump({"schemaVersion": 2, "manifests": manifests}, fh)
    with open(os.path.join(layout, "oci-layout"), "w") as fh:
        json.dump({"imageLayoutVersion": "1.0.0"}, fh)
    tar_path = layout.rstrip("/") + ".tar"
    with tarfile.open(tar_path, "w") as tar:
        for entry in sorted(os.listdir(layout)):
            tar.add(os.path.join(layout, entry), arcname=entry)
    return tar_path


# -- containerd ------------------------------------------------------------------------------

CONFIG = """version = 2
root = "{d}/root"
state = "{d}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
                    "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]

[grpc]
  address = "{d}/containerd.sock"

[ttrpc]
  address = "{d}/containerd.sock.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "{d}/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{pause}"
  # Without CAP_SYS_RESOURCE (as in some sandboxes) a pod's oom_score_adj cannot go below ours.
  restrict_oom_score_adj = true
  disable_apparmor = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"

  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "native"
    default_runtime_name = "runc"

    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "{runc}"
        SystemdCgroup = false

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{d}/cni/bin"
    conf_dir = "{d}/cni/conf"
"""

SHIM_SOCKETS = "/run/containerd/s"


def _is_static(path):
    """Whether the ELF64 file at PATH has no program interpreter (PT_INTERP): a static binary
    runs in an image with no libraries."""
    import struct
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
            if head[:4] != b"\x7fELF" or head[4] != 2:
                return False
            phoff, = struct.unpack_from("<Q", head, 32)
            phentsize, phnum = struct.unpack_from("<HH", head, 54)
            fh.seek(phoff)
            table = fh.read(phentsize * phnum)
    except OSError:
        return False
    return all(struct.unpack_from("<I", table, i * phentsize)[0] != 3 for i in range(phnum))


def missing_tools():
    """What a test of a real runtime needs and this machine lacks (empty when all is there)."""
    missing = [t for t in ("containerd", "ctr", "runc", "containerd-shim-runc-v2")
               if not (shutil.which(t) or shutil.which(t, path="/usr/sbin:/sbin"))]
    if not _is_static("/bin/busybox"):
        missing.append("busybox-static")
    try:
        import grpc  # noqa: F401
    except ImportError:
        missing.append("python3-grpcio")
    return missing


class Containerd:
    """containerd with everything under DIR; images imported; stopped and cleaned up on exit
    (pods removed through CRI, remaining shims killed, the pod cgroups it made removed)."""

    def __init__(self, directory, cgroup_root="/sys/fs/cgroup"):
        self.d = os.path.abspath(directory)
        self.socket = os.path.join(self.d, "containerd.sock")
        self.cgroup_root = cgroup_root
        self.proc = None
        self.cri = None
        self.cgroup_parents = []
        # The kubelet's own parents, when a kubelet runs here: never removed.
        self.kept = {p for p in ("/kubepods", "/kubepods/besteffort")
                     if glob.glob(os.path.join(cgroup_root, "*") + p)}

    @property
    def task_dir(self):
        """Where runc's bundles (each container's config.json) are: cgroups.runtime_dirs."""
        return os.path.join(self.d, "state", "io.containerd.runtime.v2.task", "k8s.io")

    def ctr(self, *args):
        return subprocess.run([shutil.which("ctr"), "--address", self.socket, "--namespace", "k8s.io", *args],
                              capture_output=True, text=True, timeout=120)

    def __enter__(self):
        shutil.rmtree(self.d, ignore_errors=True)
        os.makedirs(os.path.join(self.d, "cni", "bin"))
        os.makedirs(os.path.join(self.d, "cni", "conf"))
        self.shim_sockets_before = set(glob.glob(os.path.join(SHIM_SOCKETS, "*")))
        config = os.path.join(self.d, "config.toml")
        with open(config, "w") as fh:
            fh.write(CONFIG.format(d=self.d, pause=PAUSE_IMAGE,
                                   runc=shutil.which("runc") or shutil.which("runc", path="/usr/sbin:/sbin")))
        self.log = open(os.path.join(self.d, "containerd.log"), "w")
        self.proc = subprocess.Popen([shutil.which("containerd"), "--config", config],
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self.cri = RuntimeService(self.socket)
            end = time.time() + 60
            while True:
                try:
                    self.cri.version()
                    break
                except Exception:  # not listening yet
                    if self.proc.poll() is not None or time.time() > end:
                        raise RuntimeError(f"containerd did not start: {self.log_tail()}")
                    time.sleep(0.2)
            tar = build_images(os.path.join(self.d, "image"))
            # Before the first sandbox, or the CRI plugin tries to pull the pause image.
            r = self.ctr("images", "import", "--snapshotter", "native", "--all-platforms", tar)
            if r.returncode != 0:
                raise RuntimeError(f"ctr images import: {r.stdout}{r.stderr}")
            names = self.ctr("images", "ls", "-q").stdout.split()
            if not {PAUSE_IMAGE, BUSYBOX_IMAGE} <= set(names):
                raise RuntimeError(f"ctr images import: imported {names}")
        except BaseException:
            self.__exit__()
            raise
        return self

    def log_tail(self, n=15):
        with open(os.path.join(self.d, "containerd.log"), errors="replace") as fh:
            return "".join(fh.readlines()[-n:])

    def pod_cgroup_parent(self, pod_uid):
        """The kubelet's cgroupfs-driver parent of a best-effort pod, remembered for cleanup."""
        parent = f"/kubepods/besteffort/pod{pod_uid}"
        self.cgroup_parents.append(parent)
        return parent

    def __exit__(self, *exc):
        if self.cri and self.proc and self.proc.poll() is None:
            with contextlib.suppress(Exception):
                for pod in self.cri.list_pods():
                    with contextlib.suppress(Exception):
                        self.cri.remove_pod(pod)
        if self.cri:
            self.cri.close()
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        # Shims outlive containerd by design; ours are the ones started with our socket.
        ps = subprocess.run(["pgrep", "-f", f"containerd-shim.*-address {self.socket}"],
                            capture_output=True, text=True).stdout.split()
        for pid in ps:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
        for sock in set(glob.glob(os.path.join(SHIM_SOCKETS, "*"))) - self.shim_sockets_before:
            with contextlib.suppress(OSError):
                os.unlink(sock)
        self._remove_cgroups()
        for mnt in reversed(_mounts_under(self.d)):  # a sandbox's /dev/shm, if a stop failed
            subprocess.run(["umount", "-l", mnt], capture_output=True)
        if getattr(self, "log", None):
            self.log.close()

    def _remove_cgroups(self):
        """runc removes only a container's leaf: the pod's directory (and the kubepods parents,
        when nothing else is in them) go depth-first, in every hierarchy."""
        for parent in self.cgroup_parents:
            for hierarchy in glob.glob(os.path.join(self.cgroup_root, "*")) + [self.cgroup_root]:
                base = hierarchy + parent
                if not os.path.isdir(base):
                    continue
                for root, dirs, _ in sorted(os.walk(base), key=lambda w: -w[0].count("/")):
                    for _ in range(50):
                        try:
                            os.rmdir(root)
                            break
                        except FileNotFoundError:
                            break
                        except OSError:
                            time.sleep(0.1)  # a task is still leaving
                for up in ("/kubepods/besteffort", "/kubepods"):
                    if up in self.kept:
                        continue
                    with contextlib.suppress(OSError):
                        os.rmdir(hierarchy + up)


def _mounts_under(path):
    with open("/proc/self/mountinfo") as fh:
        return sorted(line.split()[4] for line in fh if line.split()[4].startswith(path + "/"))


def read_log(path):
    """The stdout lines of a CRI container log (<time> <stream> <P|F> <text>, as kubectl logs
    reads it)."""
    lines, partial = [], ""
    with contextlib.suppress(FileNotFoundError):
        with open(path) as fh:
            for raw in fh:
                parts = raw.rstrip("\n").split(" ", 3)
                if len(parts) == 4 and parts[1] == "stdout":
                    partial += parts[3]
                    if parts[2] == "F":
                        lines.append(partial)
                        partial = ""
    return lines
