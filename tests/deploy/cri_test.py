#!/usr/bin/python3
"""deploy.cri: workload names from a real container runtime. A private containerd (Debian's,
with its CRI plugin and runc) runs pods the way a kubelet does: RunPodSandbox, CreateContainer,
StartContainer through the CRI API, the pod's name, namespace and uid and the container's name
only in the CRI metadata, the cgroup parent /kubepods/besteffort/pod<uid> (the cgroupfs driver).
containerd writes the io.kubernetes.cri.* annotations into each container's config.json and picks
the ids; the exporter reads them from containerd's state directory (cgroups.runtime_dirs).

- A container running the test workload is counted exactly per {pod_uid, container_id, pod,
  namespace, container}.
- The sandbox's own series (the test's pause makes one connect) carry the pod's names and no
  container name.
- A container that lives about a second keeps its names and counts after it exits and containerd
  has deleted its config.json, until cgroups.expire_after; then its series go and their counts
  move to socket_lsm_exporter_expired_total.
- A second pod with the same pod and container names in another namespace stays apart.
- After the exporter restarts while the pods run, a workload run in the running container
  (ExecSync, as kubectl exec) is counted under the same names.

The systemd cgroup driver cannot be produced by a real runtime here (no systemd); its path shapes
are covered by the cgroup path unit tests. Needs containerd, runc, busybox-static and
python3-grpcio (scripts/install-deps.sh installs them); without them it says SKIPPED, and fails
under CI=true.

Usage: cri_test.py EXPORTER_BINARY WORK_DIR"""
import os
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import cri  # noqa: E402
import sle  # noqa: E402

EXPIRE_AFTER = 20  # seconds: enough for the checks of a gone container, short for the test
WORKLOAD_DIR = os.path.dirname(sle.WORKLOAD)


def exact(check, ex, what, names, expected):
    """Checks every (metric, labels, count) of EXPECTED under NAMES, waiting for the reads."""
    def all_exact():
        s = ex.scrape()
        return s if all(sle.value(s, m, **names, **l) == want for m, l, want in expected) else None

    s = sle.wait_for(all_exact, 30) or ex.scrape()
    bad = [f"{m}{l}: got {sle.value(s, m, **names, **l)}, want {want}"
           for m, l, want in expected if sle.value(s, m, **names, **l) != want]
    check(f"{what}: {len(expected)} series exact under {names}", not bad, "; ".join(bad))
    return s


def series_of(samples, container_id):
    return [(n, l, v) for n, l, v in samples if n.startswith("socket_lsm_") and n.endswith("_total")
            and not n.startswith("socket_lsm_exporter_") and l.get("container_id") == container_id]


class Pod:
    def __init__(self, c, name, namespace):
        self.c, self.name, self.namespace = c, name, namespace
        self.uid = str(uuid.uuid4())
        self.logs = os.path.join(c.d, "logs", f"{namespace}_{name}_{self.uid}")
        os.makedirs(self.logs)
        self.config = c.cri.pod_config(name, namespace, self.uid, c.pod_cgroup_parent(self.uid), self.logs)
        self.id = c.cri.run_pod(self.config)

    def start(self, container, command):
        """A container of the busybox image running COMMAND, with the host's /usr (python3) and
        the workload mounted read-only; NET_ADMIN for the workload's SO_MARK."""
        cid = self.c.cri.create_container(
            self.id, self.config, container, command,
            mounts=cri.host_mounts() + [(WORKLOAD_DIR, "/sle")], add_caps=["NET_ADMIN"],
            log_path=f"{container}.log")
        self.c.cri.start_container(cid)
        return cid

    def names(self, container_id, container=None):
        n = dict(pod_uid=self.uid, container_id=container_id, pod=self.name, namespace=self.namespace)
        if container is not None:
            n["container"] = container
        return n

    def report(self, container):
        """The workload's JSON report, the last line of the container's log."""
        import json
        lines = sle.wait_for(lambda: [x for x in cri.read_log(os.path.join(self.logs, f"{container}.log"))
                                      if x.startswith("{")], 60)
        if not lines:
            raise RuntimeError(f"no report in {container}'s log")
        return json.loads(lines[-1])


WORKLOAD_THEN_SLEEP = "/usr/bin/python3 /sle/workload.py --iterations {n} && exec sleep 2147483647"


