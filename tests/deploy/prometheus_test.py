#!/usr/bin/python3
"""deploy.prometheus: every dashboard query and every rule, evaluated by a real Prometheus fed by
a real scrape.

- The exporter (read_interval 1s) runs on loopback while a workload (tests/deploy/lib/
  workload.py) runs in a pod-shaped cgroup, so its series carry pod_uid and container_id.
- kube_pod_info for that pod, as kube-state-metrics would export it, is a static file served by
  `python3 -m http.server`, so the workload recording rules (deploy/prometheus/workload.yaml)
  name the pod through the kube_pod_info join.
- Debian's prometheus scrapes both every second, with every rule file of deploy/prometheus
  loaded (group intervals set to 1s so the test need not wait minutes).
- Through the HTTP API (/api/v1/query), every panel query of every dashboard runs with its
  variables substituted ($__rate_interval=1m, $__range=5m, $namespace/$pod = the workload's,
  other variables .*), and every variable query (label_values) resolves; the workload's
  namespace and pod must be among the values. Every query must run without error; every panel
  listed in FED below must return data (a panel in neither FED nor NOT_FED fails: classify it).
- Every alerting and recording rule's expression runs without error, Prometheus reports every
  rule healthy, the workload records exist for all six hooks, and the privileged-port and raw
  socket alerts fire for the workload's pod.

Usage: prometheus_test.py EXPORTER_BINARY WORK_DIR"""
import glob
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import sle  # noqa: E402

import yaml  # noqa: E402

NAMESPACE, POD = "sle-test", "workload-0"

# Per dashboard file: panels the workload feeds (must return data) and panels it cannot feed.
FED = {
    "socket-lsm-exporter.json": {
        "Hook calls per second by hook", "Current rate per hook",
        "Sockets created by family / type / protocol", "Raw and packet sockets created, by cgroup",
        "Binds by local port", "Privileged-port binds since exporter start",
        "Connects by peer class", "Connects by remote port", "Listens by port", "Accepts by port",
        "setsockopt by level / option", "setsockopt options in the time range",
        "Top cgroups by socket hook calls", "Top pods by socket hook calls",
        "Top cgroups per hook in the time range",
    },
    "socket-lsm-exporter-health.json": {
        "Hook calls per second, by hook and backend", "Attached hooks", "Hooks attached by backend",
        "Build info", "Map fill (entries / capacity)", "Map entries and capacity", "Map overflow rate",
        "Map read duration", "Time since last read", "Read errors", "Exporter CPU",
        "Exporter resident memory", "Exporter open file descriptors",
    },
    "socket-lsm-workload.json": {
        "Containers of the pod", "Socket hook calls per second, by hook", "Binds by local port",
        "Bound and listening ports in the time range", "Listens and accepts by port",
        "Connects by peer class", "Connects by peer class and port in the time range",
        "Sockets created by family / type / protocol", "setsockopt by level / option",
        "Socket options set in the time range (security-relevant marked)",
        "Security-relevant socket options",
    },
}
# This host's backend (tracepoint) cannot see the LSMs' verdict: every outcome is unknown, so
# the denial panels get nothing (their rules are tested with promtool, denials_test.yaml; the
# QEMU suite counts real denials).
NO_VERDICT = "the host's tracepoint backend cannot see the LSMs' verdict (outcome unknown)"
NOT_FED = {
    "socket-lsm-exporter.json": {
        "Connects to public addresses, by cgroup and port": "the test connects on loopback only",
        "Denied by workload": NO_VERDICT,
    },
    "socket-lsm-workload.json": {
        "Connects to public addresses, by port": "the test connects on loopback only",
        "Denied calls, by hook and errno": NO_VERDICT,
    },
}
VARIABLES = {"__rate_interval": "1m", "__interval": "15s", "__range": "5m",
             "namespace": NAMESPACE, "pod": POD}
EXPECTED_VARIABLE_VALUES = {"namespace": NAMESPACE, "pod": POD}


DASHBOARD_VARIABLES = set()  # the templating variables of the dashboard being checked


def substitute(expr):
    """Grafana's interpolation: $name and ${name} of a dashboard or built-in variable; anything
    else ($1 in label_replace, say) stays as it is."""
    def repl(m):
        name = m.group(1) or m.group(2)
        if name in VARIABLES:
            return VARIABLES[name]
        return ".*" if name in DASHBOARD_VARIABLES else m.group(0)
    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)", repl, expr)


def panels(dash):
    for p in dash.get("panels", []):
        yield p
        yield from p.get("panels", [])


