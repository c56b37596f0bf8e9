#!/usr/bin/env python3
"""Tiny Hugging Face text checkpoints (BERT and DistilBERT) and their reference outputs, with plain torch.

Writes, for each layout, a folder such as `save_pretrained` produces:
    src/test/resources/fixtures/hf/bert-tiny/{config.json, model.safetensors, tokenizer.json}
    src/test/resources/fixtures/hf/distilbert-tiny/{...}
and src/test/resources/golden/hf_text.json with the test sentences, their token ids and attention masks, and
each model's `last_hidden_state` for them.

Neither `transformers`, `tokenizers` nor `safetensors` is needed (or installed here), so this script carries
its own reference implementations, each written to follow the Hugging Face code line by line:
  * `bert_forward` follows transformers' BertModel (eager attention): word + token-type(0) + position
    embeddings, LayerNorm(layer_norm_eps); per layer q/k/v, scores = q k^T / sqrt(d) + (1 - mask) * finfo.min,
    softmax, output.dense + residual + LayerNorm, intermediate.dense + hidden_act, output.dense + residual +
    LayerNorm.
  * `distilbert_forward` follows transformers' DistilBertModel: word + position embeddings, LayerNorm(1e-12);
    q / sqrt(d), masked_fill(finfo.min), softmax, out_lin, sa_layer_norm(+x), ffn lin1/act/lin2,
    output_layer_norm(+sa).
  * `wordpiece` follows the tokenizers library's BertNormalizer (clean text, CJK padding, accent stripping
    with lowercase), BertPreTokenizer (whitespace, each punctuation character alone) and WordPiece (greedy
    longest match, "##" continuation, [UNK] for a word that cannot be covered); then [CLS] ... [SEP],
    truncation to the maximum length and [PAD] = 0 padding.
  * `write_safetensors` writes the format by hand: 8-byte little-endian header length, JSON header
    (space-padded to 8 bytes), raw little-endian tensor bytes.

The BERT checkpoint uses hidden_act "gelu_new" and layer_norm_eps 1e-7, carries the task models' "bert."
prefix and the extra tensors real checkpoints have (pooler, an int64 position_ids buffer); the DistilBERT one
is stored in float16 (the reference runs on the float16-rounded weights, in float32), activation "gelu".

    /usr/bin/python3 tools/make_hf_fixture.py
"""
import json
import math
import os
import struct
import unicodedata

import torch

SEED = 20260412
MAX_LEN = 12
HIDDEN, HEADS, LAYERS, MAX_POS = 32, 4, 2, 20
BERT_FFN, DISTIL_FFN = 48, 40
HERE = os.path.dirname(os.path.abspath(__file__))
RES = os.path.join(HERE, "..", "src", "test", "resources")

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", ",", "!", "?", "'", "a", "the", "man", "is",
         "playing", "play", "##ing", "guitar", "cafe", "s", "red", "ball", "2", "##0", "cat", "##s", "un",
         "##believ", "##able", "dog", "jump", "##ed", "over", "fence", "small", "blue", "car", "runs", "to",
         "left", "then", "big", "green", "right", "and", "two"]

SENTENCES = [
    "A man is playing a guitar.",
    "The café's red ball, 20 cats!",
    "unbelievable dogs jumped over the fence",
    "A small blue car runs to the left, then the big green dog runs to the right and jumps over a fence.",
    "Zebras?",
    "  Two   DOGS\tplay.  ",
]


# ---- tokenizer -------------------------------------------------------------------------------------------

def _is_control(c):
    if c in "\t\n\r":
        return False
    return unicodedata.category(c) in ("Cc", "Cf", "Cn", "Co")


def _is_whitespace(c):
    # tokenizers uses Rust's char::is_whitespace (the Unicode White_Space property: Zs plus U+2028/U+2029 and
    # the ASCII/C1 controls). str.isspace() also accepts U+001C..U+001F, but those are controls that
    # clean_text has already removed, so on normalized text the two agree.
    return c in " \t\n\r" or c.isspace()


def _is_punctuation(c):
    o = ord(c)
    if 33 <= o <= 47 or 58 <= o <= 64 or 91 <= o <= 96 or 123 <= o <= 126:
        return True
    return unicodedata.category(c).startswith("P")


