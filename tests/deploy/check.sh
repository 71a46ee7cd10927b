#!/bin/bash
# Checks the deployment files against promtool and the metrics contract:
#   - promtool check rules on every deploy/prometheus/*.yaml except the *_test.yaml files;
#   - promtool test rules on every deploy/prometheus/*_test.yaml;
#   - every dashboards/*.json is valid JSON (python3 -m json.tool);
#   - every metric name, and every label name, used in the rules and dashboards is in the
#     README.md Metrics table (the contract), so a renamed metric or label breaks this check
#     rather than a dashboard. Recording-rule names (with ':') must be recorded in
#     deploy/prometheus; `up` (made by Prometheus) and the target labels job and instance are
#     allowed as well.
# Run from anywhere; exits non-zero when a check fails. Needs promtool (Debian: prometheus) and
# python3 (standard library only).
set -u
cd "$(dirname "$0")/../.." || exit 2

passed=0
failed=0

# run NAME COMMAND...: runs one check, prints its output indented, counts it.
run() {
  local name=$1
  shift
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [ -n "$out" ]; then
    printf '%s\n' "$out" | sed 's/^/    /'
  fi
  if [ "$rc" -eq 0 ]; then
    echo "PASS $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name (exit $rc)"
    failed=$((failed + 1))
  fi
}

missing_tool() {
  echo "$1 not found: $2" >&2
  return 1
}

PROMTOOL=$(command -v promtool || true)
PYTHON=$(command -v python3 || true)

