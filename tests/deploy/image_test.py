#!/usr/bin/python3
"""deploy.image: the container image builds, and its entrypoint, run the way the DaemonSet runs
it, serves exact counts.

1. scripts/build-image.sh builds the image (deploy/image/Containerfile: the builder stage
   compiles the exporter) and unpacks its root filesystem; the root filesystem must stay under
   40 MiB.
2. The image's entrypoint and command (from the image config) run from that root under
   `unshare --mount --pid --fork` and `capsh --chroot`, as the DaemonSet's container would: its
   own PID namespace, a read-only root filesystem, a read-only sysfs, the DaemonSet's host paths (deploy/kubernetes/base/
   daemonset.yaml) mounted at their paths, read-only where the DaemonSet says so, uid 0 with
   only the DaemonSet's capabilities in the bounding set, no_new_privs. Where the host lacks a
   path (a runtime's state directory, bpffs), an empty one stands in; containerd's stands in
   with a config.json for the test's container, laid out as containerd lays it out.
3. A workload in a pod-shaped cgroup of the test's own: every hook's count for that cgroup,
   pod_uid and container_id must be exact.

Usage: image_test.py WORK_DIR"""
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import sle  # noqa: E402

import yaml  # noqa: E402

LIMIT_MIB = 40


def daemonset():
    with open(os.path.join(sle.ROOT, "deploy/kubernetes/base/daemonset.yaml")) as fh:
        return yaml.safe_load(fh)["spec"]["template"]["spec"]


def all_caps():
    with open("/proc/sys/kernel/cap_last_cap") as fh:
        last = int(fh.read())
    out = subprocess.run([sle.which("capsh"), f"--decode={(1 << (last + 1)) - 1:#x}"],
                         capture_output=True, text=True, check=True).stdout
    return out.strip().split("=", 1)[1].split(",")


def is_mountpoint(path, fstype=None):
    with open("/proc/self/mountinfo") as fh:
        for line in fh:
            left, _, right = line.partition(" - ")
            if left.split()[4] == path and (fstype is None or right.split()[0] == fstype):
                return True
    return False


def containerd_state(root, cg):
    """A containerd k8s.io task directory holding this container's bundle config.json with the
    CRI annotations (pod and container names)."""
    bundle = os.path.join(root, cg.container_id)
    os.makedirs(bundle)
    config = {
        "ociVersion": "1.1.0",
        "process": {"args": ["/usr/bin/python3", "workload.py"], "cwd": "/"},
        "root": {"path": "rootfs"},
        "linux": {"cgroupsPath": f"kubepods-besteffort-pod{cg.pod_uid.replace('-', '_')}.slice:cri-containerd:{cg.container_id}"},
        "annotations": {
            "io.kubernetes.cri.container-type": "container",
            "io.kubernetes.cri.container-name": "workload",
            "io.kubernetes.cri.sandbox-name": "workload-0",
            "io.kubernetes.cri.sandbox-namespace": "sle-test",
            "io.kubernetes.cri.sandbox-uid": cg.pod_uid,
            "io.kubernetes.cri.sandbox-id": "0" * 64,
        },
    }
    with open(os.path.join(bundle, "config.json"), "w") as fh:
        json.dump(config, fh)