def _is_cjk(o):
    return (0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0x20000 <= o <= 0x2A6DF or 0x2A700 <= o <= 0x2B73F
            or 0x2B740 <= o <= 0x2B81F or 0x2B820 <= o <= 0x2CEAF or 0xF900 <= o <= 0xFAFF
            or 0x2F800 <= o <= 0x2FA1F)


def normalize(text):
    """BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True)."""
    out = []
    for c in text:
        if ord(c) == 0 or ord(c) == 0xFFFD or _is_control(c):
            continue
        out.append(" " if _is_whitespace(c) else c)
    text = "".join(" %s " % c if _is_cjk(ord(c)) else c for c in out)
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return text.lower()


def pre_tokenize(text):
    """BertPreTokenizer: split on whitespace, and isolate every punctuation character."""
    words, cur = [], []
    for c in text:
        if _is_whitespace(c):
            if cur:
                words.append("".join(cur))
                cur = []
        elif _is_punctuation(c):
            if cur:
                words.append("".join(cur))
                cur = []
            words.append(c)
        else:
            cur.append(c)
    if cur:
        words.append("".join(cur))
    return words


def wordpiece(word, vocab):
    if len(word) > 100:
        return ["[UNK]"]
    pieces, start = [], 0
    while start < len(word):
        end, found = len(word), None
        while start < end:
            sub = word[start:end] if start == 0 else "##" + word[start:end]
            if sub in vocab:
                found = sub
                break
            end -= 1
        if found is None:
            return ["[UNK]"]
        pieces.append(found)
        start = end
    return pieces


def encode(sentence, vocab):
    pieces = [p for w in pre_tokenize(normalize(sentence)) for p in wordpiece(w, vocab)]
    ids = [vocab["[CLS]"]] + [vocab[p] for p in pieces[:MAX_LEN - 2]] + [vocab["[SEP]"]]
    mask = [1] * len(ids) + [0] * (MAX_LEN - len(ids))
    return ids + [vocab["[PAD]"]] * (MAX_LEN - len(ids)), mask


def tokenizer_json():
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    added = [{"id": VOCAB.index(t), "content": t, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for t in specials]
    cls, sep = VOCAB.index("[CLS]"), VOCAB.index("[SEP]")
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [cls], "tokens": ["[CLS]"]},
                               "[SEP]": {"id": "[SEP]", "ids": [sep], "tokens": ["[SEP]"]}}},
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": {t: i for i, t in enumerate(VOCAB)}},
    }


# ---- safetensors -------------------------------------------------------------------------------------------

DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.int64: "I64"}


def write_safetensors(path, tensors):
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        data = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    js = json.dumps(header, separators=(",", ":")).encode("utf-8")
    js += b" " * ((8 - len(js) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js)
        for b in blobs:
            f.write(b)


# ---- reference forwards ----------------------------------------------------------------------------------

def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def linear(x, w, p):
    return torch.nn.functional.linear(x, w[p + ".weight"], w[p + ".bias"])


def layer_norm(x, w, p, eps):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), w[p + ".weight"], w[p + ".bias"], eps)


def bert_forward(w, ids, mask, eps, act):
    b, l = ids.shape
    d = HIDDEN // HEADS
    emb = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.token_type_embeddings.weight"][
        torch.zeros_like(ids)]
    emb = emb + w["embeddings.position_embeddings.weight"][torch.arange(l)].unsqueeze(0)
    h = layer_norm(emb, w, "embeddings.LayerNorm", eps)
    ext = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
    for i in range(LAYERS):
        p = "encoder.layer.%d." % i
        q = linear(h, w, p + "attention.self.query").view(b, l, HEADS, d).transpose(1, 2)
        k = linear(h, w, p + "attention.self.key").view(b, l, HEADS, d).transpose(1, 2)
        v = linear(h, w, p + "attention.self.value").view(b, l, HEADS, d).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d) + ext
        ctx = torch.matmul(torch.softmax(scores, dim=-1), v).transpose(1, 2).reshape(b, l, HIDDEN)
        a = layer_norm(linear(ctx, w, p + "attention.output.dense") + h, w, p + "attention.output.LayerNorm", eps)
        inter = act(linear(a, w, p + "intermediate.dense"))
        h = layer_norm(linear(inter, w, p + "output.dense") + a, w, p + "output.LayerNorm", eps)
    return h


