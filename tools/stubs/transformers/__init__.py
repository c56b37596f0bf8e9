"""Stand-in for the part of Hugging Face transformers that DemoVLP's model/model.py uses.

model.py does `from transformers import AutoModel`, builds `AutoModel.from_pretrained(name)`, reads
`config.hidden_size` and calls `text_model(input_ids=..., attention_mask=...).last_hidden_state`. This
module provides exactly that for DistilBERT, in plain torch, with Hugging Face's parameter names, so a
state dict written from it has the names of a real distilbert-base-uncased checkpoint.

The forward is DistilBertModel of transformers 4.10.0 (the version DemoVLP's requirements.txt pins), op for
op: word + learned position embeddings, LayerNorm (eps 1e-12), dropout; per layer post-norm
self-attention (q scaled by 1/sqrt(head dim) before q.k; keys whose attention_mask is 0 are filled with
-inf before the softmax; transformers >= 4.2x fills torch.finfo(dtype).min instead, which gives the same
weights whenever a row has a real key, as every caption's [CLS] is), `sa_layer_norm(attn + x)`,
FFN lin2(gelu(lin1)) with exact erf GELU, `output_layer_norm(ffn + sa)`. No pooler, no token types.

Nothing is downloaded. from_pretrained knows the configurations registered with `register` (weights are
whatever the caller assigns afterwards) and local folders holding a DistilBERT config.json (weights drawn
as Hugging Face initialises them: normal(0, initializer_range) for linear and embedding weights, zero
biases; no weight file is read). Used by tools/make_text_encoder_fixture.py (registry) and
tools/make_pth_fixture.py (folder).
"""
import json
import math
import os

import torch
from torch import nn

__version__ = "4.10.0-stand-in"

_REGISTRY = {}


class DistilBertConfig:
    """The DistilBertConfig fields the model reads; `hidden_size` is an alias of `dim`, as in HF."""

    def __init__(self, vocab_size=30522, max_position_embeddings=512, n_layers=6, n_heads=12, dim=768,
                 hidden_dim=3072, dropout=0.1, attention_dropout=0.1, activation="gelu", pad_token_id=0,
                 sinusoidal_pos_embds=False):
        if dim % n_heads:
            raise ValueError("n_heads %d must divide dim %d" % (n_heads, dim))
        if activation != "gelu":
            raise NotImplementedError("stand-in DistilBERT supports activation 'gelu' only")
        if sinusoidal_pos_embds:
            raise NotImplementedError("stand-in DistilBERT supports learned positions only")
        self.vocab_size = vocab_size
        self.max_position_embeddings = max_position_embeddings
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.dim = dim
        self.hidden_dim = hidden_dim
        self.dropout = dropout
        self.attention_dropout = attention_dropout
        self.activation = activation
        self.pad_token_id = pad_token_id

    @property
    def hidden_size(self):
        return self.dim

    @property
    def num_hidden_layers(self):
        return self.n_layers


class Embeddings(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.dim, padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.dim)
        self.LayerNorm = nn.LayerNorm(config.dim, eps=1e-12)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, input_ids):
        seq_length = input_ids.size(1)
        position_ids = torch.arange(seq_length, dtype=torch.long, device=input_ids.device)
        position_ids = position_ids.unsqueeze(0).expand_as(input_ids)
        embeddings = self.word_embeddings(input_ids) + self.position_embeddings(position_ids)
        embeddings = self.LayerNorm(embeddings)
        return self.dropout(embeddings)


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.n_heads = config.n_heads
        self.dim = config.dim
        self.dropout = nn.Dropout(p=config.attention_dropout)
        self.q_lin = nn.Linear(config.dim, config.dim)
        self.k_lin = nn.Linear(config.dim, config.dim)
        self.v_lin = nn.Linear(config.dim, config.dim)
        self.out_lin = nn.Linear(config.dim, config.dim)

    def forward(self, query, key, value, mask):
        bs, q_length, dim = query.size()
        k_length = key.size(1)
        dim_per_head = self.dim // self.n_heads
        mask_reshp = (bs, 1, 1, k_length)

        def shape(x):
            return x.view(bs, -1, self.n_heads, dim_per_head).transpose(1, 2)

        def unshape(x):
            return x.transpose(1, 2).contiguous().view(bs, -1, self.n_heads * dim_per_head)

        q = shape(self.q_lin(query))
        k = shape(self.k_lin(key))
        v = shape(self.v_lin(value))
        q = q / math.sqrt(dim_per_head)
        scores = torch.matmul(q, k.transpose(2, 3))  # (bs, n_heads, q_length, k_length)
        mask = (mask == 0).view(mask_reshp).expand_as(scores)
        scores.masked_fill_(mask, -float("inf"))
        weights = nn.Softmax(dim=-1)(scores)
        weights = self.dropout(weights)
        context = unshape(torch.matmul(weights, v))
        return self.out_lin(context)