def main():
    sle.require_root()
    binary = sle.exporter_binary(sys.argv[1])
    work = os.path.abspath(sys.argv[2])
    missing = cri.missing_tools()
    if missing:
        reason = f"needs {', '.join(missing)} (scripts/install-deps.sh installs them)"
        if os.environ.get("CI") == "true":
            print(f"FAIL {reason}; CI must run this test")
            return 1
        sle.skip(reason)
    os.makedirs(work, exist_ok=True)
    check = sle.Checks("deploy.cri")

    with cri.Containerd(os.path.join(work, "containerd")) as c:
        config = os.path.join(work, "exporter.yaml")
        with open(config, "w") as fh:
            fh.write(f"cgroups:\n  expire_after: {EXPIRE_AFTER}s\n  runtime_dirs:\n    - {c.task_dir}\n")
        log = os.path.join(work, "exporter.log")
        ex = sle.Exporter(binary, f"--config.file={config}", log=log)
        with ex:
            if not check("the exporter starts", ex.wait_serving(), ex.log_tail()):
                return check.finish()
            a = Pod(c, "web", "sle-a")
            b = Pod(c, "web", "sle-b")  # same pod name, same container name, another namespace

            # 1. A container that lives about a second.
            once = a.start("once", ["/usr/bin/python3", "/sle/workload.py", "--iterations", "1"])
            done = sle.wait_for(lambda: c.cri.container_state(once)[0] == cri.CONTAINER_EXITED, 60)
            state, code = c.cri.container_state(once)
            check("the one-second container ran and exited 0", done and code == 0, f"state {state}, exit {code}")
            bundle = os.path.join(c.task_dir, once)
            gone = sle.wait_for(lambda: not os.path.exists(bundle), 30)
            check("containerd deleted its config.json when the task ended", gone, bundle)
            rep = a.report("once")
            s = exact(check, ex, "the exited container, named after its config.json is gone",
                      a.names(once, "once"), sle.expected_counts(rep))
            before = sum(v for _, _, v in series_of(s, once))
            expired0 = sle.value(s, "socket_lsm_exporter_expired_total")

            # 2. Long-running containers in both pods.
            app_a = a.start("app", ["/bin/sh", "-c", WORKLOAD_THEN_SLEEP.format(n=2)])
            app_b = b.start("app", ["/bin/sh", "-c", WORKLOAD_THEN_SLEEP.format(n=3)])
            rep_a, rep_b = a.report("app"), b.report("app")
            check("containerd picked distinct ids", len({once, app_a, app_b, a.id, b.id}) == 5)
            s = exact(check, ex, "sle-a/web app", a.names(app_a, "app"), sle.expected_counts(rep_a))
            s = exact(check, ex, "sle-b/web app", b.names(app_b, "app"), sle.expected_counts(rep_b))
            for pod, app in ((a, app_a), (b, app_b)):
                labels = [l for _, l, _ in series_of(s, app)]
                check(f"every series of {pod.namespace}/web app names its pod, namespace, uid and container",
                      labels and all(l.get("pod") == "web" and l.get("namespace") == pod.namespace
                                     and l.get("pod_uid") == pod.uid and l.get("container") == "app"
                                     for l in labels), f"{labels}")

            # 3. The sandboxes: the pause's one connect, named by pod, no container name.
            for pod in (a, b):
                sandbox = [l for _, l, _ in series_of(s, pod.id)]
                check(f"{pod.namespace}/web's sandbox series name the pod and no container",
                      sandbox and all(l.get("pod") == "web" and l.get("namespace") == pod.namespace
                                      and not l.get("container") for l in sandbox), f"{sandbox}")
                exact(check, ex, f"{pod.namespace}/web's sandbox", pod.names(pod.id),
                      [("socket_lsm_connect_total", dict(family="inet", protocol="tcp", peer="loopback",
                                                         port="1"), 1)])

            # 4. The exited container's series expire, their counts moving to expired_total.
            def expired():
                s = ex.scrape()
                return s if not series_of(s, once) else None

            s = sle.wait_for(expired, EXPIRE_AFTER + 30)
            check(f"the exited container's series are gone after expire_after ({EXPIRE_AFTER}s)", bool(s))
            if s:
                delta = sle.value(s, "socket_lsm_exporter_expired_total") - expired0
                check(f"socket_lsm_exporter_expired_total grew by its {before:.0f} calls",
                      delta == before, f"grew by {delta}")

        # 5. Restarted while the pods run: the running container keeps its names.
        with sle.Exporter(binary, f"--config.file={config}", log=log + ".restart") as ex:
            if check("the exporter starts again", ex.wait_serving(), ex.log_tail()):
                code, out, err = c.cri.exec_sync(app_a, ["/usr/bin/python3", "/sle/workload.py", "--iterations", "1"])
                if check("the workload ran in sle-a/web app (ExecSync)", code == 0, f"exit {code}: {err}"):
                    import json
                    exact(check, ex, "after the restart, sle-a/web app", a.names(app_a, "app"),
                          sle.expected_counts(json.loads(out.strip().splitlines()[-1])))
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
