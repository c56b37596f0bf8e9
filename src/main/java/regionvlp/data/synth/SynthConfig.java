package regionvlp.data.synth;

import java.nio.file.Path;

/**
 * Resolved configuration of a SynthVid corpus. Every field is validated in the compact constructor; the message
 * names the field, the expected range and the value found.
 *
 * @param seed master seed; every video is a pure function of (seed, split, index)
 * @param trainVideos number of training videos (>= 0)
 * @param valVideos number of validation videos (>= 0)
 * @param testVideos number of test videos (>= 1)
 * @param framesPerVideo K, frame files per video (>= 16: DemoVLP's 8-frame train sampler needs K >= 16)
 * @param featureDim D, RoI feature dimension (>= 8; 2048 for the real detector)
 * @param captionsPerTrainVideo captions per training video (>= 1; grammar mode only)
 * @param groupSize confusable twins per group (>= 2)
 * @param vocabFile VG-format object vocabulary, or null for the built-in list
 * @param captionsFile TSV whose first column supplies the captions, or null for the built-in grammar
 * @param compressed write frames as {@code np.savez_compressed} instead of {@code np.savez}
 * @param threads writer threads (>= 1); does not affect the output bytes
 */
public record SynthConfig(
    long seed,
    int trainVideos,
    int valVideos,
    int testVideos,
    int framesPerVideo,
    int featureDim,
    int captionsPerTrainVideo,
    int groupSize,
    Path vocabFile,
    Path captionsFile,
    boolean compressed,
    int threads) {

  /** Minimum K (METHOD.md 1.5). */
  public static final int MIN_FRAMES = 16;

  public SynthConfig {
    atLeast("trainVideos", trainVideos, 0);
    atLeast("valVideos", valVideos, 0);
    atLeast("testVideos", testVideos, 1);
    atLeast("framesPerVideo", framesPerVideo, MIN_FRAMES);
    atLeast("featureDim", featureDim, 8);
    atLeast("captionsPerTrainVideo", captionsPerTrainVideo, 1);
    atLeast("groupSize", groupSize, 2);
    atLeast("threads", threads, 1);
  }

  private static void atLeast(String field, int value, int min) {
    if (value < min) {
      throw new IllegalArgumentException(
          "SynthConfig." + field + ": expected >= " + min + ", found " + value);
    }
  }

  /** The defaults: seed 42, 4000/200/1000 videos, K = 16, D = 2048, 3 captions, twins, built-in vocab. */
  public static SynthConfig defaults() {
    return new SynthConfig(42L, 4000, 200, 1000, 16, 2048, 3, 2, null, null, false,
        Math.max(1, Math.min(8, Runtime.getRuntime().availableProcessors())));
  }

  public SynthConfig withSeed(long v) {
    return new SynthConfig(v, trainVideos, valVideos, testVideos, framesPerVideo, featureDim,
        captionsPerTrainVideo, groupSize, vocabFile, captionsFile, compressed, threads);
  }

  public SynthConfig withTrainVideos(int v) {
    return new SynthConfig(seed, v, valVideos, testVideos, framesPerVideo, featureDim,
        captionsPerTrainVideo, groupSize, vocabFile, captionsFile, compressed, threads);
  }

  public SynthConfig withValVideos(int v) {
    return new SynthConfig(seed, trainVideos, v, testVideos, framesPerVideo, featureDim,
        captionsPerTrainVideo, groupSize, vocabFile, captionsFile, compressed, threads);
  }

  public SynthConfig withTestVideos(int v) {
    return new SynthConfig(seed, trainVideos, valVideos, v, framesPerVideo, featureDim,
        captionsPerTrainVideo, groupSize, vocabFile, captionsFile, compressed, threads);
  }

  public SynthConfig withFramesPerVideo(int v) {
    return new SynthConfig(seed, trainVideos, valVideos, testVideos, v, featureDim,
        captionsPerTrainVideo, groupSize, vocabFile, captionsFile, compressed, threads);
  }

  public SynthConfig withFeatureDim(int v) {
    return new SynthConfig(seed, trainVideos, valVideos, testVideos, framesPerVideo, v,
        captionsPerTrainVideo, groupSize, vocabFile, captionsFile, compressed, threads);
  }

  public SynthConfig withCaptionsPerTrainVideo(int v) {
    return new SynthConfig(seed, trainVideos, valVideos, testVideos, framesPerVideo, featureDim,
        v, groupSize, vocabFile, captionsFile, compressed, threads);
  }

  public SynthConfig withGroupSize(int v) {
    return new SynthConfig(seed, trainVideos, valVideos, testVideos, framesPerVideo, featureDim,
        captionsPerTrainVideo, v, vocabFile, captionsFile, compressed, threads);
  }

  public SynthConfig withVocabFile(Path v) {
    return new SynthConfig(seed, trainVideos, valVideos, testVideos, framesPerVideo, featureDim,
        captionsPerTrainVideo, groupSize, v, captionsFile, compressed, threads);
  }

  public SynthConfig withCaptionsFile(Path v) {
    return new SynthConfig(seed, trainVideos, valVideos, testVideos, framesPerVideo, featureDim,
        captionsPerTrainVideo, groupSize, vocabFile, v, compressed, threads);
  }

  public SynthConfig withCompressed(boolean v) {
    return new SynthConfig(seed, trainVideos, valVideos, testVideos, framesPerVideo, featureDim,
        captionsPerTrainVideo, groupSize, vocabFile, captionsFile, v, threads);
  }

  public SynthConfig withThreads(int v) {
    return new SynthConfig(seed, trainVideos, valVideos, testVideos, framesPerVideo, featureDim,
        captionsPerTrainVideo, groupSize, vocabFile, captionsFile, compressed, v);
  }
}