def distilbert_forward(w, ids, mask, act):
    b, l = ids.shape
    d = HIDDEN // HEADS
    emb = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][
        torch.arange(l)].unsqueeze(0)
    h = layer_norm(emb, w, "embeddings.LayerNorm", 1e-12)
    for i in range(LAYERS):
        p = "transformer.layer.%d." % i
        q = linear(h, w, p + "attention.q_lin").view(b, l, HEADS, d).transpose(1, 2)
        k = linear(h, w, p + "attention.k_lin").view(b, l, HEADS, d).transpose(1, 2)
        v = linear(h, w, p + "attention.v_lin").view(b, l, HEADS, d).transpose(1, 2)
        q = q / math.sqrt(d)
        scores = torch.matmul(q, k.transpose(2, 3))
        scores = scores.masked_fill((mask == 0).view(b, 1, 1, l).expand_as(scores),
                                    torch.tensor(torch.finfo(scores.dtype).min))
        ctx = torch.matmul(torch.softmax(scores, dim=-1), v).transpose(1, 2).reshape(b, l, HIDDEN)
        sa = layer_norm(linear(ctx, w, p + "attention.out_lin") + h, w, p + "sa_layer_norm", 1e-12)
        ffn = linear(act(linear(sa, w, p + "ffn.lin1")), w, p + "ffn.lin2")
        h = layer_norm(ffn + sa, w, p + "output_layer_norm", 1e-12)
    return h


# ---- random weights ----------------------------------------------------------------------------------------

def random_weights(gen, layer_names, ffn, bert):
    def randn(*shape, std):
        return torch.randn(*shape, generator=gen) * std

    w = {"embeddings.word_embeddings.weight": randn(len(VOCAB), HIDDEN, std=1.0),
         "embeddings.position_embeddings.weight": randn(MAX_POS, HIDDEN, std=0.5),
         "embeddings.LayerNorm.weight": 1.0 + randn(HIDDEN, std=0.2),
         "embeddings.LayerNorm.bias": randn(HIDDEN, std=0.1)}
    if bert:
        w["embeddings.token_type_embeddings.weight"] = randn(2, HIDDEN, std=0.5)
    for i in range(LAYERS):
        for name, kind in layer_names:
            p = name % i
            if kind == "ln":
                w[p + ".weight"] = 1.0 + randn(HIDDEN, std=0.2)
                w[p + ".bias"] = randn(HIDDEN, std=0.1)
            else:
                out_dim, in_dim = {"sq": (HIDDEN, HIDDEN), "up": (ffn, HIDDEN), "down": (HIDDEN, ffn)}[kind]
                w[p + ".weight"] = randn(out_dim, in_dim, std=1.0 / math.sqrt(in_dim))
                w[p + ".bias"] = randn(out_dim, std=0.1)
    return w


BERT_LAYER = [("encoder.layer.%d.attention.self.query", "sq"), ("encoder.layer.%d.attention.self.key", "sq"),
              ("encoder.layer.%d.attention.self.value", "sq"), ("encoder.layer.%d.attention.output.dense", "sq"),
              ("encoder.layer.%d.attention.output.LayerNorm", "ln"), ("encoder.layer.%d.intermediate.dense", "up"),
              ("encoder.layer.%d.output.dense", "down"), ("encoder.layer.%d.output.LayerNorm", "ln")]
DISTIL_LAYER = [("transformer.layer.%d.attention.q_lin", "sq"), ("transformer.layer.%d.attention.k_lin", "sq"),
                ("transformer.layer.%d.attention.v_lin", "sq"), ("transformer.layer.%d.attention.out_lin", "sq"),
                ("transformer.layer.%d.sa_layer_norm", "ln"), ("transformer.layer.%d.ffn.lin1", "up"),
                ("transformer.layer.%d.ffn.lin2", "down"), ("transformer.layer.%d.output_layer_norm", "ln")]


