#!/usr/bin/python3
"""deploy.exporter_contract: what the deployment files expect of the exporter, asked of the
real binary.

- Every probe of the DaemonSet (deploy/kubernetes/base/daemonset.yaml) answers on a running
  exporter: liveness and startup (/healthz) 200 while it serves; readiness (/readyz) 200 once
  every hook is attached and the first read is done.
- The DaemonSet's config (deploy/kubernetes/base/config.yaml, with bpf.pin_path) and the
  default config pass --config.check.

Usage: exporter_contract_test.py EXPORTER_BINARY LOG_DIR"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import sle  # noqa: E402

import yaml  # noqa: E402


def main():
    binary = sle.exporter_binary(sys.argv[1])
    logdir = os.path.abspath(sys.argv[2])
    os.makedirs(logdir, exist_ok=True)
    check = sle.Checks("deploy.exporter_contract")

    sle.require_root()
    for cfg in ("deploy/kubernetes/base/config.yaml", "config/socket-lsm-exporter.yaml"):
        # --config.check reads the text alone: that bpf.pin_path is on a bpf filesystem (as
        # /sys/fs/bpf is on a node, the DaemonSet mounts the host's) is checked when the
        # exporter starts.
        r = subprocess.run([binary, f"--config.file={os.path.join(sle.ROOT, cfg)}", "--config.check"],
                           capture_output=True, text=True)
        check(f"{cfg} passes --config.check", r.returncode == 0,
              f"exit {r.returncode}: {(r.stdout + r.stderr).strip()}")

    with open(os.path.join(sle.ROOT, "deploy/kubernetes/base/daemonset.yaml")) as fh:
        c = yaml.safe_load(fh)["spec"]["template"]["spec"]["containers"][0]
    probes = {k: c[k]["httpGet"]["path"] for k in ("startupProbe", "livenessProbe", "readinessProbe") if k in c}
    with sle.Exporter(binary, log=os.path.join(logdir, "contract.log")) as ex:
        if not check("the exporter starts", ex.wait_serving(), ex.log_tail()):
            return check.finish()
        for probe, path in probes.items():
            # Readiness may take until the first read: a few read intervals at most.
            status = sle.wait_for(lambda: (lambda s: s if s == 200 else None)(sle.http_get(ex.url + path)[0]),
                                  15 if probe == "readinessProbe" else 2) or sle.http_get(ex.url + path)[0]
            hint = ""
            if status == 404:
                hint = (f" - the exporter does not serve {path} yet: the DaemonSet's {probe} needs it "
                        "(/healthz: 200 while the process serves; /readyz: 200 once every enabled hook "
                        "is attached and the first read is done, else 503)")
            check(f"{probe}: GET {path} answers 200", status == 200, f"HTTP {status}{hint}")
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
