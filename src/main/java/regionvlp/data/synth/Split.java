package regionvlp.data.synth;

import java.util.Locale;

/** A SynthVid split; {@link #id()} is the file / video-id prefix ({@code train}, {@code val}, {@code test}). */
public enum Split {
  TRAIN,
  VAL,
  TEST;

  /** Lower-case name used in file names and video ids. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Number of videos of this split under {@code cfg} (grammar mode). */
  public int count(SynthConfig cfg) {
    return switch (this) {
      case TRAIN -> cfg.trainVideos();
      case VAL -> cfg.valVideos();
      case TEST -> cfg.testVideos();
    };
  }
}
