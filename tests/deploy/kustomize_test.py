#!/usr/bin/python3
"""deploy.kustomize: deploy/kubernetes renders, validates against the schemas, and keeps its
promises.

- `kubectl kustomize` renders the base (deploy/kubernetes) and every example overlay in
  deploy/kubernetes/examples; every component in deploy/kubernetes/components is used by at
  least one example, so each is rendered.
- Every rendered object is validated against the Kubernetes and prometheus-operator schemas
  (tests/deploy/schema: npm ci of kubernetes-models and @kubernetes-models/prometheus-operator,
  then validate.js), and type-checked against their TypeScript interfaces for unknown fields
  (strict.js, with the typescript package: the JSON schemas let unknown fields through).
- The base's DaemonSet is not privileged: no privileged, no privilege escalation, every
  capability dropped and only BPF and PERFMON added, RuntimeDefault seccomp, a read-only root
  filesystem, resources set, every host path read-only but bpffs, tolerations for every taint,
  probes on /healthz and /readyz of the metrics port.
- The dashboards ConfigMaps hold every dashboards/*.json, labelled grafana_dashboard.
- The PrometheusRule is what scripts/gen-prometheusrule.py makes of deploy/prometheus now.

Usage: kustomize_test.py OUT_DIR (rendered files are left there). Needs kubectl (1.21+: its
kustomize must know components), node and npm, python3-yaml."""
import glob
import json
import os
import re
import shutil
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
K8S = os.path.join(ROOT, "deploy", "kubernetes")
SCHEMA = os.path.join(ROOT, "tests", "deploy", "schema")
OUT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "deploy-rendered")

ALLOWED_CAPS = {"BPF", "PERFMON"}
# Host paths the exporter reads, and whether it may write there.
HOST_PATHS = {
    "/sys/kernel/tracing": False,
    "/sys/fs/cgroup": False,
    "/sys/fs/bpf": True,  # bpf.pin_path: pins the maps
    "/run/containerd/io.containerd.runtime.v2.task/k8s.io": False,
    "/run/containers/storage/overlay-containers": False,
}

passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"PASS {name}")
    else:
        failed += 1
        print(f"FAIL {name}" + (f": {detail}" if detail else ""))
    return ok


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def kubectl_ok():
    """True when kubectl's kustomize knows components (3.7+, kubectl 1.21+); False when it is
    older (Debian bookworm's kubernetes-client is 1.20). None when there is no kubectl."""
    kubectl = shutil.which("kubectl")
    if not kubectl:
        check("kubectl", False, "kubectl not found: scripts/install-deps.sh installs it")
        return None
    v = run([kubectl, "version", "--client", "-o", "json"])
    info = {}
    try:
        info = json.loads(v.stdout)
    except ValueError:
        pass
    kv = info.get("kustomizeVersion", "")
    m = re.match(r"v(\d+)\.(\d+)", kv)
    cv = info.get("clientVersion", {}).get("gitVersion", "?")
    if not m or (int(m.group(1)), int(m.group(2))) < (3, 7):
        print(f"kubectl {cv} has kustomize {kv or 'v2 (built in before kubectl 1.21)'}, which "
              "predates components (kustomize 3.7+, kubectl 1.21+; Debian bookworm's "
              "kubernetes-client is 1.20)")
        return False
    print(f"kubectl {cv}, kustomize {kv}")
    return True


def render(path):
    name = "base" if path == K8S else os.path.basename(path)
    r = run(["kubectl", "kustomize", path])
    if not check(f"kubectl kustomize {os.path.relpath(path, ROOT)}", r.returncode == 0, r.stderr.strip()):
        return name, None
    dest = os.path.join(OUT, f"{name}.yaml")
    with open(dest, "w", encoding="utf-8") as fh:
        fh.write(r.stdout)
    return name, dest


def objects(path):
    with open(path, encoding="utf-8") as fh:
        return [o for o in yaml.safe_load_all(fh) if o]


