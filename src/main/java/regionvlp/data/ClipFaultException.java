package regionvlp.data;

import java.nio.file.Path;
import java.util.Objects;

/** A clip's features cannot be used; carries the {@link DataFault.Kind} so callers can report or skip it. */
public final class ClipFaultException extends InvalidInputFileException {
  private final DataFault.Kind kind;

  /**
   * @param kind what is wrong
   * @param path the file or folder concerned
   * @param message what was expected and what was found
   * @param cause the underlying error, or null
   */
  public ClipFaultException(DataFault.Kind kind, Path path, String message, Throwable cause) {
    super(path, message, cause);
    this.kind = Objects.requireNonNull(kind, "kind");
  }

  public DataFault.Kind kind() {
    return kind;
  }

  /** As a fault of clip {@code id}. */
  public DataFault toFault(String id) {
    return new DataFault(kind, id, path().toString(), reason());
  }
}
