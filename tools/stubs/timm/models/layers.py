"""Stand-ins for timm.models.layers: DropPath (identity at rate 0, which is all DemoVLP uses),
to_2tuple and trunc_normal_ (torch's own truncated normal)."""
import torch
from torch import nn


class DropPath(nn.Module):
    def __init__(self, drop_prob=0.0):
        super().__init__()
        if drop_prob:
            raise NotImplementedError("stand-in DropPath supports rate 0 only")

    def forward(self, x):
        return x


def to_2tuple(x):
    return x if isinstance(x, tuple) else (x, x)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0):
    return torch.nn.init.trunc_normal_(tensor, mean=mean, std=std, a=a, b=b)