class FFN(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dropout = nn.Dropout(p=config.dropout)
        self.lin1 = nn.Linear(config.dim, config.hidden_dim)
        self.lin2 = nn.Linear(config.hidden_dim, config.dim)

    def forward(self, x):
        return self.dropout(self.lin2(nn.functional.gelu(self.lin1(x))))


class TransformerBlock(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.attention = MultiHeadSelfAttention(config)
        self.sa_layer_norm = nn.LayerNorm(normalized_shape=config.dim, eps=1e-12)
        self.ffn = FFN(config)
        self.output_layer_norm = nn.LayerNorm(normalized_shape=config.dim, eps=1e-12)

    def forward(self, x, attn_mask):
        sa_output = self.sa_layer_norm(self.attention(x, x, x, attn_mask) + x)
        return self.output_layer_norm(self.ffn(sa_output) + sa_output)


class Transformer(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.layer = nn.ModuleList([TransformerBlock(config) for _ in range(config.n_layers)])

    def forward(self, x, attn_mask):
        for layer_module in self.layer:
            x = layer_module(x, attn_mask)
        return x


class BaseModelOutput:
    def __init__(self, last_hidden_state):
        self.last_hidden_state = last_hidden_state


class DistilBertModel(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.embeddings = Embeddings(config)
        self.transformer = Transformer(config)

    def forward(self, input_ids=None, attention_mask=None):
        if input_ids is None:
            raise ValueError("stand-in DistilBERT needs input_ids")
        if attention_mask is None:
            attention_mask = torch.ones(input_ids.size(), device=input_ids.device)
        return BaseModelOutput(self.transformer(self.embeddings(input_ids), attention_mask))


def register(name, config):
    """Makes AutoModel.from_pretrained(name) build a DistilBertModel with this configuration."""
    _REGISTRY[name] = config


_CONFIG_KEYS = ("vocab_size", "max_position_embeddings", "n_layers", "n_heads", "dim", "hidden_dim", "dropout",
                "attention_dropout", "activation", "pad_token_id", "sinusoidal_pos_embds")


def _from_folder(path):
    with open(os.path.join(path, "config.json")) as f:
        d = json.load(f)
    if d.get("model_type", "distilbert") != "distilbert":
        raise NotImplementedError("stand-in transformers: only DistilBERT configs are supported")
    model = DistilBertModel(DistilBertConfig(**{k: d[k] for k in _CONFIG_KEYS if k in d}))
    std = d.get("initializer_range", 0.02)
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Embedding)):
            m.weight.data.normal_(mean=0.0, std=std)
        if isinstance(m, nn.Linear) and m.bias is not None:
            m.bias.data.zero_()
    return model


class AutoModel:
    @staticmethod
    def from_pretrained(name, *args, **kwargs):
        if name in _REGISTRY:
            return DistilBertModel(_REGISTRY[name])
        if os.path.isfile(os.path.join(str(name), "config.json")):
            return _from_folder(name)
        raise OSError("stand-in transformers: no configuration registered for %r (known: %s) and no config.json "
                      "there; nothing is downloaded" % (name, sorted(_REGISTRY)))
