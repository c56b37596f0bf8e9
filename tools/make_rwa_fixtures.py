#!/usr/bin/env python3
"""Golden values for regionvlp's region-word alignment and losses, from the ORIGINAL DemoVLP code.

Runs showlab/DemoVLP's model/loss.py (commit fc5a31d) on small random inputs and writes
src/test/resources/golden/rwa.json. The original code is read from a plain checkout named by the
environment variable DEMOVLP_SRC; it is imported from there at run time and never copied into this
repository. loss.py needs only torch and numpy (Debian: apt-get install python3-torch
libopenblas0-pthread, then run with /usr/bin/python3).

    DEMOVLP_SRC=/path/to/DemoVLP /usr/bin/python3 tools/make_rwa_fixtures.py

Sizes are odd on purpose: 3 videos, 2 frames x 5 regions (R = 10 slots), 4 captions of 7 word slots,
width 16. Videos and captions have padded slots (additive -100 masks, as the model produces them).
"""
import json
import os

import numpy as np
import torch

from demovlp_src import flat, load_module, source_commit

SEED = 20261126
OUT = os.path.join(os.path.dirname(__file__), "..", "src", "test", "resources", "golden", "rwa.json")


def main():
    loss = load_module("model/loss.py", "demovlp_loss")
    commit = source_commit()
    torch.manual_seed(SEED)
    bv, r, bt, l, e = 3, 10, 4, 7, 16
    regions = torch.randn(bv, r, e)
    words = torch.randn(bt, l, e)
    # region validity: video v has v padded slots at the end; the loader mask is float64, as in the original
    region_valid = torch.ones(bv, r, dtype=torch.float64)
    for v in range(bv):
        if v:
            region_valid[v, r - v:] = 0
    region_mask = (region_valid - 1) * 100  # float64, additive
    word_valid = torch.zeros(bt, l)
    for t in range(bt):
        word_valid[t, : 3 + t] = 1
    word_mask = (word_valid - 1) * 100  # float32, additive
    rwa_focal = loss.RWALoss(lambda_softmax=20, focal_type="equal")
    rwa_plain = loss.RWALoss(lambda_softmax=20, focal_type="prob")
    s_focal = rwa_focal.get_sim(regions, words, region_mask, None, word_mask)
    s_plain = rwa_plain.get_sim(regions, words, region_mask, None, word_mask)
    # square case for the loss terms: the first 3 captions paired with the 3 videos
    sq_words, sq_mask = words[:bv], word_mask[:bv]
    local_loss = rwa_focal(regions, sq_words, region_mask, None, sq_mask)
    g = torch.nn.functional.normalize(torch.randn(bv, 8), dim=1) @ torch.nn.functional.normalize(
        torch.randn(bv, 8), dim=1).T
    global_loss = loss.NormSoftmaxLoss(0.05)(g)
    total = loss.GlobalLocalLoss(temperature=0.05, lambda_softmax=20, focal_type="equal")(
        g, regions, sq_words, region_mask, None, sq_mask)[0]

    out = {
        "generator": "tools/make_rwa_fixtures.py",
        "source": "showlab/DemoVLP model/loss.py",
        "sourceCommit": commit,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "seed": SEED,
        "shapes": {"videos": bv, "regionSlots": r, "captions": bt, "wordSlots": l, "dim": e},
        "regions": flat(regions),
        "regionMask": flat(region_mask),
        "words": flat(words),
        "wordMask": flat(word_mask),
        "simFocal": flat(s_focal.detach()),
        "simNoFocal": flat(s_plain.detach()),
        "globalSim": flat(g),
        "globalLoss": float(global_loss),
        "localLoss": float(local_loss),
        "totalLoss": float(total),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
    print("wrote", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
