package regionvlp.data.synth;

import java.util.List;

/** Object size attribute: an additive feature direction plus a box-scale range. NONE is not captioned. */
public enum Size {
  NONE(List.of()),
  SMALL(List.of("small", "little", "tiny")),
  BIG(List.of("big", "large", "huge"));

  private final List<String> words;

  Size(List<String> words) {
    this.words = words;
  }

  /** Caption words (synonyms); empty for {@link #NONE}. */
  public List<String> words() {
    return words;
  }
}
