package regionvlp.data.synth;

import java.util.Locale;

/**
 * Object colours. Each is an additive direction in feature space; in the frame files a salient or distractor
 * box carries {@code attrs_id = ordinal() + 1} (0 = no attribute, used for stuff regions).
 */
public enum Colour {
  RED, BLUE, GREEN, YELLOW, BLACK, WHITE, ORANGE, PURPLE, BROWN, GRAY;

  /** The caption word. */
  public String word() {
    return name().toLowerCase(Locale.ROOT);
  }
}
