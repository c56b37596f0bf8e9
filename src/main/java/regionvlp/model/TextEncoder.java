package regionvlp.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;

/**
 * The text tower in the DistilBERT layout (METHOD.md 2.2), plus DemoVLP's head {@code txt_proj}:
 * ReLU then Linear(W -> E) on every token; [CLS] is the global embedding.
 *
 * <p>DistilBERT is post-norm: {@code h = LN_sa(h + Attn(h)); h = LN_out(h + FFN(h))}, learned positions,
 * no token types. Parameter names are the Hugging Face {@code DistilBertModel} names under
 * {@code text_model.}, and {@code txt_proj.1.*} for the head, as in the original state dict. A BERT
 * encoder is the same network (see {@link HfTextCheckpoint} for the name mapping); the LayerNorm epsilon
 * and the feed-forward activation come from the config.
 */
public final class TextEncoder {
  /** Prefix of the transformer's parameters. */
  public static final String PREFIX = "text_model.";
  /** Prefix of the projection head's Linear (index 1 of the original nn.Sequential(ReLU, Linear)). */
  public static final String HEAD = "txt_proj.1.";

  private final TextEncoderConfig cfg;
  private final Params params;
  private final boolean hasHead;

  /** Registers this tower's parameters, initialised as Hugging Face initialises BERT (normal 0.02). */
  public TextEncoder(TextEncoderConfig cfg, int embedDim, Params params) {
    this(cfg, params, embedDim);
  }

  /**
   * The transformer alone, without the {@code txt_proj} head: for pooled hidden states of a pretrained tower
   * ({@code embed text --text-tower-only}). {@link #encode} is unavailable on it.
   */
  public static TextEncoder transformerOnly(TextEncoderConfig cfg, Params params) {
    return new TextEncoder(cfg, params, 0);
  }

  /** @param embedDim the head's output width, or 0 for no head */
  private TextEncoder(TextEncoderConfig cfg, Params params, int embedDim) {
    this.cfg = cfg;
    this.params = params;
    this.hasHead = embedDim > 0;
    int w = cfg.width();
    params.normal(PREFIX + "embeddings.word_embeddings.weight", cfg.initStd(), cfg.vocabSize(), w);
    params.denseGradient(PREFIX + "embeddings.word_embeddings.weight"); // its gradients are sparse (hidden)
    params.normal(PREFIX + "embeddings.position_embeddings.weight", cfg.initStd(), cfg.maxPositions(), w);
    params.constant(PREFIX + "embeddings.LayerNorm.weight", 1f, w);
    params.constant(PREFIX + "embeddings.LayerNorm.bias", 0f, w);
    for (int i = 0; i < cfg.depth(); i++) {
      String l = PREFIX + "transformer.layer." + i + ".";
      for (String lin : new String[] {"attention.q_lin", "attention.k_lin", "attention.v_lin",
          "attention.out_lin"}) {
        params.normal(l + lin + ".weight", cfg.initStd(), w, w);
        params.constant(l + lin + ".bias", 0f, w);
      }
      params.constant(l + "sa_layer_norm.weight", 1f, w);
      params.constant(l + "sa_layer_norm.bias", 0f, w);
      params.normal(l + "ffn.lin1.weight", cfg.initStd(), cfg.ffnDim(), w);
      params.constant(l + "ffn.lin1.bias", 0f, cfg.ffnDim());
      params.normal(l + "ffn.lin2.weight", cfg.initStd(), w, cfg.ffnDim());
      params.constant(l + "ffn.lin2.bias", 0f, w);
      params.constant(l + "output_layer_norm.weight", 1f, w);
      params.constant(l + "output_layer_norm.bias", 0f, w);
    }
    if (hasHead) {
      double bound = 1.0 / Math.sqrt(w);
      params.uniform(HEAD + "weight", bound, embedDim, w);
      params.uniform(HEAD + "bias", bound, embedDim);
    }
  }

  /** This tower's sizes. */
  public TextEncoderConfig config() {
    return cfg;
  }