def write_folder(name, config, tensors):
    d = os.path.join(RES, "fixtures", "hf", name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(d, "tokenizer.json"), "w") as f:
        json.dump(tokenizer_json(), f, indent=1)
    write_safetensors(os.path.join(d, "model.safetensors"), tensors)
    return d


def main():
    gen = torch.Generator().manual_seed(SEED)
    vocab = {t: i for i, t in enumerate(VOCAB)}
    enc = [encode(s, vocab) for s in SENTENCES]
    ids = torch.tensor([e[0] for e in enc], dtype=torch.int64)
    mask = torch.tensor([e[1] for e in enc], dtype=torch.int64)

    bert_eps = 1e-7
    bw = random_weights(gen, BERT_LAYER, BERT_FFN, bert=True)
    with torch.no_grad():
        bert_out = bert_forward(bw, ids, mask, bert_eps, gelu_new)
    bert_file = {"bert." + k: v for k, v in bw.items()}
    bert_file["bert.embeddings.position_ids"] = torch.arange(MAX_POS, dtype=torch.int64).unsqueeze(0)
    bert_file["bert.pooler.dense.weight"] = torch.randn(HIDDEN, HIDDEN, generator=gen) * 0.1
    bert_file["bert.pooler.dense.bias"] = torch.zeros(HIDDEN)
    write_folder("bert-tiny", {
        "architectures": ["BertForMaskedLM"], "model_type": "bert", "vocab_size": len(VOCAB),
        "hidden_size": HIDDEN, "num_hidden_layers": LAYERS, "num_attention_heads": HEADS,
        "intermediate_size": BERT_FFN, "hidden_act": "gelu_new", "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1, "max_position_embeddings": MAX_POS, "type_vocab_size": 2,
        "initializer_range": 0.02, "layer_norm_eps": bert_eps, "pad_token_id": 0,
        "position_embedding_type": "absolute", "torch_dtype": "float32"}, bert_file)

    dw = random_weights(gen, DISTIL_LAYER, DISTIL_FFN, bert=False)
    dw = {k: v.half() for k, v in dw.items()}  # stored as F16; the reference uses exactly these values
    with torch.no_grad():
        distil_out = distilbert_forward({k: v.float() for k, v in dw.items()}, ids, mask,
                                        torch.nn.functional.gelu)
    write_folder("distilbert-tiny", {
        "architectures": ["DistilBertModel"], "model_type": "distilbert", "vocab_size": len(VOCAB),
        "dim": HIDDEN, "n_layers": LAYERS, "n_heads": HEADS, "hidden_dim": DISTIL_FFN, "activation": "gelu",
        "dropout": 0.1, "attention_dropout": 0.1, "max_position_embeddings": MAX_POS,
        "sinusoidal_pos_embds": False, "initializer_range": 0.02, "pad_token_id": 0, "qa_dropout": 0.1,
        "seq_classif_dropout": 0.2, "torch_dtype": "float16"}, dw)

    golden = {
        "generator": "tools/make_hf_fixture.py",
        "reference": "plain-torch re-implementations of transformers' BertModel / DistilBertModel forward and "
                     "of the tokenizers library's BERT WordPiece pipeline (see the script's docstring)",
        "torch": torch.__version__,
        "seed": SEED,
        "maxLength": MAX_LEN,
        "hidden": HIDDEN,
        "sentences": SENTENCES,
        "ids": ids.tolist(),
        "mask": mask.tolist(),
        "models": {
            "bert-tiny": {"lastHiddenState": [float(x) for x in bert_out.reshape(-1).tolist()]},
            "distilbert-tiny": {"lastHiddenState": [float(x) for x in distil_out.reshape(-1).tolist()]},
        },
    }
    out = os.path.join(RES, "golden", "hf_text.json")
    with open(out, "w") as f:
        json.dump(golden, f)
    for s, (i, m) in zip(SENTENCES, enc):
        print(repr(s), [VOCAB[t] for t, k in zip(i, m) if k])
    print("wrote", os.path.normpath(out))


if __name__ == "__main__":
    main()
