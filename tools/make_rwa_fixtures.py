#!/usr/bin/env python3
"""Golden values for regionvlp's G, region-word alignment, losses and test-time scores, from the ORIGINAL
DemoVLP code.

Runs showlab/DemoVLP's model/loss.py and model/model.py's sim_matrix (commit fc5a31d) on small random
inputs and writes src/test/resources/golden/rwa.json. The original code is read from a plain checkout named
by the environment variable DEMOVLP_SRC; it is imported from there at run time and never copied into this
repository. It needs only torch and numpy (Debian: apt-get install python3-torch libopenblas0-pthread, then
run with /usr/bin/python3); model.py's other imports are satisfied as demovlp_src.load_model_module says.

What it records:
- S with and without the focal filter (RWALoss.get_sim), and its two directions separately: A (i2t_sim,
  words attend over regions) and B (t2i_sim transposed, regions attend over words), captured from inside
  the original xattn_score_fast by recording its two cosine_similarity results (then .mean(-1), as it does).
- The same for a crafted case ("pointed") whose padded slots point along the words, so that they would
  dominate the attention if the masks were weaker than the original's -100.
- G = sim_matrix(text globals, video globals) on a non-square case (4 captions x 3 videos).
- The loss terms on the square case (first 3 captions): NormSoftmaxLoss, RWALoss and GlobalLocalLoss with
  both terms, global only and local only, fed as trainer/trainer_dist.py feeds them.
- Test-time scores as trainer/trainer_dist.py _valid_epoch composes them, on a second input set of 4 videos
  and 6 captions ("eval"): sim_matrix(...).numpy() + RWALoss.get_sim_by_segment(...) on the square case
  (first 4 captions), the error numpy raises for that addition on the non-square case, and the non-square S
  from get_sim_by_segment with G + S^T (our consistent orientation, METHOD.md 5.2 / G1) built from it.
  Shards hold 2 items, so the original's sharding is exercised; it breaks on one-item shards (METHOD.md
  G18), hence the even counts.

    DEMOVLP_SRC=/path/to/DemoVLP /usr/bin/python3 tools/make_rwa_fixtures.py

Sizes are odd on purpose: 3 videos, 2 frames x 5 regions (R = 10 slots), 4 captions of 7 word slots,
width 16, global width 8. Videos and captions have padded slots (additive -100 masks, as the model produces
them); padded slots hold random vectors, so any slot that leaks through a mask changes the result.
"""
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "stubs"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from demovlp_src import flat, load_model_module, load_module, source_commit  # noqa: E402

SEED = 20261126
OUT = os.path.join(HERE, "..", "src", "test", "resources", "golden", "rwa.json")


def local_inputs(bv, r, bt, l, e):
    """Random local embeddings with padded slots: video v has v % 3 padded region slots at the end (mask in
    float64, as the loader delivers it), caption t has 3 + t % 4 real word slots (mask in float32)."""
    regions = torch.randn(bv, r, e)
    words = torch.randn(bt, l, e)
    region_valid = torch.ones(bv, r, dtype=torch.float64)
    for v in range(bv):
        if v % 3:
            region_valid[v, r - v % 3:] = 0
    region_mask = (region_valid - 1) * 100  # float64, additive
    word_valid = torch.zeros(bt, l)
    for t in range(bt):
        word_valid[t, : 3 + t % 4] = 1
    word_mask = (word_valid - 1) * 100  # float32, additive
    word_length = word_valid.sum(1).long()  # text_length; passed along, unused by the original
    return regions, region_mask, words, word_mask, word_length


