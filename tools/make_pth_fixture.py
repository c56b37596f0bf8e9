#!/usr/bin/env python3
"""Torch-zip checkpoints for regionvlp's .pth reader, made by torch.save from the ORIGINAL DemoVLP code.

Runs showlab/DemoVLP's model/model.py (ObjectRelation) and model/object_transformer.py at reduced sizes
(read from the checkout named by DEMOVLP_SRC, never copied here; the hard-coded sizes are substituted in
the source text before it runs) and writes to src/test/resources/golden/:

- timm_vit_tiny.pth / .npz: a synthetic timm VisionTransformer state dict (random values, timm's names:
  cls_token, pos_embed, patch_embed.proj, blocks.N.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,mlp.fc2}, norm,
  head). The original loads it in ObjectRelation.__init__ through load_clip_pt_weight from the hard-coded
  relative path pretrained/jx_vit_base_p16_224-80ecf9dd.pth, so this script runs in a temporary folder
  holding it there. timm_vit_tiny.json records which object_model parameters the original took from it and
  their values after loading.
- demovlp_tiny.pth: an ObjectRelation with every parameter random, saved as the authors' trainer saves it
  (base/base_trainer.py _save_checkpoint): {arch, epoch, state_dict with the DataParallel 'module.' prefix,
  optimizer (an AdamW state after one step), monitor_best, config (a parse_config_dist_multi.ConfigParser
  object holding the real configs/pt JSON, an argparse.Namespace and pathlib paths)}; 1 frame, as after
  pre-training.
- demovlp_tiny.json: a NEW ObjectRelation with 3 frames built by the original code with
  load_checkpoint=demovlp_tiny.pth (its own 'module.' strip, zero inflation of temporal_embed and strict
  load), then its forward on random inputs: text ids padded to 100 tokens, regions with padding.
- tensors.pth / tensors_legacy.pth / tensors.json: dtype and layout cases for the reader (fp32 transposed,
  fp16, bf16, fp64, int64, bool, a view at a storage offset sharing its storage, a 0-d tensor, an empty
  tensor, a Parameter), in the zip layout and in the legacy (torch < 1.6) layout.

transformers comes from tools/stubs/transformers (a plain-torch DistilBERT with Hugging Face names), einops
and timm from tools/stubs.

    DEMOVLP_SRC=/path/to/DemoVLP /usr/bin/python3 tools/make_pth_fixture.py
"""
import argparse
import collections
import contextlib
import io
import json
import os
import pathlib
import shutil
import sys
import tempfile
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "stubs"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from demovlp_src import flat, load_module, source_commit, source_file  # noqa: E402

SEED = 20261127
# Video tower: width 12, 3 heads of 4, 2 blocks, 10-d features, 5 regions; joint space 7.
V_WIDTH, V_DEPTH, V_HEADS, FEAT, REGIONS, EMBED = 12, 2, 3, 10, 5, 7
# Text tower (DistilBERT layout): width 12, 2 heads of 6, 2 layers, FFN 20, vocabulary 53, 103 positions.
T_WIDTH, T_DEPTH, T_HEADS, T_FFN, VOCAB, POSITIONS = 12, 2, 2, 20, 53, 103
SAVED_FRAMES, LOADED_FRAMES = 1, 3
VIDEOS, TOKENS = 3, 100
PATCH, IMAGE, CLASSES = 2, 4, 3
GOLDEN = os.path.join(HERE, "..", "src", "test", "resources", "golden")
VIT_PATH = "pretrained/jx_vit_base_p16_224-80ecf9dd.pth"


def substitute(code, path, pairs):
    for old, new in pairs:
        if code.count(old) != 1:
            sys.exit("expected exactly one '%s' in %s" % (old, path))
        code = code.replace(old, new)
    return code


def exec_module(name, path, code):
    mod = types.ModuleType(name)
    mod.__file__ = path
    sys.modules[name] = mod
    exec(compile(code, path, "exec"), mod.__dict__)
    return mod


