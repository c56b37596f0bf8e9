package regionvlp.data.synth;

import java.util.List;

/**
 * Box trajectory of an object over the K frames, with caption paraphrases and the single-word cues the
 * caption parser recognises.
 */
public enum Motion {
  LEFT(List.of("moves to the left", "goes left", "slides leftward", "heads left", "drifts to the left"),
      List.of("left", "leftward", "leftwards")),
  RIGHT(List.of("moves to the right", "goes right", "slides rightward", "heads right", "drifts to the right"),
      List.of("right", "rightward", "rightwards")),
  UP(List.of("moves up", "rises", "goes upward", "climbs up"),
      List.of("up", "upward", "upwards", "rises", "rising", "climbs")),
  DOWN(List.of("moves down", "falls", "goes downward", "sinks down"),
      List.of("down", "downward", "downwards", "falls", "falling", "sinks")),
  GROWING(List.of("grows bigger", "gets larger", "comes closer", "approaches"),
      List.of("grows", "growing", "bigger", "larger", "closer", "approaches", "approaching")),
  SHRINKING(List.of("shrinks", "gets smaller", "moves away", "recedes"),
      List.of("shrinks", "shrinking", "smaller", "away", "recedes", "receding")),
  STILL(List.of("stays still", "does not move", "remains in place", "stays put"),
      List.of("still", "put", "stationary", "static", "motionless", "place", "not"));

  private final List<String> phrases;
  private final List<String> cues;

  Motion(List<String> phrases, List<String> cues) {
    this.phrases = phrases;
    this.cues = cues;
  }

  /** Caption paraphrases (third person singular verb phrases). */
  public List<String> phrases() {
    return phrases;
  }

  /** Single tokens that identify this motion when parsing free text. */
  public List<String> cues() {
    return cues;
  }
}
