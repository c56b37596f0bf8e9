package regionvlp.data;

import regionvlp.data.datasets.Datasets;

/**
 * Where training data lives and how clips are sampled.
 *
 * @param dataset the reader of the layout ({@link Datasets}): {@code msrvtt}, {@code didemo}, {@code msvd},
 *     {@code lsmdc}, {@code webvid}, {@code cc3m}, or {@code folder} (the generic {@code caption<TAB>clip} +
 *     {@code FEATURES/<clip>/<k>.npz} layout; {@code synthvid} and {@code tsv} are older names of it)
 * @param features the features root (not read when {@code store} is set)
 * @param trainMeta the training split's metadata: a file, or the folder holding the dataset's released files
 * @param valMeta the validation split's metadata (file or folder; for the four retrieval datasets the original
 *     validates on the test file), or empty for none
 * @param numFrames F, frames sampled per clip (1 at pre-training, 8 at fine-tuning)
 * @param numRegions R, top regions kept per frame (30)
 * @param faithfulSampling reproduce the original's off-by-one in random frame sampling (METHOD.md 1.5)
 * @param faithfulHeaderSkip drop the first row of each TSV as the original's pandas call does (G12)
 * @param loaderThreads background threads that read and assemble batches
 * @param maxBadFraction training aborts when more than this share of its clips (or of its caption rows) is
 *     bad; bad items below it are skipped and logged once each
 * @param allCaptions every caption is a query/training pair (MSVD's usual protocol) instead of the
 *     original's choice (MSVD: the first caption only, G15)
 * @param store a feature store folder ({@code features convert}) to read clips from instead of the npz tree
 *     under {@code features}, or empty
 * @param secondary the second training source of pre-training (METHOD.md 4.1: CC3M beside WebVid), whose
 *     batches alternate with this config's ({@link Secondary}); {@link Secondary#NONE} for one source
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
    double maxBadFraction,
    boolean allCaptions,
    String store,
    Secondary secondary) {
  public DataConfig {
    if (!Datasets.exists(dataset)) {
      throw new IllegalArgumentException("data.dataset must be one of " + Datasets.names() + ", found '"
          + dataset + "'");
    }
    if (!(maxBadFraction >= 0 && maxBadFraction <= 1)) {
      throw new IllegalArgumentException("data.maxBadFraction must be in [0, 1], found " + maxBadFraction);
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
    secondary = secondary == null ? Secondary.NONE : secondary;
  }

  /** Whether training alternates batches of two sources. */
  public boolean alternates() {
    return !secondary.dataset().isEmpty();
  }

  /**
   * The second training source, read with the primary's frame count, region count, sampler, header policy
   * and bad-item limit. Pre-training uses it for CC3M (images as 1-frame videos) beside WebVid; each
   * iteration then takes one optimiser step on a primary batch and one on a secondary batch.
   *
   * @param dataset its reader ({@link Datasets}), or empty for no second source
   * @param features its features root (not read when {@code store} is set)
   * @param trainMeta its training metadata, file or folder
   * @param store its feature store folder, or empty
   */
  public record Secondary(String dataset, String features, String trainMeta, String store) {
    /** No second source. */
    public static final Secondary NONE = new Secondary("", "", "", "");

    public Secondary {
      dataset = dataset == null ? "" : dataset;
      features = features == null ? "" : features;
      trainMeta = trainMeta == null ? "" : trainMeta;
      store = store == null ? "" : store;
      if (!dataset.isEmpty() && !Datasets.exists(dataset)) {
        throw new IllegalArgumentException("data.secondary.dataset must be empty (one source) or one of "
            + Datasets.names() + ", found '" + dataset + "'");
      }
    }

    /** The config a secondary source is read with: the primary's, with this source's dataset and paths. */
    public DataConfig asPrimary(DataConfig primary) {
      return new DataConfig(dataset, features, trainMeta, "", primary.numFrames(), primary.numRegions(),
          primary.faithfulSampling(), primary.faithfulHeaderSkip(), primary.loaderThreads(),
          primary.maxBadFraction(), primary.allCaptions(), store, NONE);
    }
  }
}
