"""Minimal stand-in for Hugging Face transformers: AutoModel.from_pretrained for a DistilBERT folder.

transformers is not packaged for Debian here and PyPI is unreachable. DemoVLP's model.py only calls
AutoModel.from_pretrained(path), reads model.config.hidden_size and takes last_hidden_state of a forward
with input_ids and attention_mask. This stand-in builds DistilBertModel from plain torch with the Hugging
Face parameter names (embeddings.word_embeddings, transformer.layer.N.attention.q_lin, sa_layer_norm,
ffn.lin1, output_layer_norm, ...), following modeling_distilbert.py of transformers 4.10 (the version
DemoVLP pins): post-norm blocks, LayerNorm eps 1e-12, exact-erf GELU, scores of padded keys set to -inf,
q divided by sqrt(head dim). Weights are random (normal 0.02, as HF initialises); from_pretrained reads
only config.json, no weight file. Anything else raises, so a silent mismatch is impossible.

Written for tools/make_pth_fixture.py; another stand-in may exist for the text golden, reconcile them.
"""
import json
import math
import os
import types

import torch
from torch import nn


class DistilBertConfig:
    def __init__(self, d):
        if d.get("model_type", "distilbert") != "distilbert":
            raise NotImplementedError("stand-in transformers: only DistilBERT configs are supported")
        if d.get("sinusoidal_pos_embds", False):
            raise NotImplementedError("stand-in transformers: sinusoidal positions are not supported")
        if d.get("activation", "gelu") != "gelu":
            raise NotImplementedError("stand-in transformers: only the gelu activation is supported")
        self.vocab_size = d["vocab_size"]
        self.dim = d["dim"]
        self.n_layers = d["n_layers"]
        self.n_heads = d["n_heads"]
        self.hidden_dim = d["hidden_dim"]
        self.max_position_embeddings = d["max_position_embeddings"]
        self.pad_token_id = d.get("pad_token_id", 0)
        self.dropout = d.get("dropout", 0.1)
        self.attention_dropout = d.get("attention_dropout", 0.1)
        self.initializer_range = d.get("initializer_range", 0.02)
        self.hidden_size = self.dim  # DistilBertConfig.attribute_map


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c.vocab_size, c.dim, padding_idx=c.pad_token_id)
        self.position_embeddings = nn.Embedding(c.max_position_embeddings, c.dim)
        self.LayerNorm = nn.LayerNorm(c.dim, eps=1e-12)
        self.dropout = nn.Dropout(c.dropout)

    def forward(self, input_ids):
        seq_length = input_ids.size(1)
        position_ids = torch.arange(seq_length, dtype=torch.long, device=input_ids.device)
        position_ids = position_ids.unsqueeze(0).expand_as(input_ids)
        x = self.word_embeddings(input_ids) + self.position_embeddings(position_ids)
        return self.dropout(self.LayerNorm(x))


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.n_heads = c.n_heads
        self.dim = c.dim
        self.dropout = nn.Dropout(p=c.attention_dropout)
        assert self.dim % self.n_heads == 0
        self.q_lin = nn.Linear(c.dim, c.dim)
        self.k_lin = nn.Linear(c.dim, c.dim)
        self.v_lin = nn.Linear(c.dim, c.dim)
        self.out_lin = nn.Linear(c.dim, c.dim)

    def forward(self, x, mask):
        bs, q_length, dim = x.size()
        k_length = x.size(1)
        dim_per_head = self.dim // self.n_heads

        def shape(t):
            return t.view(bs, -1, self.n_heads, dim_per_head).transpose(1, 2)

        def unshape(t):
            return t.transpose(1, 2).contiguous().view(bs, -1, self.n_heads * dim_per_head)

        q = shape(self.q_lin(x))
        k = shape(self.k_lin(x))
        v = shape(self.v_lin(x))
        q = q / math.sqrt(dim_per_head)
        scores = torch.matmul(q, k.transpose(2, 3))
        mask = (mask == 0).view(bs, 1, 1, k_length).expand_as(scores)
        scores = scores.masked_fill(mask, -float("inf"))
        weights = self.dropout(nn.functional.softmax(scores, dim=-1))
        context = unshape(torch.matmul(weights, v))
        return self.out_lin(context)


class FFN(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dropout = nn.Dropout(p=c.dropout)
        self.lin1 = nn.Linear(c.dim, c.hidden_dim)
        self.lin2 = nn.Linear(c.hidden_dim, c.dim)
        self.activation = nn.GELU()

    def forward(self, x):
        return self.dropout(self.lin2(self.activation(self.lin1(x))))


class TransformerBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = MultiHeadSelfAttention(c)
        self.sa_layer_norm = nn.LayerNorm(c.dim, eps=1e-12)
        self.ffn = FFN(c)
        self.output_layer_norm = nn.LayerNorm(c.dim, eps=1e-12)

    def forward(self, x, attn_mask):
        sa = self.sa_layer_norm(self.attention(x, attn_mask) + x)
        return self.output_layer_norm(self.ffn(sa) + sa)


class Transformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([TransformerBlock(c) for _ in range(c.n_layers)])

    def forward(self, x, attn_mask):
        for layer in self.layer:
            x = layer(x, attn_mask)
        return x


class DistilBertModel(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.embeddings = Embeddings(config)
        self.transformer = Transformer(config)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                m.weight.data.normal_(mean=0.0, std=config.initializer_range)
            if isinstance(m, nn.Linear) and m.bias is not None:
                m.bias.data.zero_()

    def forward(self, input_ids=None, attention_mask=None, **unsupported):
        if unsupported:
            raise NotImplementedError("stand-in transformers: unsupported arguments " + str(sorted(unsupported)))
        if attention_mask is None:
            attention_mask = torch.ones(input_ids.shape, device=input_ids.device)
        h = self.transformer(self.embeddings(input_ids), attention_mask)
        return types.SimpleNamespace(last_hidden_state=h)


class AutoModel:
    @staticmethod
    def from_pretrained(path, **unsupported):
        if unsupported:
            raise NotImplementedError("stand-in transformers: unsupported arguments " + str(sorted(unsupported)))
        with open(os.path.join(path, "config.json")) as f:
            return DistilBertModel(DistilBertConfig(json.load(f)))