def daemonset_checks(objs):
    ds = [o for o in objs if o["kind"] == "DaemonSet"]
    if not check("base has one DaemonSet", len(ds) == 1, f"found {len(ds)}"):
        return
    spec = ds[0]["spec"]["template"]["spec"]
    c = spec["containers"][0]
    sc = c.get("securityContext", {})
    caps = sc.get("capabilities", {})
    check("DaemonSet: not privileged", sc.get("privileged") in (None, False), f"privileged: {sc.get('privileged')}")
    check("DaemonSet: allowPrivilegeEscalation false", sc.get("allowPrivilegeEscalation") is False)
    check("DaemonSet: hostPID/hostNetwork/hostIPC off",
          not any(spec.get(k) for k in ("hostPID", "hostNetwork", "hostIPC")))
    check("DaemonSet: capabilities drop ALL", caps.get("drop") == ["ALL"], f"drop: {caps.get('drop')}")
    added = set(caps.get("add", []))
    check(f"DaemonSet: capabilities added only {sorted(ALLOWED_CAPS)}", added <= ALLOWED_CAPS,
          f"add: {sorted(added)}")
    check("DaemonSet: seccompProfile RuntimeDefault",
          sc.get("seccompProfile", {}).get("type") == "RuntimeDefault", f"{sc.get('seccompProfile')}")
    check("DaemonSet: readOnlyRootFilesystem", sc.get("readOnlyRootFilesystem") is True)
    res = c.get("resources", {})
    check("DaemonSet: requests and limits for cpu and memory",
          all(res.get(k, {}).get(r) for k in ("requests", "limits") for r in ("cpu", "memory")), f"{res}")
    check("DaemonSet: tolerates every taint", {"operator": "Exists"} in spec.get("tolerations", []))
    check("DaemonSet: no service account token", spec.get("automountServiceAccountToken") is False)
    ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz"), ("startupProbe", "/healthz")):
        g = c.get(probe, {}).get("httpGet", {})
        check(f"DaemonSet: {probe} GET {path} on the metrics port",
              g.get("path") == path and g.get("port") in ("metrics", ports.get("metrics")), f"{c.get(probe)}")
    vols = {v["name"]: v for v in spec.get("volumes", [])}
    host = {}
    for m in c.get("volumeMounts", []):
        v = vols.get(m["name"], {})
        if "hostPath" in v:
            host[v["hostPath"]["path"]] = (m["mountPath"], bool(m.get("readOnly")))
    check("DaemonSet: host paths are exactly those the exporter reads",
          set(host) == set(HOST_PATHS), f"mounted {sorted(host)}, expected {sorted(HOST_PATHS)}")
    for p, (mnt, ro) in sorted(host.items()):
        writable = HOST_PATHS.get(p, False)
        check(f"DaemonSet: {p} mounted at the same path, {'read-write' if writable else 'read-only'}",
              mnt == p and ro != writable, f"mountPath {mnt}, readOnly {ro}")
    cfg = vols.get("config", {}).get("configMap", {}).get("name")
    cms = {o["metadata"]["name"]: o for o in objs if o["kind"] == "ConfigMap"}
    check("DaemonSet: its config ConfigMap is rendered with config.yaml",
          cfg in cms and "config.yaml" in cms[cfg].get("data", {}), f"configMap {cfg}")


def dashboards_checks(objs):
    want = {os.path.basename(p) for p in glob.glob(os.path.join(ROOT, "dashboards", "*.json"))}
    got = {}
    for o in objs:
        if o["kind"] == "ConfigMap" and o["metadata"].get("labels", {}).get("grafana_dashboard") == "1":
            for k, v in o.get("data", {}).items():
                got[k] = v
    check("dashboards: one grafana_dashboard ConfigMap entry per dashboards/*.json",
          set(got) == want, f"ConfigMaps hold {sorted(got)}, dashboards/ has {sorted(want)}")
    for k, v in sorted(got.items()):
        with open(os.path.join(ROOT, "dashboards", k), encoding="utf-8") as fh:
            same = json.loads(v) == json.load(fh) if k in want else False
        check(f"dashboards: {k} in its ConfigMap is dashboards/{k}", same)