rule_files=()
for f in deploy/prometheus/*.yaml; do
  case "$f" in
    *_test.yaml) ;;
    *) rule_files+=("$f") ;;
  esac
done
dashboards=(dashboards/*.json)

echo "== promtool check rules"
for f in "${rule_files[@]}"; do
  if [ -n "$PROMTOOL" ]; then
    run "promtool check rules $f" "$PROMTOOL" check rules "$f"
  else
    run "promtool check rules $f" missing_tool promtool "install the prometheus package"
  fi
done

echo "== promtool test rules"
for f in deploy/prometheus/*_test.yaml; do
  if [ -n "$PROMTOOL" ]; then
    run "promtool test rules $f" "$PROMTOOL" test rules "$f"
  else
    run "promtool test rules $f" missing_tool promtool "install the prometheus package"
  fi
done

echo "== dashboards are JSON"
for f in "${dashboards[@]}"; do
  if [ -n "$PYTHON" ]; then
    # shellcheck disable=SC2016  # $1 and $2 are the inner shell's arguments
    run "json $f" sh -c '"$1" -m json.tool "$2" >/dev/null' sh "$PYTHON" "$f"
  else
    run "json $f" missing_tool python3 "install python3"
  fi
done

# names KIND FILE: the metric and label names FILE uses are all in the README Metrics table.
names() {
  "$PYTHON" - "$@" README.md "${rule_files[@]}" <<'PY'
import json
import re
import sys

kind, path, readme = sys.argv[1], sys.argv[2], sys.argv[3]
rule_paths = sys.argv[4:]

TARGET_LABELS = {"job", "instance"}
PROMETHEUS_METRICS = {"up": set()}  # made by Prometheus for every target: no labels of its own
# Metrics of other exporters that the rules join with: kube-state-metrics' kube_pod_info
# (deploy/prometheus/workload.yaml), with the labels used.
FOREIGN_METRICS = {"kube_pod_info": {"uid", "namespace", "pod", "node"}}
# --- the contract: README.md, section "Metrics", first table -----------------------------
def contract(readme_path):
    text = open(readme_path, encoding="utf-8").read()
    m = re.search(r"^## Metrics\s*$(.*?)(?=^## )", text, re.M | re.S)
    if not m:
        sys.exit(f"{readme_path}: no '## Metrics' section")
    metrics = {}
    for line in m.group(1).splitlines():
        line = line.strip()
        if not line.startswith("|") or set(line) <= set("|-: "):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) < 2:
            continue
        names = re.findall(r"`([A-Za-z_:][A-Za-z0-9_:]*)`", cells[0])
        if not names:
            continue  # the header row
        # Labels: the words before the first ':', ';' or '(' (the rest is prose).
        head = re.split(r"[:;(]", cells[1], maxsplit=1)[0]
        labels = {w.strip() for w in head.split(",")}
        labels = {w for w in labels if re.fullmatch(r"[a-z_][a-z0-9_]*", w)}
        full = names[0]
        for n in names:
            if n.startswith("_"):
                # `_bpf_runs_total` after `socket_lsm_exporter_bpf_run_seconds_total`: the
                # shorthand's first segment locates the common prefix.
                seg = "_" + n.split("_")[1] + "_"
                i = full.find(seg)
                if i < 0:
                    sys.exit(f"{readme_path}: cannot expand {n} after {full}")
                n = full[:i] + n
            metrics[n] = labels
    if not metrics:
        sys.exit(f"{readme_path}: no metric names in the Metrics table")
    return metrics

METRICS = contract(readme)
METRICS.update(PROMETHEUS_METRICS)
METRICS.update(FOREIGN_METRICS)
ALL_LABELS = set().union(*METRICS.values()) | TARGET_LABELS

# --- recording rules defined in deploy/prometheus -----------------------------------------
RECORDED = set()
for p in rule_paths:
    for line in open(p, encoding="utf-8"):
        m = re.match(r"\s*(?:-\s+)?record:\s*['\"]?([A-Za-z_:][A-Za-z0-9_:]*)", line)
        if m:
            RECORDED.add(m.group(1))

# --- expressions ------------------------------------------------------------------------
def rule_exprs(p):
    """The expr values of a rules file, without a YAML library: `expr: x`, quoted, or a block
    scalar (| or >) whose lines are indented deeper than the key."""
    lines = open(p, encoding="utf-8").read().splitlines()
    out = []
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)(?:-\s+)?expr:\s*(.*?)\s*$", lines[i])
        i += 1
        if not m:
            continue
        indent, value = len(m.group(1)), m.group(2)
        if re.fullmatch(r"[|>][-+]?", value):
            body = []
            while i < len(lines) and (not lines[i].strip() or
                                      len(lines[i]) - len(lines[i].lstrip()) > indent):
                body.append(lines[i])
                i += 1
            value = "\n".join(body)
        elif value[:1] in "'\"":
            value = value[1:-1]
        if not value.strip():
            sys.exit(f"{p}: an expr could not be read")
        out.append(value)
    if not out:
        sys.exit(f"{p}: no expr found")
    return out


def dashboard_exprs(p):
    """(expr, where) pairs: panel targets, and variable queries (label_values(sel, label))."""
    try:
        d = json.load(open(p, encoding="utf-8"))
    except ValueError as e:
        sys.exit(f"{p}: not JSON: {e}")
    out = []

    def walk(o, where):
        if isinstance(o, dict):
            title = o.get("title", where)
            if isinstance(o.get("expr"), str):
                out.append((o["expr"], f"panel '{title}'"))
            for k, v in o.items():
                walk(v, title)
        elif isinstance(o, list):
            for v in o:
                walk(v, where)

    walk(d.get("panels", []), "")
    for v in d.get("templating", {}).get("list", []):
        q = v.get("query")
        if isinstance(q, dict):
            q = q.get("query")
        if v.get("type") == "query" and isinstance(q, str):
            out.append((q, f"variable '{v.get('name')}'"))
    return out, d


TOKEN = re.compile(r"""
    (?P<ws>\s+|\#[^\n]*)
  | (?P<str>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`)
  | (?P<var>\$\{[^}]*\}|\$\w+)
  | (?P<num>[0-9][0-9.]*(?:[eE][-+]?[0-9]+)?[a-zA-Z]*|\.[0-9]+)
  | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<op>=~|!~|!=|==|>=|<=|[-+*/%^<>=,(){}\[\]])
