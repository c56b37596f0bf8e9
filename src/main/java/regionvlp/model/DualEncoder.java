package regionvlp.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * DemoVLP's two towers ("ObjectRelation", METHOD.md 2): a {@link VideoEncoder} over region features and a
 * {@link TextEncoder} over captions, both projected to a joint space of {@code embedDim}. It owns its
 * {@link Params}; close it to free them.
 */
public final class DualEncoder implements AutoCloseable {
  /** Epsilon of the row norm in cosine similarity (Frozen-in-Time's sim_matrix). */
  public static final float NORM_EPS = 1e-8f;

  private final ModelConfig cfg;
  private final Params params;
  private final VideoEncoder video;
  private final TextEncoder text;

  /**
   * Builds a freshly initialised model.
   *
   * @param manager parent manager; the parameters live in a sub-manager of it
   * @param seed seed of the initial values
   */
  public DualEncoder(ModelConfig cfg, NDManager manager, long seed) {
    this.cfg = cfg;
    this.params = new Params(manager, seed);
    this.video = new VideoEncoder(cfg.video(), cfg.embedDim(), params);
    this.text = new TextEncoder(cfg.text(), cfg.embedDim(), params);
  }

  /** The sizes this model was built with. */
  public ModelConfig config() {
    return cfg;
  }

  /** The parameters, in registration order. */
  public Params params() {
    return params;
  }

  /** See {@link VideoEncoder#encode}. */
  public VideoEmbeddings encodeVideo(NDArray regions, NDArray regionMask) {
    return video.encode(regions, regionMask);
  }

  /** The text tower. */
  public TextEncoder textEncoder() {
    return text;
  }

  /** See {@link TextEncoder#hidden}. */
  public NDArray textHidden(NDArray ids, NDArray mask) {
    return text.hidden(ids, mask);
  }

  /** See {@link TextEncoder#encode}. */
  public TextEmbeddings encodeText(NDArray ids, NDArray mask) {
    return text.encode(ids, mask);
  }

  /**
   * Cosine similarity of global embeddings: G[i, j] = cos(text i, video j).
   *
   * @param textGlobal [Bt, E]
   * @param videoGlobal [Bv, E]
   * @return [Bt, Bv], in {@code textGlobal}'s manager
   */
  public static NDArray cosine(NDArray textGlobal, NDArray videoGlobal) {
    return Nn.normalizeRows(textGlobal, NORM_EPS).matMul(Nn.normalizeRows(videoGlobal, NORM_EPS).transpose());
  }

  @Override
  public void close() {
    params.close();
  }
}