def prometheusrule_checks(rendered):
    r = run([sys.executable, os.path.join(ROOT, "scripts", "gen-prometheusrule.py"), "--check"])
    check("PrometheusRule: generated file matches deploy/prometheus (gen-prometheusrule.py --check)",
          r.returncode == 0, r.stdout[-3000:] + r.stderr)
    groups = []
    for f in sorted(glob.glob(os.path.join(ROOT, "deploy", "prometheus", "*.yaml"))):
        if not f.endswith("_test.yaml"):
            with open(f, encoding="utf-8") as fh:
                groups += yaml.safe_load(fh)["groups"]
    seen = False
    for name, path in rendered.items():
        for o in objects(path):
            if o["kind"] == "PrometheusRule":
                seen = True
                check(f"PrometheusRule in {name}: the groups of deploy/prometheus, unchanged",
                      o["spec"]["groups"] == groups)
    check("PrometheusRule: rendered by some example", seen)


def main():
    os.makedirs(OUT, exist_ok=True)
    components = kubectl_ok()
    if components is None:
        print(f"deploy.kustomize: {passed} passed, {failed} failed")
        return 1
    if not components:
        if os.environ.get("CI") == "true":
            # In CI everything runs: a skip there would hide a broken setup behind a green run.
            check("kubectl kustomize knows components (CI=true)", False, "install kubectl 1.21+")
            print(f"deploy.kustomize: {passed} passed, {failed} failed")
            return 1
        # The layout uses components and the labels field (kustomize 3.7+ and 4.1+): an older
        # kustomize renders none of it, the base included.
        print("SLE-DEPLOY-SKIPPED: deploy/kubernetes needs kustomize 3.7+ (kubectl 1.21+); "
              "install a newer kubectl to run this test")
        return 0
    rendered = {}
    for path in [K8S] + sorted(glob.glob(os.path.join(K8S, "examples", "*"))):
        name, dest = render(path)
        if dest:
            rendered[name] = dest
    # Every component is used by an example.
    used = set()
    for k in glob.glob(os.path.join(K8S, "examples", "*", "kustomization.yaml")):
        with open(k, encoding="utf-8") as fh:
            for c in yaml.safe_load(fh).get("components", []):
                used.add(os.path.basename(os.path.normpath(c)))
    for comp in sorted(os.listdir(os.path.join(K8S, "components"))):
        check(f"component {comp} is rendered by an example", comp in used)

    # Schemas.
    npm = run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=SCHEMA)
    if check("npm ci (tests/deploy/schema)", npm.returncode == 0, npm.stderr[-2000:]):
        v = run(["node", os.path.join(SCHEMA, "validate.js")] + list(rendered.values()), cwd=SCHEMA)
        for line in v.stdout.splitlines():
            if not line.startswith("ok"):
                print("    " + line)
        check("every rendered object is valid against its schema", v.returncode == 0, v.stderr[-2000:])
        # The schemas accept unknown properties: a misspelt field is caught by type-checking
        # each object against the packages' TypeScript interfaces (strict.js).
        t = run(["node", os.path.join(SCHEMA, "strict.js")] + list(rendered.values()), cwd=SCHEMA)
        for line in t.stdout.splitlines():
            print("    " + line)
        check("no rendered object has a field its type does not know", t.returncode == 0, t.stderr[-2000:])

    if "base" in rendered:
        base = objects(rendered["base"])
        daemonset_checks(base)
        dashboards_checks(base)
        kinds = sorted({o["kind"] for o in base})
        check("base: Namespace, ServiceAccount, ConfigMap, DaemonSet, Service",
              kinds == ["ConfigMap", "DaemonSet", "Namespace", "Service", "ServiceAccount"], f"{kinds}")
        svc = [o for o in base if o["kind"] == "Service"]
        check("base: the Service is headless", svc and svc[0]["spec"].get("clusterIP") == "None")
    prometheusrule_checks(rendered)
    print(f"deploy.kustomize: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
