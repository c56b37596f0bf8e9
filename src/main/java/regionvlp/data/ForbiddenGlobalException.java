package regionvlp.data;

import java.nio.file.Path;

/**
 * A pickle referenced a Python global outside {@link SafeUnpickler}'s allow-list (for example {@code
 * os.system}). Thrown as soon as the global is read, before any later opcode is looked at; nothing is ever
 * executed.
 */
public final class ForbiddenGlobalException extends InvalidInputFileException {
  private final String module;
  private final String name;

  /** Creates the exception for {@code module.name} found in {@code file}. */
  public ForbiddenGlobalException(Path file, String message, String module, String name) {
    super(file, message);
    this.module = module;
    this.name = name;
  }

  /** The global's module, e.g. {@code os}. */
  public String module() {
    return module;
  }

  /** The global's qualified name inside its module, e.g. {@code system}. */
  public String name() {
    return name;
  }
}