""", re.X)
KEYWORDS = {"and", "or", "unless", "offset", "bool", "inf", "nan", "Inf", "NaN", "atan2"}
GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}
# Aggregations can be followed by `by (...)` rather than by their argument: never metric names.
AGGREGATIONS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
                "bottomk", "topk", "quantile"}


def tokens(expr):
    pos, out = 0, []
    while pos < len(expr):
        m = TOKEN.match(expr, pos)
        if not m:
            raise ValueError(f"cannot read {expr[pos:pos + 20]!r}")
        pos = m.end()
        if m.lastgroup != "ws":
            out.append((m.lastgroup, m.group()))
    return out


def unquote(s):
    return s[1:-1]


def expand_name_regex(rx):
    """__name__=~"socket_lsm_(a|b)_total" -> the names it means: the one alternation group is
    expanded; any other regex must match at least one contract name."""
    m = re.fullmatch(r"([A-Za-z0-9_:]*)\(([A-Za-z0-9_:|]+)\)([A-Za-z0-9_:]*)", rx)
    if m:
        return [m.group(1) + alt + m.group(3) for alt in m.group(2).split("|")]
    if re.fullmatch(r"[A-Za-z0-9_:]+", rx):
        return [rx]
    hits = [n for n in METRICS if re.fullmatch(rx, n)]
    return hits or [f"<nothing matches {rx}>"]


def check_expr(expr, where, problems, used):
    label_of = None
    m = re.fullmatch(r"\s*label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*", expr, re.S)
    if m:
        expr, label_of = m.group(1), m.group(2)
    try:
        toks = tokens(expr)
    except ValueError as e:
        problems.append(f"{where}: {e}")
        return
    i = 0
    selector_names = []  # metric names of the last selector, for label_values

    def bad_metric(n):
        if ":" in n:
            return None if n in RECORDED else "recording rule not recorded in deploy/prometheus"
        return None if n in METRICS else "not in the README Metrics table"

    while i < len(toks):
        kind_, val = toks[i]
        nxt = toks[i + 1][1] if i + 1 < len(toks) else None
        if kind_ == "ident" and val in GROUPING and nxt == "(":
            j = i + 2
            while j < len(toks) and toks[j][1] != ")":
                if toks[j][0] == "ident" and toks[j][1] not in ALL_LABELS | {"__name__"}:
                    problems.append(f"{where}: {val} ({toks[j][1]}): no such label in the contract")
                j += 1
            i = j + 1
            continue
        if kind_ == "ident" and val == "offset":
            i += 2
            continue
        if kind_ == "ident" and nxt == "(":
            i += 1  # a function or an aggregation
            continue
        if kind_ == "ident" and (val in KEYWORDS or val in AGGREGATIONS):
            i += 1
            continue
        if val == "[":
            while i < len(toks) and toks[i][1] != "]":
                i += 1
            i += 1
            continue
        if (kind_ == "ident") or val == "{":
            names = [val] if kind_ == "ident" else []
            matchers = []
            if kind_ == "ident":
                i += 1
            if i < len(toks) and toks[i][1] == "{":
                j = i + 1
                while j < len(toks) and toks[j][1] != "}":
                    if toks[j][0] == "ident" and j + 2 < len(toks) and toks[j + 2][0] == "str":
                        matchers.append((toks[j][1], toks[j + 1][1], unquote(toks[j + 2][1])))
                        j += 3
                    else:
                        j += 1
                i = j + 1
            for lbl, op, value in matchers:
                if lbl == "__name__":
                    names += expand_name_regex(value) if op in ("=~",) else [value]
            if not names:
                problems.append(f"{where}: a selector without a metric name")
            for n in names:
                used.add(n)
                why = bad_metric(n)
                if why:
                    problems.append(f"{where}: {n}: {why}")
                    continue
                allowed = (METRICS.get(n, ALL_LABELS) if ":" not in n else ALL_LABELS) | TARGET_LABELS
                for lbl, _, _ in matchers:
                    if lbl != "__name__" and lbl not in allowed:
                        problems.append(f"{where}: {n}{{{lbl}}}: {n} has no label {lbl} in the contract")
            selector_names = names
            continue
        i += 1
    if label_of:
        for n in selector_names:
            allowed = (METRICS.get(n, set()) if ":" not in n else ALL_LABELS) | TARGET_LABELS
            if label_of not in allowed:
                problems.append(f"{where}: label_values(..., {label_of}): {n} has no label {label_of}")


problems, used = [], set()
if kind == "rules":
    for e in rule_exprs(path):
        check_expr(e, "expr " + " ".join(e.split())[:70], problems, used)
    text = open(path, encoding="utf-8").read()
    for lbl in sorted(set(re.findall(r"\$labels\.([A-Za-z_][A-Za-z0-9_]*)", text))):
        if lbl not in ALL_LABELS:
            problems.append(f"annotation uses $labels.{lbl}: no such label in the contract")
else:
    exprs, _ = dashboard_exprs(path)
    if not exprs:
        problems.append("no expressions found")
    for e, where in exprs:
        check_expr(e, where, problems, used)
    text = open(path, encoding="utf-8").read()
    for lbl in sorted(set(re.findall(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}", text))):
        if lbl not in ALL_LABELS:
            problems.append(f"legend uses {{{{{lbl}}}}}: no such label in the contract")

for p in problems:
    print(p)
print(f"{len(used)} metric names checked against {len(METRICS)} in README.md"
      + (f", {len(problems)} problems" if problems else ""))
sys.exit(1 if problems else 0)
PY
}

echo "== metric and label names are in the README.md Metrics table"
if [ -z "$PYTHON" ]; then
  run "names" missing_tool python3 "install python3"
elif [ ! -f README.md ]; then
  run "names" missing_tool README.md "the metrics contract is read from it"
else
  for f in "${rule_files[@]}"; do
    run "names $f" names rules "$f"
  done
  for f in "${dashboards[@]}"; do
    run "names $f" names dashboard "$f"
  done
fi

echo "deploy: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
