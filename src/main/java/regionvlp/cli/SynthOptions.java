package regionvlp.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;
import regionvlp.data.synth.SynthConfig;

/** SynthVid options, shared by {@code synth} and {@code quickstart} (which passes them on). */
final class SynthOptions {
  @Option(names = "--seed", description = "Corpus seed (default: ${DEFAULT-VALUE}).")
  long seed = 42;

  @Option(names = "--train-videos", description = "Training videos (default: ${DEFAULT-VALUE}).")
  int trainVideos = 4000;

  @Option(names = "--val-videos", description = "Validation videos (default: ${DEFAULT-VALUE}).")
  int valVideos = 200;

  @Option(names = "--test-videos", description = "Test videos, one caption each (default: ${DEFAULT-VALUE}).")
  int testVideos = 1000;

  @Option(names = "--frames-per-video", description = "Frames K written per video, >= 16 (default: ${DEFAULT-VALUE}).")
  int framesPerVideo = 16;

  @Option(names = "--feature-dim", description = "Region feature width D (the real detector: 2048).")
  Integer featureDim;

  @Option(names = "--captions-per-train-video", description = "Captions per training video (default: ${DEFAULT-VALUE}).")
  int captionsPerTrainVideo = 3;

  @Option(names = "--group-size", description = "Confusable twins per group (default: ${DEFAULT-VALUE}).")
  int groupSize = 2;

  @Option(names = "--vocab", description = "Object vocabulary, Visual Genome format (one class per line, synonyms after commas).")
  Path vocab;

  @Option(names = "--captions", description = "Take captions from this TSV (first column); build each video from the nouns it names.")
  Path captions;

  @Option(names = "--compressed", description = "Deflate the .npz entries as np.savez_compressed does.")
  boolean compressed;

  @Option(names = "--threads", description = "Writer threads (default: the number of cores, at most 8).")
  Integer threads;

  SynthConfig toConfig(int defaultFeatureDim) {
    SynthConfig c = SynthConfig.defaults()
        .withSeed(seed)
        .withTrainVideos(trainVideos)
        .withValVideos(valVideos)
        .withTestVideos(testVideos)
        .withFramesPerVideo(framesPerVideo)
        .withFeatureDim(featureDim == null ? defaultFeatureDim : featureDim)
        .withCaptionsPerTrainVideo(captionsPerTrainVideo)
        .withGroupSize(groupSize)
        .withVocabFile(vocab)
        .withCaptionsFile(captions)
        .withCompressed(compressed);
    return threads == null ? c : c.withThreads(threads);
  }
}