def original_modules():
    """Imports model/model.py with its dependencies, sizes substituted; returns (model module, ConfigParser)."""
    for name in ("msgpack", "humanize", "psutil"):  # imported at the top of utils/util.py, unused here
        try:
            __import__(name)
        except ImportError:
            sys.modules[name] = types.ModuleType(name)
    util = load_module("utils/util.py", "utils.util")
    utils_pkg = types.ModuleType("utils")
    utils_pkg.__path__ = []
    utils_pkg.util = util
    utils_pkg.read_json = util.read_json
    utils_pkg.write_json = util.write_json
    sys.modules["utils"] = utils_pkg
    sys.modules["utils.util"] = util
    logger = types.ModuleType("logger")
    logger.setup_logging = lambda *a, **k: None
    sys.modules["logger"] = logger
    parse_config = load_module("parse_config_dist_multi.py", "parse_config_dist_multi")
    sys.modules["parse_config_dist_multi"] = parse_config

    base = types.ModuleType("base")
    base.BaseModel = load_module("base/base_model.py", "base.base_model").BaseModel
    sys.modules["base"] = base
    pkg = types.ModuleType("model")
    pkg.__path__ = []
    sys.modules["model"] = pkg
    qa = types.ModuleType("model.video_qa_mdoel")
    qa.BUTDQAHead = None  # imported by model.py, used only by ObjectQARelation
    sys.modules["model.video_qa_mdoel"] = qa

    ot_path = source_file("model/object_transformer.py")
    exec_module("model.object_transformer", ot_path, substitute(open(ot_path).read(), ot_path, [
        ("embed_dim = 768", "embed_dim = %d" % V_WIDTH), ("depth = 12", "depth = %d" % V_DEPTH),
        ("num_heads = 12", "num_heads = %d" % V_HEADS), ("self.feat_dim = 2048", "self.feat_dim = %d" % FEAT)]))
    m_path = source_file("model/model.py")
    code = open(m_path).read()
    # Two ObjectTransformer(...) calls carry the literals (ObjectRelation and ObjectQARelation).
    code = code.replace("input_dim=2054", "input_dim=%d" % (FEAT + 6)).replace(
        "output_dim=256", "output_dim=%d" % EMBED)
    model = exec_module("model.model", m_path, code)
    return model, parse_config.ConfigParser


