#!/usr/bin/env python3
"""Golden retrieval metrics from the ORIGINAL DemoVLP code (model/metric.py, inherited from Frozen-in-Time).

Runs t2v_metrics and v2t_metrics of showlab/DemoVLP (commit fc5a31d, from the checkout named by
DEMOVLP_SRC, never copied here) on small matrices with ties: a square one and a non-square one with two
captions per video (caption i belongs to video floor(i / 2), the original's convention). Writes
src/test/resources/golden/metrics.json. Needs numpy and scipy (Debian python3-numpy, python3-scipy); ipdb
comes from tools/stubs.

    DEMOVLP_SRC=/path/to/DemoVLP /usr/bin/python3 tools/make_metric_fixtures.py
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "stubs"))

import numpy as np  # noqa: E402

from demovlp_src import load_module, source_commit  # noqa: E402

SEED = 20261126
OUT = os.path.join(HERE, "..", "src", "test", "resources", "golden", "metrics.json")


def main():
    metric = load_module("model/metric.py", "demovlp_metric")
    commit = source_commit()
    rng = np.random.default_rng(SEED)
    cases = []
    # Scores on a coarse grid (multiples of 0.25) so that ties, including ties with the ground truth, occur.
    for name, (nt, nv) in [("square", (7, 7)), ("twoCaptionsPerVideo", (12, 6)), ("large", (60, 60))]:
        sims = np.round(rng.uniform(-1, 1, size=(nt, nv)) * 4) / 4
        t2v = metric.t2v_metrics(sims)
        v2t = metric.v2t_metrics(sims)
        cases.append({
            "name": name,
            "texts": nt,
            "videos": nv,
            "scores": sims.reshape(-1).tolist(),
            "t2v": {k: float(v) for k, v in t2v.items() if k != "cols"},
            "v2t": {k: float(v) for k, v in v2t.items() if k != "cols"},
        })
    out = {
        "generator": "tools/make_metric_fixtures.py",
        "source": "showlab/DemoVLP model/metric.py",
        "sourceCommit": commit,
        "numpy": np.__version__,
        "seed": SEED,
        "cases": cases,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
    print("wrote", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
