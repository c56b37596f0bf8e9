#!/usr/bin/env python3
"""Golden values for regionvlp's text tower, from the ORIGINAL DemoVLP text path.

Runs showlab/DemoVLP's model/model.py (commit fc5a31d, read from the checkout named by DEMOVLP_SRC, never
copied here): the original ObjectRelation.__init__ builds the text model with
`AutoModel.from_pretrained(text_params['model'])` and the head `txt_proj = Sequential(ReLU, Linear(hidden,
projection_dim))`, and the original ObjectRelation.compute_text projects every token of
`text_model(**text_data).last_hidden_state` and splits off [CLS]. transformers is not installed: its
stand-in in tools/stubs/transformers is a plain-torch DistilBertModel of transformers 4.10.0 (the version
DemoVLP pins) with Hugging Face parameter names, at reduced sizes registered under the name
distilbert-base-uncased. The word mask is built as trainer/trainer_dist.py builds it,
(attention_mask[:, 1:] - 1.0) * 100.0.

Writes src/test/resources/golden/text_encoder.json: every parameter under its original state-dict name
(text_model.*, txt_proj.1.*; all random, LayerNorm gains and biases included), the ids and attention mask
(3 captions of 7 slots with padding; one padded slot carries a non-pad id, so masking must follow the
attention mask, not the ids), last_hidden_state, the projected [CLS] (global) and word (local) embeddings
and the word mask.

    DEMOVLP_SRC=/path/to/DemoVLP /usr/bin/python3 tools/make_text_encoder_fixture.py
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "stubs"))

import torch  # noqa: E402
import transformers  # noqa: E402  (the stand-in in tools/stubs)

from demovlp_src import flat, load_model_module, source_commit  # noqa: E402

SEED = 20261127
VOCAB, POSITIONS, WIDTH, DEPTH, HEADS, FFN, EMBED = 50, 9, 16, 2, 2, 20, 12
CAPTIONS, SLOTS = 3, 7
OUT = os.path.join(HERE, "..", "src", "test", "resources", "golden", "text_encoder.json")


def main():
    model_py = load_model_module()
    commit = source_commit()
    transformers.register("distilbert-base-uncased", transformers.DistilBertConfig(
        vocab_size=VOCAB, max_position_embeddings=POSITIONS, n_layers=DEPTH, n_heads=HEADS, dim=WIDTH,
        hidden_dim=FFN))
    torch.manual_seed(SEED)
    model = model_py.ObjectRelation(
        object_params={"object_num": 5, "time_module": None, "num_frames": 2},
        text_params={"model": "distilbert-base-uncased", "pretrained": True},
        projection_dim=EMBED)
    model.eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "LayerNorm" in name or "layer_norm" in name:
                p.copy_((1.0 if name.endswith(".weight") else 0.0) + 0.3 * torch.randn_like(p))
            else:
                p.copy_(0.3 * torch.randn_like(p))

    # [CLS]=1 ... [SEP]=2, then [PAD]=0, as a WordPiece tokenizer pads; caption 0 is full, 1 has 4 real
    # slots, 2 has 2. Caption 2's last slot keeps a word id although its mask is 0.
    valid = [7, 4, 2]
    ids = torch.zeros(CAPTIONS, SLOTS, dtype=torch.long)
    mask = torch.zeros(CAPTIONS, SLOTS, dtype=torch.long)
    for c, n in enumerate(valid):
        ids[c, 0] = 1
        ids[c, 1:n - 1] = torch.randint(3, VOCAB, (n - 2,))
        ids[c, n - 1] = 2
        mask[c, :n] = 1
    ids[2, SLOTS - 1] = 17
    text_data = {"input_ids": ids, "attention_mask": mask}
    with torch.no_grad():
        hidden = model.text_model(**text_data).last_hidden_state
        global_t, local_t = model.compute_text(text_data)
    word_mask = (mask[:, 1:].contiguous() - 1.0) * 100.0  # trainer/trainer_dist.py

    state = {k: {"shape": list(v.shape), "values": flat(v)} for k, v in model.state_dict().items()
             if k.startswith("text_model.") or k.startswith("txt_proj.")}
    out = {
        "generator": "tools/make_text_encoder_fixture.py",
        "source": "showlab/DemoVLP model/model.py (ObjectRelation text path) with a transformers 4.10.0 "
                  "DistilBertModel stand-in (tools/stubs/transformers)",
        "sourceCommit": commit,
        "torch": torch.__version__,
        "seed": SEED,
        "sizes": {"vocab": VOCAB, "maxPositions": POSITIONS, "width": WIDTH, "depth": DEPTH, "heads": HEADS,
                  "ffnDim": FFN, "embedDim": EMBED, "captions": CAPTIONS, "slots": SLOTS},
        "state": state,
        "ids": [int(v) for v in ids.reshape(-1).tolist()],
        "attentionMask": [int(v) for v in mask.reshape(-1).tolist()],
        "lastHiddenState": flat(hidden),
        "global": flat(global_t),
        "local": flat(local_t),
        "wordMask": flat(word_mask),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f)
    print("wrote", os.path.normpath(OUT), "hidden", list(hidden.shape), "global", list(global_t.shape),
          "local", list(local_t.shape), "state", len(state))


if __name__ == "__main__":
    main()
