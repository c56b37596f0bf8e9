#!/usr/bin/env python3
"""Golden values for regionvlp's region transformer, from the ORIGINAL DemoVLP ObjectTransformer.

Runs showlab/DemoVLP's model/object_transformer.py (commit fc5a31d, read from the checkout named by
DEMOVLP_SRC, never copied here) at reduced sizes and writes src/test/resources/golden/video_encoder.json:
every parameter (random, including LayerNorm gains and biases), an input batch with padded regions, and the
projected tokens. The four hard-coded sizes of ObjectTransformer.__init__ (embed_dim 768, depth 12,
num_heads 12, feat_dim 2048) are substituted in the source text before it runs; einops and timm come from
the stand-ins in tools/stubs.

    DEMOVLP_SRC=/path/to/DemoVLP /usr/bin/python3 tools/make_video_encoder_fixture.py
"""
import json
import os
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "stubs"))

import torch  # noqa: E402

from demovlp_src import flat, source_commit, source_file  # noqa: E402

SEED = 20261126
WIDTH, DEPTH, HEADS, FEAT = 16, 2, 2, 8
VIDEOS, FRAMES, REGIONS, EMBED = 3, 2, 5, 12
OUT = os.path.join(HERE, "..", "src", "test", "resources", "golden", "video_encoder.json")


def main():
    path = source_file("model/object_transformer.py")
    commit = source_commit()
    code = open(path).read()
    for old, new in [("embed_dim = 768", "embed_dim = %d" % WIDTH), ("depth = 12", "depth = %d" % DEPTH),
                     ("num_heads = 12", "num_heads = %d" % HEADS), ("self.feat_dim = 2048", "self.feat_dim = %d" % FEAT)]:
        if code.count(old) != 1:
            sys.exit("expected exactly one '%s' in object_transformer.py" % old)
        code = code.replace(old, new)
    mod = types.ModuleType("demovlp_object_transformer")
    exec(compile(code, path, "exec"), mod.__dict__)

    torch.manual_seed(SEED)
    model = mod.ObjectTransformer(input_dim=FEAT + 6, region_nums=REGIONS, num_frames=FRAMES, output_dim=EMBED)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.3)
    model.eval()
    x = torch.rand(VIDEOS, FRAMES, REGIONS, FEAT + 6)
    mask = torch.ones(VIDEOS, FRAMES, REGIONS, dtype=torch.float64)
    mask[1, :, 3:] = 0  # video 1: 3 real regions per frame
    mask[2, 1, 1:] = 0  # video 2: one real region in frame 1
    with torch.no_grad():
        y, y_mask = model(x, mask)

    state = {k: {"shape": list(v.shape), "values": flat(v.detach())} for k, v in model.state_dict().items()}
    out = {
        "generator": "tools/make_video_encoder_fixture.py",
        "source": "showlab/DemoVLP model/object_transformer.py",
        "sourceCommit": commit,
        "torch": torch.__version__,
        "seed": SEED,
        "sizes": {"width": WIDTH, "depth": DEPTH, "heads": HEADS, "featureDim": FEAT, "videos": VIDEOS,
                  "frames": FRAMES, "regions": REGIONS, "embedDim": EMBED},
        "state": state,
        "input": flat(x),
        "mask": flat(mask),
        "output": flat(y),
        "outputMask": flat(y_mask),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f)
    print("wrote", os.path.normpath(OUT), "output", list(y.shape))


if __name__ == "__main__":
    main()