def main():
    sle.require_root()
    if not sle.root_is_mount_point():
        # buildah commits by remounting /, which a chroot cannot: "remount /, flags: 0x44000:
        # invalid argument".
        sle.skip("/ is not a mount point here (a chroot?): buildah cannot build the image")
    work = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "deploy-image")
    os.makedirs(work, exist_ok=True)
    for tool in ("buildah", "mmdebstrap", "unshare", "capsh"):
        if not sle.which(tool):
            raise SystemExit(f"{tool} not found: scripts/install-deps.sh installs it")
    check = sle.Checks("deploy.image")

    # 1. Build.
    rootfs = os.path.join(work, "rootfs")
    t0 = time.time()
    # A fixed tag, so test runs do not leave one image per revision behind.
    b = subprocess.run([os.path.join(sle.ROOT, "scripts/build-image.sh"), "--tag",
                        "localhost/socket-lsm-exporter:ctest", "--export-rootfs", rootfs],
                       capture_output=True, text=True)
    print(b.stdout, end="")
    if not check(f"scripts/build-image.sh builds the image ({time.time() - t0:.0f} s)", b.returncode == 0,
                 b.stderr[-3000:]):
        return check.finish()
    size = int(subprocess.run(["du", "-sk", rootfs], capture_output=True, text=True).stdout.split()[0])
    check(f"image root filesystem {size / 1024:.1f} MiB < {LIMIT_MIB} MiB", size < LIMIT_MIB * 1024)
    with open(rootfs + ".config.json") as fh:
        cfg = json.load(fh)
    cmd = (cfg.get("entrypoint") or []) + (cfg.get("cmd") or [])
    check(f"image runs {' '.join(cmd)} as {cfg.get('user')}", cmd and cfg.get("user") in ("0", "0:0", "root"))
    files = subprocess.run(["find", rootfs, "-type", "f", "-o", "-type", "l"], capture_output=True,
                           text=True).stdout.split()
    extra = [f for f in files if not f.startswith(tuple(os.path.join(rootfs, p) for p in (
        "usr/bin/socket_lsm_exporter", "usr/lib/", "usr/lib64/", "usr/share/doc/", "etc/", "lib", "bin")))]
    check("image holds only the binary, its libraries, config, CA certificates (and copyrights)",
          not extra, f"{extra}")

    # 2. Run it as the DaemonSet would.
    spec = daemonset()
    c = spec["containers"][0]
    caps = [f"cap_{x.lower()}" for x in c["securityContext"]["capabilities"]["add"]]
    drop = [x for x in all_caps() if x not in caps]
    vols = {v["name"]: v for v in spec["volumes"]}
    port = sle.free_port()
    with sle.PodCgroup() as cg, tempfile.TemporaryDirectory(prefix="sle-image-") as tmp:
        stand_in = {
            "/run/containerd/io.containerd.runtime.v2.task/k8s.io": os.path.join(tmp, "containerd"),
            "/run/containers/storage/overlay-containers": os.path.join(tmp, "crio"),
        }
        for d in stand_in.values():
            os.makedirs(d)
        containerd_state(stand_in["/run/containerd/io.containerd.runtime.v2.task/k8s.io"], cg)
        q = shlex.quote
        sh = ["set -e", f"R={q(rootfs)}",
              "mkdir -p $R/proc $R/sys $R/dev"]
        # Mount points outside /sys (the runtimes' state) are made before the root goes
        # read-only, as a container runtime makes them.
        for m in c["volumeMounts"]:
            if not m["mountPath"].startswith(("/sys/", "/etc/")):
                sh.append(f"mkdir -p $R{q(m['mountPath'])}")
        sh += [
              # readOnlyRootFilesystem: the image's root, read-only, under everything else.
              "mount --bind $R $R && mount -o remount,bind,ro $R",
              "mount -t proc proc $R/proc",
              "mount -t sysfs -o ro sysfs $R/sys",  # a container's /sys when not privileged
              "mount -t tmpfs -o mode=755 tmpfs $R/dev",
              "touch $R/dev/null && mount --bind /dev/null $R/dev/null"]
        for m in c["volumeMounts"]:
            v = vols[m["name"]]
            dst = m["mountPath"]
            if "hostPath" not in v:
                continue  # the ConfigMap: the image's own default config is used
            src = v["hostPath"]["path"]
            if src == "/sys/fs/bpf" and not is_mountpoint(src, "bpf"):
                sh.append(f"mkdir -p $R{dst} && mount -t bpf bpf $R{q(dst)}")  # the host has none
                continue
            src = stand_in.get(src, src)
            sh.append(f"mount --rbind {q(src)} $R{q(dst)}")
            if m.get("readOnly"):
                sh.append(f"mount -o remount,bind,ro $R{q(dst)}")
        args = cmd[1:] + [f"--web.listen-address=127.0.0.1:{port}"]
        sh.append("exec " + " ".join(q(x) for x in [
            sle.which("capsh"), "--inh=", "--chroot=" + rootfs, "--drop=" + ",".join(drop),
            "--no-new-privs", "--shell=" + cmd[0], "--", *args]))
        script = "\n".join(sh)
        log_path = os.path.join(work, "exporter.log")
        with open(log_path, "w") as log:
            proc = subprocess.Popen([sle.which("unshare"), "--mount", "--pid", "--fork",
                                     "--propagation", "private", "/bin/sh", "-c", script],
                                    stdout=log, stderr=subprocess.STDOUT)

        def tail():
            with open(log_path, errors="replace") as fh:
                return "".join(fh.readlines()[-15:])

        url = f"http://127.0.0.1:{port}"
        try:
            serving = sle.wait_for(lambda: proc.poll() is not None or sle.http_get(url + "/metrics")[0] == 200, 30, 0.2)
            if not check(f"the image's entrypoint serves /metrics with caps [{','.join(caps)}]",
                         serving and proc.poll() is None, tail()):
                return check.finish()
            # The exporter is the forked child of unshare: PID 1 in its namespace.
            kids = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
            exporter_pid = int(kids[0])
            with open(f"/proc/{exporter_pid}/status") as fh:
                status = fh.read()
            bnd = int([ln for ln in status.splitlines() if ln.startswith("CapBnd")][0].split()[1], 16)
            nspid = [ln for ln in status.splitlines() if ln.startswith("NSpid")][0].split()[1:]
            check("it runs as PID 1 of its own PID namespace, with no capability beyond the DaemonSet's",
                  nspid[-1] == "1" and bin(bnd).count("1") <= len(caps), f"NSpid {nspid}, CapBnd {bnd:#x}")
            s = sle.parse_metrics(sle.http_get(url + "/metrics")[1])
            attached = {l["hook"]: l["backend"] for n, l, v in s if n == "socket_lsm_exporter_hook_attached" and v == 1}
            check(f"every hook attached ({attached})", len(attached) == 6)

            # 3. Exact counts of a workload.
            rep = sle.run_workload(cg.abspath, "--iterations", "3")
            ids = dict(cgroup=cg.path, pod_uid=cg.pod_uid, container_id=cg.container_id)
            lp = {sle.port_label(p) for p in rep["listen_ports"]}
            expected = sle.expected_counts(rep)

            def all_exact():
                s = sle.parse_metrics(sle.http_get(url + "/metrics")[1])
                return s if all(sle.value(s, m, **ids, **l) == want for m, l, want in expected) else None

            s = sle.wait_for(all_exact, 30) or sle.parse_metrics(sle.http_get(url + "/metrics")[1])
            for m, l, want in expected:
                got = sle.value(s, m, **ids, **l)
                check(f"{m}{{{', '.join(f'{a}={b!r}' for a, b in l.items())}}} of the pod = {want}", got == want, f"got {got}")
            ports = {l.get("port") for nm, l, v in s if nm == "socket_lsm_listen_total" and l.get("cgroup") == cg.path}
            check(f"listen ports labelled {sorted(lp)}", ports == lp, f"got {sorted(p for p in ports if p)}")
            named = [l for nm, l, v in s if nm == "socket_lsm_bind_total" and l.get("cgroup") == cg.path]
            if any("pod" in l for l in named):
                check("pod, namespace, container from containerd's config.json annotations",
                      all(l.get("pod") == "workload-0" and l.get("namespace") == "sle-test"
                          and l.get("container") == "workload" for l in named), f"{named}")
            else:
                print("NOTE: the series carry no pod/namespace/container labels (the exporter does not "
                      "read the runtimes' OCI annotations yet); the kube_pod_info recording rules name them")
        finally:
            kids = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
            for pid in kids:
                os.kill(int(pid), 15)
            try:
                rc = proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                rc = proc.wait()
        check("SIGTERM stops the entrypoint with exit code 0", rc == 0, tail())
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
