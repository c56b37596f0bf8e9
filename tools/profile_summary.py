#!/usr/bin/python3
"""Summarises a PyTorch profiler chrome trace, as `regionvlp bench train --profile FILE` writes it.

Per operator name: calls, total self time (its duration minus that of the operators nested in it on the
same thread) and share of the traced window; then the window itself split into time inside top-level
operators and time between them (Java, JNI and DJL bookkeeping). With --shapes, rows are split by input
shapes too. Usage: tools/profile_summary.py TRACE.json [--top 40] [--shapes]
"""
import argparse
import collections
import json


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("trace")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--shapes", action="store_true", help="group by name and input shapes")
    a = ap.parse_args()
    with open(a.trace) as f:
        events = [e for e in json.load(f) if e.get("ph") == "X"]
    by_tid = collections.defaultdict(list)
    for e in events:
        by_tid[e["tid"]].append(e)
    self_us = collections.Counter()
    calls = collections.Counter()
    top_level_us = 0.0
    start = min(e["ts"] for e in events)
    end = max(e["ts"] + e["dur"] for e in events)
    for tid, evs in by_tid.items():
        evs.sort(key=lambda e: (e["ts"], -e["dur"]))
        stack = []  # [end, key, child_time]
        for e in evs:
            key = e["name"] + (" " + json.dumps(e.get("shape", "")) if a.shapes else "")
            while stack and e["ts"] >= stack[-1][0] - 1e-3:
                done = stack.pop()
                self_us[done[1]] += done[3] - done[2]
            if stack:
                stack[-1][2] += e["dur"]
            else:
                top_level_us += e["dur"]
            stack.append([e["ts"] + e["dur"], key, 0.0, e["dur"]])
            calls[key] += 1
        while stack:
            done = stack.pop()
            self_us[done[1]] += done[3] - done[2]
    window = end - start
    total_self = sum(self_us.values())
    print(f"traced window {window / 1e3:.1f} ms; inside top-level operators {top_level_us / 1e3:.1f} ms "
          f"({100 * top_level_us / window:.1f}%), between them {(window - top_level_us) / 1e3:.1f} ms; "
          f"{sum(calls.values())} operator calls")
    print(f"{'self ms':>10} {'%':>6} {'calls':>7}  operator")
    for key, us in self_us.most_common(a.top):
        print(f"{us / 1e3:10.1f} {100 * us / total_self:6.1f} {calls[key]:7d}  {key}")


if __name__ == "__main__":
    main()
