"""Minimal stand-in for einops, covering only the patterns DemoVLP's object_transformer.py uses.

Written for tools/make_video_encoder_fixture.py (einops is not packaged for Debian here). Any other
pattern raises, so a silent mis-translation is impossible.
"""


def rearrange(t, pattern, **dims):
    p = " ".join(pattern.split())
    if p == "b n (h d) -> (b h) n d":
        h = dims["h"]
        b, n, hd = t.shape
        return t.reshape(b, n, h, hd // h).permute(0, 2, 1, 3).reshape(b * h, n, hd // h)
    if p == "(b h) n d -> b n (h d)":
        h = dims["h"]
        bh, n, d = t.shape
        return t.reshape(bh // h, h, n, d).permute(0, 2, 1, 3).reshape(bh // h, n, h * d)
    if p == "b (f n) d -> (b f) n d":
        f = dims["f"]
        b, fn, d = t.shape
        return t.reshape(b * f, fn // f, d)
    if p == "(b f) n d -> b (f n) d":
        f = dims["f"]
        bf, n, d = t.shape
        return t.reshape(bf // f, f * n, d)
    raise NotImplementedError("stand-in einops: pattern not covered: " + pattern)


def repeat(t, pattern, **dims):
    p = " ".join(pattern.split())
    if p == "b () d -> (b r) () d":
        return t.repeat_interleave(dims["r"], dim=0)
    raise NotImplementedError("stand-in einops: pattern not covered: " + pattern)
