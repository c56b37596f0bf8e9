package regionvlp.data;

/**
 * Where training data lives and how clips are sampled.
 *
 * @param dataset layout name: {@code synthvid} or {@code tsv} (the DiDeMo-style
 *     {@code caption<TAB>video_id} + {@code FEATURES/<video_id>/{k}.npz} layout both use)
 * @param features root folder of the per-video frame folders (not read when {@code store} is set)
 * @param trainMeta training captions TSV
 * @param valMeta validation captions TSV, or empty for none
 * @param numFrames F, frames sampled per clip (1 at pre-training, 8 at fine-tuning)
 * @param numRegions R, top regions kept per frame (30)
 * @param faithfulSampling reproduce the original's off-by-one in random frame sampling (METHOD.md 1.5)
 * @param faithfulHeaderSkip drop the first row of each TSV as the original's pandas call does (G12)
 * @param loaderThreads background threads that read and assemble batches
 * @param store a feature store folder ({@code features convert}) to read clips from instead of the npz tree
 *     under {@code features}, or empty
 */
public record DataConfig(
    String dataset,
    String features,
    String trainMeta,
    String valMeta,
    int numFrames,
    int numRegions,
    boolean faithfulSampling,
    boolean faithfulHeaderSkip,
    int loaderThreads,
    String store) {
  public DataConfig {
    if (dataset == null || !(dataset.equals("synthvid") || dataset.equals("tsv"))) {
      throw new IllegalArgumentException("data.dataset must be 'synthvid' or 'tsv', found '" + dataset + "'");
    }
    if (numFrames < 1) {
      throw new IllegalArgumentException("data.numFrames must be >= 1, found " + numFrames);
    }
    if (numRegions < 1) {
      throw new IllegalArgumentException("data.numRegions must be >= 1, found " + numRegions);
    }
    if (loaderThreads < 1) {
      throw new IllegalArgumentException("data.loaderThreads must be >= 1, found " + loaderThreads);
    }
    features = features == null ? "" : features;
    trainMeta = trainMeta == null ? "" : trainMeta;
    valMeta = valMeta == null ? "" : valMeta;
    store = store == null ? "" : store;
  }
}