def pointed_inputs(r, l, e):
    """2 videos x 2 captions where masks must do real work: word slots point along basis vectors; video 0's
    6 real regions point against every word and its 4 padded slots along words 0..3, video 1's 2 padded
    slots along words 4 and 5. Words attending over video 0 would pick the padded slots unless the -100 mask
    holds them off (a mask of -1, i.e. a logit shift of 20, does not: S changes sign)."""
    basis = torch.eye(e)[:l]
    words = basis.repeat(2, 1, 1) + 0.05 * torch.randn(2, l, e)
    word_valid = torch.zeros(2, l)
    word_valid[0] = 1
    word_valid[1, :4] = 1
    regions = 0.3 * torch.randn(2, r, e)
    regions[0, :6] = -basis.sum(0) / math.sqrt(l) + 0.05 * torch.randn(6, e)
    regions[0, 6:] = basis[:4] + 0.05 * torch.randn(4, e)
    regions[1, r - 2:] = basis[4:6] + 0.05 * torch.randn(2, e)
    region_valid = torch.ones(2, r, dtype=torch.float64)
    region_valid[0, 6:] = 0
    region_valid[1, r - 2:] = 0
    return regions, (region_valid - 1) * 100, words, (word_valid - 1) * 100, word_valid.sum(1).long()


def focal_directions(loss, rwa, regions, words, region_mask, word_length, word_mask):
    """S = rwa.get_sim(...) and its directions A (i2t_sim) and B (t2i_sim^T), [videos, captions] each,
    captured from inside the original xattn_score_fast by recording its two cosine_similarity results."""
    original_cosine = loss.cosine_similarity
    recorded = []

    def recording_cosine(*args, **kwargs):
        out = original_cosine(*args, **kwargs)
        recorded.append(out)
        return out

    loss.cosine_similarity = recording_cosine
    try:
        s = rwa.get_sim(regions, words, region_mask, word_length, word_mask)
    finally:
        loss.cosine_similarity = original_cosine
    if len(recorded) != 2:
        sys.exit("expected xattn_score_fast to call cosine_similarity twice, saw %d" % len(recorded))
    i2t = recorded[0].mean(dim=-1)  # [videos, captions]
    t2i = recorded[1].mean(dim=-1).T  # [captions, videos] -> [videos, captions]
    if not torch.equal(i2t + t2i, s):
        sys.exit("recorded directions do not add up to get_sim's S")
    return s, i2t, t2i


