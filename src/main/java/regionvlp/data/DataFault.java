package regionvlp.data;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * One problem with one item of a dataset: a clip whose features cannot be used, or a caption row that cannot
 * be read. {@code regionvlp data check} reports them, training skips the items they name, and evaluation
 * refuses to run while any is present unless told to exclude them (METHOD.md G18: the original silently drew
 * another random sample instead).
 *
 * @param kind what is wrong
 * @param id the clip id (or, for a caption row without one, {@code "?"})
 * @param where the file, or {@code file:line} for a caption row
 * @param reason what was expected and what was found
 */
public record DataFault(Kind kind, String id, String where, String reason) {

  /** Fault kinds; {@link #key()} is the name used in JSON reports. */
  public enum Kind {
    /** The clip folder, a frame file or the image file does not exist (including a gap in the numbering). */
    MISSING("missing"),
    /** A frame file exists but cannot be read: truncated, not an npz, a key missing or malformed. */
    CORRUPT("corrupt"),
    /** Fewer frame files than the sampler needs (K &lt; F, or K &lt; 2F for the faithful sampler). */
    TOO_FEW_FRAMES("tooFewFrames"),
    /** Region features of another width than the model's {@code featureDim}. */
    WRONG_DIM("wrongDim"),
    /** NaN or infinite values in the features, boxes or confidences. */
    NON_FINITE("nonFinite"),
    /** A caption that is not valid UTF-8. */
    NON_UTF8_CAPTION("nonUtf8Caption"),
    /** A caption that is empty or blank. */
    EMPTY_CAPTION("emptyCaption"),
    /** A metadata row without the expected fields (no tab, no clip id, extra fields). */
    MALFORMED_ROW("malformedRow");

    private final String key;

    Kind(String key) {
      this.key = key;
    }

    /** The JSON name. */
    public String key() {
      return key;
    }

    /** True for faults of a caption row rather than of a clip's features. */
    public boolean isCaptionFault() {
      return this == NON_UTF8_CAPTION || this == EMPTY_CAPTION || this == MALFORMED_ROW;
    }
  }

  public DataFault {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(where, "where");
    Objects.requireNonNull(reason, "reason");
  }

  /** JSON form: {@code {"kind":..,"id":..,"where":..,"reason":..}}. */
  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", kind.key());
    m.put("id", id);
    m.put("where", where);
    m.put("reason", reason);
    return m;
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "%s %s (%s): %s", kind.key(), id, where, reason);
  }
}
