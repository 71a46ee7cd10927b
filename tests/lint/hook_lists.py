#!/usr/bin/env python3
"""kHooks (exporter/hooks/hook_table.h) is the one list of hooks. C++ derives every other list
from it, and Python reads it (tests/deploy/lib/sle.py, hooks()); what can read neither is checked
against it here:

- Anywhere in the tree, a line that names all the hooks but at most one (as whole words) is a
  list of hooks. In code (C++, Python, shell) it is an error: derive it from kHooks. In the files
  below, which cannot include C++ (dashboards, the example config, the docs, the fuzz dictionary
  and corpus), it must name every hook.
- The recording rules record socket_lsm:<hook>_total:workload for every hook and sum the denials
  of every hook, the README's
  metrics table has a row socket_lsm_<hook>_total for every hook, the example config and the fuzz
  dictionary name every hook.

Each failure names the file and line and the hook missing. Run from the repository root.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "deploy", "lib"))
import sle  # noqa: E402

# Files that may spell the hooks out, because nothing there can read kHooks.
SPELLED_OUT = re.compile(r"^(README\.md|docs/.*\.md|dashboards/.*\.json|config/.*\.yaml|"
                         r"tests/fuzz/(dict|corpus)/.*|deploy/.*\.(yaml|json))$")

failures = []


def fail(where, what):
    failures.append(f"{where}: {what}")


def main():
    hooks = sle.hooks()
    if len(hooks) < 2:
        print(f"lint.hook_lists: read {hooks} from hook_table.h: the reading broke")
        return 1
    word = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(hooks) + r")(?![A-Za-z0-9_])")
    files = subprocess.run(["git", "ls-files"], capture_output=True, text=True, check=True).stdout.split()
    for path in files:
        if path in ("exporter/hooks/hook_table.h", "tests/lint/hook_lists.py"):
            continue
        try:
            with open(path, encoding="utf-8") as fh:
                lines = fh.read().splitlines()
        except (UnicodeDecodeError, IsADirectoryError, FileNotFoundError):
            continue
        for number, line in enumerate(lines, 1):
            named = set(word.findall(line))
            if len(named) < len(hooks) - 1:
                continue
            missing = [h for h in hooks if h not in named]
            if not SPELLED_OUT.match(path):
                fail(f"{path}:{number}", "a hard-coded list of the hooks: derive it from kHooks "
                     "(hooks/hook_table.h; Python: sle.hooks())")
            elif missing:
                fail(f"{path}:{number}", f"lists the hooks without {', '.join(missing)}")

    def every_hook_in(path, pattern, what):
        with open(path, encoding="utf-8") as fh:
            found = set(re.findall(pattern, fh.read(), re.M))
        for h in hooks:
            if h not in found:
                fail(path, f"no {what.format(h)}")

    every_hook_in("deploy/prometheus/workload.yaml", r"record: socket_lsm:(\w+)_total:workload",
                  "recording rule socket_lsm:{}_total:workload")
    every_hook_in("deploy/prometheus/denials.yaml", r'"hook", "(\w+)"',
                  "term for {} in socket_lsm:denied_by_pod:rate5m")
    every_hook_in("README.md", r"^\| `socket_lsm_(\w+)_total` \|", "row for socket_lsm_{}_total in the metrics table")
    every_hook_in("config/socket-lsm-exporter.yaml", r"^  (\w+):\n    enabled:", "entry hooks.{}")
    every_hook_in("tests/fuzz/dict/config.dict", r'^"(\w+)"$', 'entry "{}"')

    for f in failures:
        print(f"FAIL {f}")
    print(f"lint.hook_lists: {len(hooks)} hooks from kHooks, {len(failures)} problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