def main():
    loss = load_module("model/loss.py", "demovlp_loss")
    model_py = load_model_module()
    commit = source_commit()
    torch.manual_seed(SEED)
    bv, r, bt, l, e, eg = 3, 10, 4, 7, 16, 8
    regions, region_mask, words, word_mask, word_length = local_inputs(bv, r, bt, l, e)
    rwa_focal = loss.RWALoss(lambda_softmax=20, focal_type="equal")
    rwa_plain = loss.RWALoss(lambda_softmax=20, focal_type="prob")

    # S, and its directions as xattn_score_fast computes them before `sim = t2i_sim.T + i2t_sim`.
    s_focal, i2t, t2i = focal_directions(loss, rwa_focal, regions, words, region_mask, word_length, word_mask)
    s_plain = rwa_plain.get_sim(regions, words, region_mask, word_length, word_mask)

    # G, non-square: 4 captions x 3 videos.
    text_global = torch.randn(bt, eg)
    video_global = torch.randn(bv, eg)
    g_all = model_py.sim_matrix(text_global, video_global)

    # Loss terms on the square case: the first bv captions paired with the bv videos (trainer_dist.py).
    sq = slice(0, bv)
    g_sq = model_py.sim_matrix(text_global[sq], video_global)
    global_loss = loss.NormSoftmaxLoss(0.05)(g_sq)
    local_loss = rwa_focal(regions, words[sq], region_mask, word_length[sq], word_mask[sq])
    totals = {}
    for name, use_global, use_local in [("both", True, True), ("globalOnly", True, False),
                                        ("localOnly", False, True)]:
        totals[name] = float(loss.GlobalLocalLoss(temperature=0.05, lambda_softmax=20, focal_type="equal",
                                                  use_global=use_global, use_local=use_local)(
            g_sq, regions, words[sq], region_mask, word_length[sq], word_mask[sq])[0])

    # Test-time scores (trainer_dist.py _valid_epoch): o2t_sims = sim_matrix(text, video) + get_sim_by_segment.
    # Shards of 2 items; the original breaks on a one-item shard (G18), so this case has 4 videos, 6 captions.
    ev, ec = 4, 6
    ev_regions, ev_region_mask, ev_words, ev_word_mask, ev_word_length = local_inputs(ev, r, ec, l, e)
    ev_text_global = torch.randn(ec, eg)
    ev_video_global = torch.randn(ev, eg)
    esq = slice(0, ev)
    g_eval_sq = model_py.sim_matrix(ev_text_global[esq], ev_video_global).detach().cpu().numpy()
    s_eval_sq = rwa_focal.get_sim_by_segment(ev_regions, ev_words[esq], ev_region_mask, ev_word_length[esq],
                                             ev_word_mask[esq], segment=2, device="cpu")
    faithful = g_eval_sq + s_eval_sq
    g_eval_all = model_py.sim_matrix(ev_text_global, ev_video_global).detach().cpu().numpy()
    s_eval_all = rwa_focal.get_sim_by_segment(ev_regions, ev_words, ev_region_mask, ev_word_length,
                                              ev_word_mask, segment=2, device="cpu")  # [videos, captions]
    try:
        g_eval_all + s_eval_all
        sys.exit("expected the original addition to fail on a non-square matrix")
    except ValueError as err:
        non_square_error = str(err)
    consistent = g_eval_all + s_eval_all.T

    # Padded slots that would win without the masks (drawn last, so the values above keep their seeds).
    p_regions, p_region_mask, p_words, p_word_mask, p_word_length = pointed_inputs(r, l, e)
    p_s, p_a, p_b = focal_directions(loss, rwa_focal, p_regions, p_words, p_region_mask, p_word_length,
                                     p_word_mask)

    out = {
        "generator": "tools/make_rwa_fixtures.py",
        "source": "showlab/DemoVLP model/loss.py, model/model.py sim_matrix, trainer/trainer_dist.py composition",
        "sourceCommit": commit,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "seed": SEED,
        "shapes": {"videos": bv, "regionSlots": r, "captions": bt, "wordSlots": l, "dim": e,
                   "globalDim": eg},
        "regions": flat(regions),
        "regionMask": flat(region_mask),
        "words": flat(words),
        "wordMask": flat(word_mask),
        "simFocal": flat(s_focal.detach()),
        "simFocalA": flat(i2t.detach()),
        "simFocalB": flat(t2i.detach()),
        "simNoFocal": flat(s_plain.detach()),
        "textGlobal": flat(text_global),
        "videoGlobal": flat(video_global),
        "globalSimAll": flat(g_all),
        "globalSim": flat(g_sq),
        "globalLoss": float(global_loss),
        "localLoss": float(local_loss),
        "totalLoss": totals["both"],
        "totalLossGlobalOnly": totals["globalOnly"],
        "totalLossLocalOnly": totals["localOnly"],
        "pointed": {
            "videos": 2, "captions": 2,
            "regions": flat(p_regions), "regionMask": flat(p_region_mask),
            "words": flat(p_words), "wordMask": flat(p_word_mask),
            "simFocal": flat(p_s), "simFocalA": flat(p_a), "simFocalB": flat(p_b),
        },
        "eval": {
            "videos": ev, "captions": ec,
            "regions": flat(ev_regions), "regionMask": flat(ev_region_mask),
            "words": flat(ev_words), "wordMask": flat(ev_word_mask),
            "textGlobal": flat(ev_text_global), "videoGlobal": flat(ev_video_global),
            "simSquare": flat(s_eval_sq),
            "scoresFaithful": flat(faithful),
            "simAll": flat(s_eval_all),
            "faithfulNonSquareError": non_square_error,
            "scoresConsistent": flat(consistent),
        },
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
    print("wrote", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