def timm_state_dict(gen):
    """timm VisionTransformer names and shapes (patch 2 on 4x4 images, 3 classes), random values."""
    w, mlp, n = V_WIDTH, 4 * V_WIDTH, (IMAGE // PATCH) ** 2
    sd = collections.OrderedDict()

    def r(*shape):
        return torch.randn(*shape, generator=gen) * 0.5

    sd["cls_token"] = r(1, 1, w)
    sd["pos_embed"] = r(1, 1 + n, w)
    sd["patch_embed.proj.weight"] = r(w, 3, PATCH, PATCH)
    sd["patch_embed.proj.bias"] = r(w)
    for i in range(V_DEPTH):
        b = "blocks.%d." % i
        sd[b + "norm1.weight"] = 1 + r(w)
        sd[b + "norm1.bias"] = r(w)
        sd[b + "attn.qkv.weight"] = r(3 * w, w)
        sd[b + "attn.qkv.bias"] = r(3 * w)
        sd[b + "attn.proj.weight"] = r(w, w)
        sd[b + "attn.proj.bias"] = r(w)
        sd[b + "norm2.weight"] = 1 + r(w)
        sd[b + "norm2.bias"] = r(w)
        sd[b + "mlp.fc1.weight"] = r(mlp, w)
        sd[b + "mlp.fc1.bias"] = r(mlp)
        sd[b + "mlp.fc2.weight"] = r(w, mlp)
        sd[b + "mlp.fc2.bias"] = r(w)
    sd["norm.weight"] = 1 + r(w)
    sd["norm.bias"] = r(w)
    sd["head.weight"] = r(CLASSES, w)
    sd["head.bias"] = r(CLASSES)
    return sd


def build(model_mod, text_dir, frames, load_checkpoint):
    object_params = {"model": "", "input_objects": False, "num_frames": frames, "object_num": REGIONS,
                     "time_module": ""}
    text_params = {"model": text_dir, "pretrained": True, "input": "text", "two_outputs": True}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        m = model_mod.ObjectRelation(object_params, text_params, projection_dim=EMBED, projection="minimal",
                                     load_checkpoint=load_checkpoint)
    return m, out.getvalue()


def config_object(config_parser_cls):
    """The ConfigParser the authors' trainer pickles into every checkpoint, with the real pre-train config."""
    with open(source_file("configs/pt/o2t-cl-local-select-loss-cc.json")) as f:
        cfg = json.load(f, object_hook=collections.OrderedDict)
    c = config_parser_cls.__new__(config_parser_cls)
    c.args = argparse.Namespace(config="configs/pt/o2t-cl-local-select-loss-cc.json", resume=None, device=None,
                                local_rank=0, master_address="127.0.0.1", master_port=29500, world_size=8,
                                rank=0, learning_rate1=2e-4, schedule=[30, 40], linear_evaluation=False)
    c.cfg_fname = pathlib.PosixPath(c.args.config)
    c.resume = None
    c._config = cfg
    c._save_dir = pathlib.PosixPath("exps/models/pt/0317_120000")
    c._log_dir = pathlib.PosixPath("exps/log/pt/0317_120000")
    c._web_log_dir = pathlib.PosixPath("exps/web/pt/0317_120000")
    c.log_levels = {0: 30, 1: 20, 2: 10}
    return c


def tensors_fixture(gen):
    base = torch.arange(10, dtype=torch.float32) * 0.5 - 2
    cases = collections.OrderedDict()
    cases["f32_transposed"] = (torch.randn(3, 4, generator=gen)).t()  # strides (1, 4): not contiguous
    cases["f16"] = torch.randn(2, 3, generator=gen).half()
    cases["bf16"] = torch.randn(5, generator=gen).bfloat16()
    cases["f64"] = torch.randn(2, 2, generator=gen).double()
    cases["i64"] = torch.tensor([-3, 2 ** 40, 7, 0], dtype=torch.int64)
    cases["bool"] = torch.tensor([True, False, True])
    cases["base"] = base
    cases["view_at_offset"] = base[3:9].view(2, 3)[:, 1:]  # offset 3, strides (3, 1), shape (2, 2)
    cases["scalar"] = torch.tensor(3.25)
    cases["empty"] = torch.zeros(0, 3)
    cases["param"] = torch.nn.Parameter(torch.randn(2, 2, generator=gen))
    expected = {}
    for k, v in cases.items():
        d = v.detach()
        expected[k] = {"dtype": str(d.dtype).replace("torch.", ""), "shape": list(d.shape),
                       "stride": list(d.stride()), "offset": d.storage_offset(),
                       "values": [float(x) for x in d.double().reshape(-1).tolist()]}
    return cases, expected


def main():
    commit = source_commit()
    model_mod, config_parser_cls = original_modules()
    os.makedirs(GOLDEN, exist_ok=True)
    work = tempfile.mkdtemp(prefix="make_pth_fixture.")
    cwd = os.getcwd()
    try:
        os.chdir(work)  # load_clip_pt_weight reads a path relative to the working folder
        gen = torch.Generator().manual_seed(SEED)
        torch.manual_seed(SEED)
        meta = {"generator": "tools/make_pth_fixture.py", "source": "showlab/DemoVLP model/model.py, "
                "model/object_transformer.py", "sourceCommit": commit, "torch": torch.__version__, "seed": SEED}

        # 1. The synthetic timm ViT that ObjectRelation.__init__ loads into its object model.
        timm = timm_state_dict(gen)
        os.makedirs("pretrained")
        torch.save(timm, VIT_PATH)
        shutil.copyfile(VIT_PATH, os.path.join(GOLDEN, "timm_vit_tiny.pth"))
        np.savez(os.path.join(GOLDEN, "timm_vit_tiny.npz"), **{k: v.numpy() for k, v in timm.items()})
        text_dir = os.path.join(work, "distilbert-tiny")
        os.makedirs(text_dir)
        with open(os.path.join(text_dir, "config.json"), "w") as f:
            json.dump({"model_type": "distilbert", "vocab_size": VOCAB, "dim": T_WIDTH, "n_layers": T_DEPTH,
                       "n_heads": T_HEADS, "hidden_dim": T_FFN, "max_position_embeddings": POSITIONS,
                       "activation": "gelu", "pad_token_id": 0}, f)

        fresh, _ = build(model_mod, text_dir, SAVED_FRAMES, None)
        obj = fresh.object_model.state_dict()
        loaded = [k for k in obj if k in timm and torch.equal(obj[k], timm[k])]
        if sorted(loaded) != sorted(k for k in obj if k in timm):
            sys.exit("load_clip_pt_weight did not load every shared name")
        with open(os.path.join(GOLDEN, "timm_vit_tiny.json"), "w") as f:
            json.dump(dict(meta, sizes={"width": V_WIDTH, "depth": V_DEPTH, "heads": V_HEADS},
                           note="object_model parameters after the original load_clip_pt_weight",
                           loadedByOriginal=loaded,
                           state={k: {"shape": list(obj[k].shape), "values": flat(obj[k])} for k in loaded}), f)

        # 2. A trained-looking ObjectRelation, saved as base_trainer._save_checkpoint does under DataParallel.
        with torch.no_grad():
            for p in fresh.parameters():
                p.copy_(torch.randn(p.shape, generator=gen) * 0.3)
        state = collections.OrderedDict(("module." + k, v.clone()) for k, v in fresh.state_dict().items())
        opt = torch.optim.AdamW(fresh.parameters(), lr=1e-5)
        fresh.object_model.cls_token.grad = torch.ones_like(fresh.object_model.cls_token)
        fresh.txt_proj[1].bias.grad = torch.ones_like(fresh.txt_proj[1].bias)
        opt.step()  # state for those two parameters only, to keep the file small; the saved state is a copy
        ckpt = {"arch": "ObjectRelation", "epoch": 7, "state_dict": state, "optimizer": opt.state_dict(),
                "monitor_best": 0.125, "config": config_object(config_parser_cls)}
        pth = os.path.join(GOLDEN, "demovlp_tiny.pth")
        torch.save(ckpt, pth)

        # 3. The original loads it into a 3-frame model (module. strip, zero inflation, strict) and runs it.
        model, log = build(model_mod, text_dir, LOADED_FRAMES, pth)
        if "Loaded state_dict" not in log:
            sys.exit("the original did not load the checkpoint strictly:\n" + log)
        model.eval()
        ids = torch.zeros(VIDEOS, TOKENS, dtype=torch.long)
        attn = torch.zeros(VIDEOS, TOKENS, dtype=torch.long)
        for i, n in enumerate([9, 100, 4]):  # real tokens per caption, [CLS]..[SEP]; the rest is padding
            ids[i, :n] = torch.randint(1, VOCAB, (n,), generator=gen)
            attn[i, :n] = 1
        x = torch.rand(VIDEOS, LOADED_FRAMES, REGIONS, FEAT + 6, generator=gen)
        mask = torch.ones(VIDEOS, LOADED_FRAMES, REGIONS, dtype=torch.float64)
        mask[1, :, 2:] = 0
        mask[2, 2, 1:] = 0
        with torch.no_grad():
            out = model({"text": {"input_ids": ids, "attention_mask": attn}, "object": x, "object_mask": mask})
        with open(os.path.join(GOLDEN, "demovlp_tiny.json"), "w") as f:
            json.dump(dict(meta, sizes={
                "videoWidth": V_WIDTH, "videoDepth": V_DEPTH, "videoHeads": V_HEADS, "featureDim": FEAT,
                "regions": REGIONS, "savedFrames": SAVED_FRAMES, "loadedFrames": LOADED_FRAMES, "embedDim": EMBED,
                "textWidth": T_WIDTH, "textDepth": T_DEPTH, "textHeads": T_HEADS, "textFfn": T_FFN,
                "vocab": VOCAB, "positions": POSITIONS, "videos": VIDEOS, "tokens": TOKENS},
                stateDictKeys=list(state.keys()),
                temporalEmbedAfterLoad=flat(model.object_model.temporal_embed.detach()),
                inputIds=[int(v) for v in ids.reshape(-1).tolist()],
                attentionMask=[int(v) for v in attn.reshape(-1).tolist()],
                objects=flat(x), objectMask=flat(mask),
                globalText=flat(out["global_text_embeddings"]), localText=flat(out["local_text_embeddings"]),
                globalVideo=flat(out["global_object_embeddings"]),
                localVideo=flat(out["local_object_embeddings"]), videoKeyMask=flat(out["object_mask"])), f)

        # 4. Reader cases.
        cases, expected = tensors_fixture(gen)
        torch.save(cases, os.path.join(GOLDEN, "tensors.pth"))
        torch.save(cases, os.path.join(GOLDEN, "tensors_legacy.pth"), _use_new_zipfile_serialization=False)
        with open(os.path.join(GOLDEN, "tensors.json"), "w") as f:
            json.dump(dict(meta, tensors=expected), f)
    finally:
        os.chdir(cwd)
        shutil.rmtree(work)
    for name in ("timm_vit_tiny.pth", "timm_vit_tiny.npz", "timm_vit_tiny.json", "demovlp_tiny.pth",
                 "demovlp_tiny.json", "tensors.pth", "tensors_legacy.pth", "tensors.json"):
        print("wrote", os.path.normpath(os.path.join(GOLDEN, name)), os.path.getsize(os.path.join(GOLDEN, name)),
              "bytes")


if __name__ == "__main__":
    main()
