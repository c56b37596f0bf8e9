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
