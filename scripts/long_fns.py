#!/usr/bin/env python3
"""Functions longer than N lines (default 60) in src/, for the architecture counts.

Method: rustfmt'd code closes a function body with `}` at the indentation of its
`fn` line; the length is the line span from the `fn` line to that brace, inclusive.
Usage: python3 scripts/long_fns.py [N] [dir]
"""
import os
import re
import sys

limit = int(sys.argv[1]) if len(sys.argv) > 1 else 60
root = sys.argv[2] if len(sys.argv) > 2 else "src"
fn_re = re.compile(r"^(\s*)(pub(\([^)]*\))?\s+)?(const\s+)?(async\s+)?(unsafe\s+)?fn\s+(\w+)")
found = []
for dirpath, _, files in os.walk(root):
    for name in files:
        if not name.endswith(".rs"):
            continue
        path = os.path.join(dirpath, name)
        lines = open(path, encoding="utf-8").read().split("\n")
        for i, line in enumerate(lines):
            m = fn_re.match(line)
            if not m:
                continue
            indent = m.group(1)
            body = False
            for j in range(i, len(lines)):
                if not body:
                    if lines[j].rstrip().endswith(";"):
                        break  # a declaration without a body
                    if lines[j].rstrip().endswith("{"):
                        body = True
                if lines[j] == indent + "}":
                    n = j - i + 1
                    if n > limit:
                        found.append((n, path, i + 1, m.group(7)))
                    break
found.sort(reverse=True)
for n, path, line, fn in found:
    print(f"{n:4} {path}:{line} {fn}")
print(f"{len(found)} function(s) over {limit} lines", file=sys.stderr)
