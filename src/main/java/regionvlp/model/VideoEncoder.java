package regionvlp.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * The region transformer ("ObjectTransformer", METHOD.md 2.1): the video tower.
 *
 * <ol>
 *   <li>Each region vector (D feature values, then the 6-d box) becomes a token
 *       {@code Linear_obj(feature) + Linear_box(box)}; no slot position embedding, the box is the only
 *       spatial signal.
 *   <li>Regions of frame f get {@code temporal_embed[f]}; a CLS token ({@code cls_token +
 *       custom_pos_embed[0]}) is prepended: sequence [B, 1 + F*R, W].
 *   <li>Pre-norm blocks with "space" attention: a region attends to the CLS key and the R keys of its own
 *       frame; the CLS attends to every key. Padded regions get an additive -100 on their key logits (not
 *       -inf: METHOD.md G8).
 *   <li>No final LayerNorm (G7). A bias-free projection to the joint space is applied to every token:
 *       token 0 is the global video embedding, tokens 1.. the local region embeddings.
 * </ol>
 *
 * <p>Parameter names follow the original state dict ({@code object_model.*}) so released checkpoints map
 * by name. The unused {@code norm} and {@code norm3} LayerNorms of the original are not created.
 */
public final class VideoEncoder {
  /** Prefix of every parameter of this tower. */
  public static final String PREFIX = "object_model.";

  private final VideoEncoderConfig cfg;
  private final Params params;

  /** Registers this tower's parameters in {@code params}, initialised as METHOD.md 2.1 describes. */
  public VideoEncoder(VideoEncoderConfig cfg, int embedDim, Params params) {
    this.cfg = cfg;
    this.params = params;
    int w = cfg.width();
    params.truncNormal(PREFIX + "cls_token", cfg.initStd(), 1, 1, w);
    params.truncNormal(PREFIX + "custom_pos_embed", cfg.initStd(), 1, 1 + cfg.numRegions(), w);
    params.constant(PREFIX + "temporal_embed", 0f, 1, cfg.maxFrames(), w);
    for (int i = 0; i < cfg.depth(); i++) {
      String b = PREFIX + "blocks." + i + ".";
      params.constant(b + "norm1.weight", 1f, w);
      params.constant(b + "norm1.bias", 0f, w);
      params.truncNormal(b + "attn.qkv.weight", cfg.initStd(), 3L * w, w);
      params.constant(b + "attn.qkv.bias", 0f, 3L * w);
      params.truncNormal(b + "attn.proj.weight", cfg.initStd(), w, w);
      params.constant(b + "attn.proj.bias", 0f, w);
      params.constant(b + "norm2.weight", 1f, w);
      params.constant(b + "norm2.bias", 0f, w);
      params.truncNormal(b + "mlp.fc1.weight", cfg.initStd(), cfg.mlpDim(), w);
      params.constant(b + "mlp.fc1.bias", 0f, cfg.mlpDim());
      params.truncNormal(b + "mlp.fc2.weight", cfg.initStd(), w, cfg.mlpDim());
      params.constant(b + "mlp.fc2.bias", 0f, w);
    }
    // Created after the trunc-normal pass in the original, so they keep PyTorch's default Linear init.
    linearDefault(PREFIX + "object_embedding", cfg.featureDim(), w, true);
    linearDefault(PREFIX + "pos_embedding", VideoEncoderConfig.BOX_DIM, w, true);
    linearDefault(PREFIX + "proj", w, embedDim, false);
  }

  private void linearDefault(String name, int in, int out, boolean bias) {
    double bound = 1.0 / Math.sqrt(in);
    params.uniform(name + ".weight", bound, out, in);
    if (bias) {
      params.uniform(name + ".bias", bound, out);
    }
  }

  /** This tower's sizes. */
  public VideoEncoderConfig config() {
    return cfg;
  }

  /**
   * Encodes a batch of clips. Results belong to {@code regions}' manager.
   *
   * @param regions float32 [B, F, R, D+6]: features then the 6-d box encoding
   * @param regionMask float32 [B, F, R]: 1 for real regions, 0 for edge padding
   * @return global [B, E], local [B, F*R, E] and the additive region key mask [B, F*R]
   */
  public VideoEmbeddings encode(NDArray regions, NDArray regionMask) {
    Shape s = regions.getShape();
    if (s.dimension() != 4 || s.get(3) != cfg.featureDim() + VideoEncoderConfig.BOX_DIM) {
      throw new IllegalArgumentException(
          "regions: expected [B, F, R, " + (cfg.featureDim() + VideoEncoderConfig.BOX_DIM) + "], found " + s);
    }
    int b = (int) s.get(0);
    int f = (int) s.get(1);
    int r = (int) s.get(2);
    if (f > cfg.maxFrames()) {
      throw new IllegalArgumentException(
          "regions: " + f + " frames, but the temporal embedding has " + cfg.maxFrames()
              + " (model.video.maxFrames)");
    }
    int w = cfg.width();
    int d = cfg.featureDim();

    NDArray feat = regions.get(new NDIndex("..., :" + d)); // [B, F, R, D]
    NDArray box = regions.get(new NDIndex("..., " + d + ":")); // [B, F, R, 6]
    NDArray tokens =
        Nn.linear(feat, p("object_embedding.weight"), p("object_embedding.bias"))
            .add(Nn.linear(box, p("pos_embedding.weight"), p("pos_embedding.bias"))); // [B, F, R, W]
    NDArray temporal =
        p("temporal_embed").get(new NDIndex(":, :" + f + ", :")).reshape(1, f, 1, w); // [1, F, 1, W]
    tokens = tokens.add(temporal).reshape(b, (long) f * r, w); // [B, F*R, W]
    NDArray cls =
        p("cls_token").add(p("custom_pos_embed").get(new NDIndex(":, 0:1, :"))); // [1, 1, W]
    NDArray x = NDArrays.concat(new NDList(cls.broadcast(b, 1, w), tokens), 1); // [B, 1+F*R, W]

    NDArray keyMask = regionMask.sub(1f).mul(100f); // [B, F, R], 0 valid / -100 padded
    Attention.Masks masks = Attention.spaceMasks(keyMask); // built once, shared by all blocks
    for (int i = 0; i < cfg.depth(); i++) {
      String blk = "blocks." + i + ".";
      NDArray h = Nn.layerNorm(x, p(blk + "norm1.weight"), p(blk + "norm1.bias"), VideoEncoderConfig.LN_EPS);
      x = x.add(Attention.space(h, p(blk + "attn.qkv.weight"), p(blk + "attn.qkv.bias"),
          p(blk + "attn.proj.weight"), p(blk + "attn.proj.bias"), cfg.numHeads(), f, r, masks));
      h = Nn.layerNorm(x, p(blk + "norm2.weight"), p(blk + "norm2.bias"), VideoEncoderConfig.LN_EPS);
      h = Nn.gelu(Nn.linear(h, p(blk + "mlp.fc1.weight"), p(blk + "mlp.fc1.bias")));
      x = x.add(Nn.linear(h, p(blk + "mlp.fc2.weight"), p(blk + "mlp.fc2.bias")));
    }
    NDList out = Nn.linear(x, p("proj.weight"), null).split(new long[] {1}, 1); // [B, 1, E], [B, F*R, E]
    NDArray global = out.get(0).reshape(b, -1); // [B, E]
    NDArray local = out.get(1); // [B, F*R, E]
    return new VideoEmbeddings(global, local, keyMask.reshape(b, (long) f * r));
  }

  private NDArray p(String name) {
    return params.get(PREFIX + name);
  }
}
