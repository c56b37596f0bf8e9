package regionvlp.serve;

/** A request the server refuses, with the status and the message of its JSON error body. */
final class HttpError extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int status;

  HttpError(int status, String message) {
    super(message);
    this.status = status;
  }

  int status() {
    return status;
  }

  /** Echoes user input into a message at most 80 characters long. */
  static String clip(String s) {
    return s.length() > 80 ? s.substring(0, 80) + "..." : s;
  }
}
