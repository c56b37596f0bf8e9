package regionvlp.data;

import java.nio.file.Path;

/**
 * A data file (features, annotations, checkpoint) that cannot be used as it is. The message always says
 * which file, what was expected and what was found; {@link #path()} names the file for callers that
 * collect bad items instead of failing.
 */
public class InvalidInputFileException extends RuntimeException {
  private final transient Path path;

  public InvalidInputFileException(Path path, String message) {
    super(path + ": " + message);
    this.path = path;
  }

  public InvalidInputFileException(Path path, String message, Throwable cause) {
    super(path + ": " + message, cause);
    this.path = path;
  }

  /** The offending file. */
  public Path path() {
    return path;
  }

  /** The message without the leading {@code "<path>: "}. */
  public String reason() {
    String m = getMessage();
    String prefix = path + ": ";
    return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
  }
}