  /**
   * Encodes token ids. Results belong to {@code ids}' manager.
   *
   * @param ids int64 [B, L] token ids
   * @param mask int64 or float32 [B, L] attention mask, 1 real / 0 padding
   * @return global [B, E] ([CLS]), local [B, L-1, E] and the additive word mask [B, L-1]
   */
  public TextEmbeddings encode(NDArray ids, NDArray mask) {
    if (!hasHead) {
      throw new IllegalStateException("this text tower was built without its txt_proj head (transformerOnly)");
    }
    NDArray maskF = mask.toType(DataType.FLOAT32, false); // [B, L]
    NDArray h = hidden(ids, maskF); // [B, L, W]
    // A split, not two index slices: its backward is one concatenation (see Attention#space).
    NDList out = Nn.linear(Activation.relu(h), p(HEAD + "weight"), p(HEAD + "bias"))
        .split(new long[] {1}, 1); // [B, 1, E], [B, L-1, E]
    NDArray global = out.get(0).reshape(ids.getShape().get(0), -1); // [B, E]
    NDArray local = out.get(1); // [B, L-1, E]
    NDArray wordMask = maskF.get(new NDIndex(":, 1:")).sub(1f).mul(100f); // [B, L-1]
    return new TextEmbeddings(global, local, wordMask);
  }

  /**
   * The transformer's last hidden states, before the head ({@code last_hidden_state} in Hugging Face terms).
   *
   * @param ids int64 [B, L]
   * @param mask [B, L], 1 real / 0 padding
   * @return [B, L, W], in {@code ids}' manager
   */
  public NDArray hidden(NDArray ids, NDArray mask) {
    long b = ids.getShape().get(0);
    long l = ids.getShape().get(1);
    if (l > cfg.maxPositions()) {
      throw new IllegalArgumentException(
          "ids: " + l + " tokens, but the position table has " + cfg.maxPositions());
    }
    NDArray maskF = mask.toType(DataType.FLOAT32, false); // [B, L]
    float eps = (float) cfg.layerNormEps();
    // A sparse (COO) gradient: the backward yields one row per looked-up token, which the engine adds
    // into the dense .grad in place. A dense gradient would allocate and zero the whole [vocab, W] table
    // (94 MB at DistilBERT size) and add it to .grad on every step. The optimiser sees the same dense
    // gradient either way.
    NDArray words = Embedding.embedding(ids, p(PREFIX + "embeddings.word_embeddings.weight"),
        SparseFormat.COO).singletonOrThrow(); // [B, L, W]
    NDArray pos = p(PREFIX + "embeddings.position_embeddings.weight").get(new NDIndex(":" + l)); // [L, W]
    NDArray h = Nn.layerNorm(words.add(pos), p(PREFIX + "embeddings.LayerNorm.weight"),
        p(PREFIX + "embeddings.LayerNorm.bias"), eps);
    // Padding keys are excluded (HF fills them with the dtype minimum; -1e9 gives the same softmax).
    NDArray attnMask = maskF.sub(1f).mul(1e9f).reshape(b, 1, 1, l); // [B, 1, 1, L]
    for (int i = 0; i < cfg.depth(); i++) {
      String pre = PREFIX + "transformer.layer." + i + ".";
      NDArray ctx = Attention.full(h,
          p(pre + "attention.q_lin.weight"), p(pre + "attention.q_lin.bias"),
          p(pre + "attention.k_lin.weight"), p(pre + "attention.k_lin.bias"),
          p(pre + "attention.v_lin.weight"), p(pre + "attention.v_lin.bias"),
          cfg.numHeads(), attnMask); // [B, L, W]
      NDArray sa = Nn.linear(ctx, p(pre + "attention.out_lin.weight"), p(pre + "attention.out_lin.bias"));
      h = Nn.layerNorm(sa.add(h), p(pre + "sa_layer_norm.weight"), p(pre + "sa_layer_norm.bias"),
          eps);
      NDArray ffn = Nn.linear(activation(Nn.linear(h, p(pre + "ffn.lin1.weight"), p(pre + "ffn.lin1.bias"))),
          p(pre + "ffn.lin2.weight"), p(pre + "ffn.lin2.bias"));
      h = Nn.layerNorm(ffn.add(h), p(pre + "output_layer_norm.weight"), p(pre + "output_layer_norm.bias"),
          eps);
    }
    return h;
  }

  private NDArray activation(NDArray x) {
    return switch (cfg.activation()) {
      case GELU -> Nn.gelu(x);
      case GELU_TANH -> Nn.geluTanh(x);
      case RELU -> Activation.relu(x);
    };
  }

  private NDArray p(String name) {
    return params.get(name);
  }
}
