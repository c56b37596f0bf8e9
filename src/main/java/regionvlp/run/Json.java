package regionvlp.run;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/** The project's one Jackson configuration: unknown keys and missing primitives are errors. */
public final class Json {
  /** Shared, thread-safe mapper. */
  public static final ObjectMapper MAPPER =
      new ObjectMapper()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
          .enable(SerializationFeature.INDENT_OUTPUT);

  /** Single-line writer for log records and {@code --json} output. */
  public static final ObjectMapper COMPACT = new ObjectMapper();

  private Json() {}
}