class Prom:
    def __init__(self, url):
        self.url = url

    def get(self, path, **params):
        q = urllib.parse.urlencode(params, doseq=True)
        status, body = sle.http_get(f"{self.url}{path}?{q}", timeout=30)
        try:
            return status, json.loads(body)
        except ValueError:
            return status, {"status": "error", "error": body[:300]}

    def query(self, expr):
        return self.get("/api/v1/query", query=expr)


def main():
    sle.require_root()
    binary = sle.exporter_binary(sys.argv[1])
    work = os.path.abspath(sys.argv[2])
    os.makedirs(work, exist_ok=True)
    prometheus = sle.which("prometheus")
    if not prometheus:
        raise SystemExit("prometheus not found: scripts/install-deps.sh installs it")
    check = sle.Checks("deploy.prometheus")

    # The exporter's config: the default one, read every second.
    with open(os.path.join(sle.ROOT, "config/socket-lsm-exporter.yaml")) as fh:
        cfg = re.sub(r"(?m)^read_interval:.*$", "read_interval: 1s", fh.read())
    cfg_path = os.path.join(work, "exporter.yaml")
    with open(cfg_path, "w") as fh:
        fh.write(cfg)

    rules_dir = os.path.join(work, "rules")
    os.makedirs(rules_dir, exist_ok=True)
    for old in glob.glob(os.path.join(rules_dir, "*.yaml")):
        os.remove(old)
    rule_exprs = []
    for f in sorted(glob.glob(os.path.join(sle.ROOT, "deploy/prometheus/*.yaml"))):
        if f.endswith("_test.yaml"):
            continue
        with open(f) as fh:
            doc = yaml.safe_load(fh)
        for g in doc["groups"]:
            g["interval"] = "1s"
            for r in g["rules"]:
                rule_exprs.append((os.path.basename(f), r.get("alert") or r.get("record"), r["expr"]))
        with open(os.path.join(rules_dir, os.path.basename(f)), "w") as fh:
            yaml.safe_dump(doc, fh, sort_keys=False)

    with sle.PodCgroup() as cg, \
            sle.Exporter(binary, f"--config.file={cfg_path}", log=os.path.join(work, "exporter.log")) as ex:
        if not check("the exporter starts", ex.wait_serving(), ex.log_tail()):
            return check.finish()
        # kube-state-metrics' view of the workload's pod.
        ksm_dir = os.path.join(work, "ksm")
        os.makedirs(ksm_dir, exist_ok=True)
        with open(os.path.join(ksm_dir, "metrics"), "w") as fh:
            fh.write("# HELP kube_pod_info Information about pod.\n# TYPE kube_pod_info gauge\n"
                     f'kube_pod_info{{namespace="{NAMESPACE}",pod="{POD}",uid="{cg.pod_uid}",'
                     'node="test-node",host_ip="127.0.0.1",pod_ip="127.0.0.1",created_by_kind="StatefulSet",'
                     'created_by_name="workload",priority_class="",host_network="false"} 1\n')
        ksm_port = sle.free_port()
        ksm = subprocess.Popen(["/usr/bin/python3", "-m", "http.server", "--bind", "127.0.0.1",
                                "--directory", ksm_dir, str(ksm_port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        prom_port = sle.free_port()
        prom_cfg = {
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
            "rule_files": [os.path.join(rules_dir, "*.yaml")],
            "scrape_configs": [
                {"job_name": "socket-lsm-exporter",
                 "static_configs": [{"targets": [f"127.0.0.1:{ex.port}"], "labels": {"node": "test-node"}}]},
                {"job_name": "kube-state-metrics", "honor_labels": True,
                 "static_configs": [{"targets": [f"127.0.0.1:{ksm_port}"]}]},
            ],
        }
        with open(os.path.join(work, "prometheus.yml"), "w") as fh:
            yaml.safe_dump(prom_cfg, fh)
        tsdb = os.path.join(work, "tsdb")
        subprocess.run(["rm", "-rf", tsdb])
        plog = open(os.path.join(work, "prometheus.log"), "w")
        prom = subprocess.Popen([prometheus, f"--config.file={os.path.join(work, 'prometheus.yml')}",
                                 f"--storage.tsdb.path={tsdb}", f"--web.listen-address=127.0.0.1:{prom_port}"],
                                stdout=plog, stderr=subprocess.STDOUT)
        workload = sle.start_workload(cg.abspath, "--iterations", "400", "--interval", "0.25")
        P = Prom(f"http://127.0.0.1:{prom_port}")
        try:
            ready = sle.wait_for(lambda: sle.http_get(P.url + "/-/ready")[0] == 200, 30)
            if not check("prometheus is ready", ready, ""):
                return check.finish()

            def fed():
                _, r = P.query(f'min(count_over_time(socket_lsm_bind_total{{pod_uid="{cg.pod_uid}"}}[1m])) >= 8 '
                               f'and on () count(socket_lsm:bind_total:workload{{namespace="{NAMESPACE}", pod="{POD}"}}) > 0')
                return r.get("status") == "success" and r["data"]["result"]

            t0 = time.time()
            check("scrapes and the workload recording rules have data", sle.wait_for(fed, 60),
                  "no socket_lsm_bind_total for the pod, or no socket_lsm:bind_total:workload for it")
            print(f"    data after {time.time() - t0:.0f} s")

            # Dashboards.
            for path in sorted(glob.glob(os.path.join(sle.ROOT, "dashboards/*.json"))):
                name = os.path.basename(path)
                with open(path) as fh:
                    dash = json.load(fh)
                DASHBOARD_VARIABLES.clear()
                DASHBOARD_VARIABLES.update(v["name"] for v in dash.get("templating", {}).get("list", []))
                for v in dash.get("templating", {}).get("list", []):
                    q = v.get("query")
                    q = q.get("query") if isinstance(q, dict) else q
                    if v.get("type") != "query" or not isinstance(q, str):
                        continue
                    m = re.fullmatch(r"\s*label_values\((.*),\s*(\w+)\s*\)\s*", q, re.S)
                    if not check(f"{name}: variable {v['name']} is a label_values() query", m, q):
                        continue
                    st, r = P.get(f"/api/v1/label/{m.group(2)}/values", **{"match[]": substitute(m.group(1))})
                    vals = r.get("data") or []
                    want = EXPECTED_VARIABLE_VALUES.get(v["name"])
                    check(f"{name}: variable {v['name']} resolves" + (f" and offers {want}" if want else ""),
                          r.get("status") == "success" and vals and (want is None or want in vals),
                          f"HTTP {st}: {r.get('error', '')} values {vals[:10]}")
                seen = set()
                for p in panels(dash):
                    if p.get("type") == "row":
                        continue
                    title = p.get("title")
                    seen.add(title)
                    fed_panel = title in FED.get(name, set())
                    if not fed_panel and title not in NOT_FED.get(name, {}):
                        check(f"{name}: panel '{title}' is classified in FED or NOT_FED", False)
                        continue
                    got_data, errors = False, []
                    for t in p.get("targets", []):
                        expr = substitute(t["expr"])
                        st, r = P.query(expr)
                        if r.get("status") != "success":
                            errors.append(f"{expr}: HTTP {st} {r.get('errorType', '')} {r.get('error', '')}")
                        elif r["data"]["result"]:
                            got_data = True
                    check(f"{name}: panel '{title}' runs" + (" and returns data" if fed_panel else
                                                             f" (no data expected: {NOT_FED[name][title]})"),
                          not errors and (got_data or not fed_panel),
                          "; ".join(errors) or ("no data for: " + " | ".join(substitute(t["expr"]) for t in p.get("targets", []))))
                for title in FED.get(name, set()) - seen:
                    check(f"{name}: panel '{title}' listed in FED exists", False)

            # Rules.
            for f, rname, expr in rule_exprs:
                st, r = P.query(expr)
                check(f"{f}: {rname} runs", r.get("status") == "success",
                      f"{expr}: HTTP {st} {r.get('error', '')}")
            _, r = P.get("/api/v1/rules")
            bad = [(ru["name"], ru.get("lastError")) for g in r["data"]["groups"] for ru in g["rules"]
                   if ru.get("health") != "ok"]
            n_rules = sum(len(g["rules"]) for g in r["data"]["groups"])
            check(f"prometheus: all {n_rules} rules healthy", not bad and n_rules == len(rule_exprs), f"{bad}")
            for hook in sle.hooks():
                _, r = P.query(f'socket_lsm:{hook}_total:workload{{namespace="{NAMESPACE}", pod="{POD}", '
                               f'pod_uid="{cg.pod_uid}", container_id="{cg.container_id}", cgroup="{cg.path}"}}')
                check(f"socket_lsm:{hook}_total:workload names the pod {NAMESPACE}/{POD}",
                      r.get("status") == "success" and r["data"]["result"])
            _, r = P.get("/api/v1/alerts")
            firing = {(a["labels"]["alertname"]) for a in r["data"]["alerts"]
                      if a["labels"].get("pod_uid") == cg.pod_uid}
            for alert in ("SocketLsmPrivilegedPortBind", "SocketLsmUnexpectedRawSocket"):
                check(f"{alert} fires for the workload's pod", alert in firing, f"firing for the pod: {sorted(firing)}")
        finally:
            workload.kill()
            workload.wait()
            for proc in (prom, ksm):
                proc.terminate()
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
            plog.close()
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
