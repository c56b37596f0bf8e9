#!/usr/bin/env python3
"""Writes the float32 -> float16 golden file read by regionvlp.data.FeatureStoreTest.

Run from the repository root:  python3 tools/make_half_fixtures.py
Output: src/test/resources/golden/float16.json: float32 bit patterns and the float16 bit patterns numpy's
astype(np.float16) gives for them (round to nearest, ties to even), with the numpy version and seed.
The values cover every exponent of the half range, exact halfway points between neighbouring halves,
subnormals, the overflow threshold (65504, 65520) and the special values.
"""
import json
import os

import numpy as np

SEED = 20261126
OUT = os.path.join("src", "test", "resources", "golden", "float16.json")


def main():
    rng = np.random.default_rng(SEED)
    values = []
    # Random values over the exponents of the half range and a little beyond (both signs).
    exps = rng.integers(-30, 18, 600)
    values += list((rng.uniform(1, 2, 600) * np.exp2(exps.astype(np.float64)) * rng.choice([-1, 1], 600)))
    # Exact halfway points between neighbouring halves (ties), normal and subnormal, and their neighbours.
    halves = rng.integers(0, 0x7bff, 300).astype(np.uint16)
    lo = halves.view(np.float16).astype(np.float32)
    hi = (halves + 1).view(np.float16).astype(np.float32)
    mid = ((lo.astype(np.float64) + hi.astype(np.float64)) / 2).astype(np.float32)
    values += list(mid) + list(np.nextafter(mid, np.float32(np.inf))) + list(np.nextafter(mid, np.float32(0)))
    specials = [0.0, -0.0, 1.0, -1.0, 65504.0, 65519.99, 65520.0, -65520.0, 1e6, 2.0 ** -14, 2.0 ** -24,
                2.0 ** -25, 2.0 ** -25 * 1.0000001, 2.0 ** -26, 3 * 2.0 ** -25, 6.1e-5, 1e-8, 0.1, 1 / 3,
                np.inf, -np.inf]
    values += specials
    f32 = np.array(values, dtype=np.float64).astype(np.float32)
    f16 = f32.astype(np.float16)
    doc = {
        "generator": "tools/make_half_fixtures.py",
        "reference": "numpy ndarray.astype(np.float16)",
        "numpy": np.__version__,
        "seed": SEED,
        "float32Bits": [int(b) for b in f32.view(np.uint32)],
        "float16Bits": [int(b) for b in f16.view(np.uint16)],
    }
    with open(OUT, "w") as fh:
        json.dump(doc, fh, indent=0)
        fh.write("\n")
    print("wrote %s: %d values, numpy %s" % (OUT, len(values), np.__version__))


if __name__ == "__main__":
    main()
