#!/usr/bin/env python3
"""Decode a run's latency.hlog with the Python HdrHistogram reader (PyPI `hdrhistogram`,
imported as `hdrh`) and check that its counts per tag equal summary.json's per operation,
and those of the per-profile tags (`<operation>[.service]@<profile>`, the name percent-encoded)
summary.json's `profiles`.

usage: hlog_check.py RUN_DIR     exit 0 when every count matches, 1 otherwise."""
import json
import sys
from collections import defaultdict
from urllib.parse import quote

from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader


def main(run_dir):
    reference = HdrHistogram(1, 3_600_000_000, 3)
    reader = HistogramLogReader(f"{run_dir}/latency.hlog", reference)
    counts = defaultdict(int)
    intervals = 0
    while True:
        hist = reader.get_next_interval_histogram()
        if hist is None:
            break
        intervals += 1
        counts[hist.get_tag()] += hist.get_total_count()
    with open(f"{run_dir}/summary.json") as f:
        summary = json.load(f)
    problems = []
    expected = set()
    figures = [("", summary)] + [
        ("@" + quote(name, safe="!$&'()*+;=:@/?~"), p) for name, p in summary.get("profiles", {}).items()
    ]
    for suffix, f in figures:
        for op, n in f["requests"]["by_operation"].items():
            views = ((op, n), (op + ".service", f["service_time_ms"][op]["count"]))
            for tag, want in ((t + suffix, w) for t, w in views):
                expected.add(tag)
                if counts.get(tag, 0) != want:
                    problems.append(f"{tag}: hlog {counts.get(tag, 0)} != summary.json {want}")
    extra = set(counts) - expected
    problems += [f"{tag}: in the hlog only" for tag in sorted(extra)]
    if intervals == 0:
        problems.append("no interval histograms decoded")
    for p in problems:
        print(f"hlog_check: {p}", file=sys.stderr)
    print(f"hlog_check: {intervals} interval histograms, tags {dict(sorted(counts.items()))}")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
