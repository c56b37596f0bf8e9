"""Shared by the fixture generators: locate the original DemoVLP checkout and load one of its modules.

The checkout is named by the environment variable DEMOVLP_SRC (a plain clone of showlab/DemoVLP); its code
is executed from there and never copied into this repository.
"""
import importlib.util
import os
import subprocess
import sys


def source_file(relative):
    """Path of a file of the checkout; exits with a clear message when DEMOVLP_SRC does not hold it."""
    src = os.environ.get("DEMOVLP_SRC")
    path = os.path.join(src or "", relative)
    if not src or not os.path.isfile(path):
        sys.exit("set DEMOVLP_SRC to a checkout of showlab/DemoVLP (%s not found)" % relative)
    return path


def source_commit():
    """The checkout's commit, recorded in every fixture."""
    return subprocess.run(["git", "-C", os.environ["DEMOVLP_SRC"], "rev-parse", "HEAD"],
                          capture_output=True, text=True).stdout.strip()


def load_module(relative, name):
    """Imports one file of the checkout as a module, without its package's __init__ chain."""
    spec = importlib.util.spec_from_file_location(name, source_file(relative))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def flat(t):
    """A tensor or array as a flat list of Python floats (JSON)."""
    return [float(v) for v in t.reshape(-1).tolist()]


def load_model_module():
    """Imports the checkout's model/model.py (ObjectRelation, sim_matrix) for its text path.

    model.py imports more than its text path needs, so four of its imports are satisfied here first:
    `base` with the checkout's real base/base_model.py (BaseModel), `model.video_qa_mdoel` with the real
    file, and two placeholders that the text path never reaches: `utils.util` (its one name,
    state_dict_data_parallel_fix, is used only when a checkpoint is loaded; the real file needs msgpack and
    humanize) and `model.object_transformer`, whose ObjectTransformer and load_clip_pt_weight are replaced
    by a parameterless module and the identity (the real ones build a 768-wide, 12-deep transformer and read
    a ViT checkpoint from a hard-coded path; the region transformer has its own fixture). `transformers` and
    `timm` must come from tools/stubs (put it on sys.path first).
    """
    import types

    import torch.nn as nn

    def placeholder(name, **names):
        mod = types.ModuleType(name)
        mod.__dict__.update(names)
        return mod

    def never(*args, **kwargs):
        raise RuntimeError("placeholder utils.util.state_dict_data_parallel_fix reached")

    class NoVideoTower(nn.Module):
        def __init__(self, **kwargs):
            super().__init__()

    added = {
        "base": placeholder("base", BaseModel=load_module("base/base_model.py", "demovlp_base_model").BaseModel),
        "utils": placeholder("utils"),
        "utils.util": placeholder("utils.util", state_dict_data_parallel_fix=never),
        "model": placeholder("model"),
        "model.object_transformer": placeholder("model.object_transformer", ObjectTransformer=NoVideoTower,
                                                load_clip_pt_weight=lambda m: m),
        "model.video_qa_mdoel": load_module("model/video_qa_mdoel.py", "model.video_qa_mdoel"),
    }
    saved = {k: sys.modules.get(k) for k in added}
    sys.modules.update(added)
    try:
        return load_module("model/model.py", "demovlp_model")
    finally:
        for k, v in saved.items():
            if v is None:
                del sys.modules[k]
            else:
                sys.modules[k] = v
