package regionvlp.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The records of a delimited text file, tokenised as the original's {@code pd.read_csv(path, sep=...)} does
 * (METHOD.md 1.3, G12): a field that starts with {@code "} runs to the next lone {@code "} (a doubled
 * {@code ""} is a literal quote) and may hold the delimiter and line breaks; text after a closing quote is
 * kept; blank lines between records are skipped; a record's trailing {@code \r} is dropped.
 *
 * <p><b>Records are not lines.</b> The released metadata files hold captions with quoted line breaks:
 * {@code DiDeMo_test.tsv} has 1,011 physical lines but 1,004 records, {@code
 * webvid_validation_success_full.tsv} 5,239 lines but 4,998 records. pandas 1.5.3 reads them as exactly these
 * records (then swallows the first as a header: 1,003 and 4,997 items). Both counts are kept: {@link
 * Parsed#physicalLines} and {@code records().size()}.
 *
 * <p><b>Encoding, per field.</b> The delimiter, quote and line breaks are ASCII, and in UTF-8 an ASCII byte
 * never occurs inside a multi-byte character, so the file is tokenised byte by byte and each field is then
 * decoded on its own. A field that is not valid UTF-8 marks its record with a {@link Record#fault()} (and is
 * kept with U+FFFD replacements for display) instead of failing the whole file, so a checker can name the
 * row. pandas fails the whole file in that case. An unterminated quote still fails the file: every record
 * after it would be wrong.
 */
public final class DelimitedRecords {

  /**
   * One record.
   *
   * @param fields the fields, unquoted and decoded
   * @param line 1-based physical line where the record starts
   * @param fault null, or why a field could not be decoded (for example invalid UTF-8)
   */
  public record Record(List<String> fields, int line, String fault) {
    public Record {
      fields = List.copyOf(fields);
    }
  }

  /**
   * A whole file.
   *
   * @param source the file
   * @param records the records in file order (blank lines skipped)
   * @param physicalLines line terminators, plus one for a last line without one ({@code wc -l} when the file
   *     ends with a newline)
   */
  public record Parsed(Path source, List<Record> records, int physicalLines) {
    public Parsed {
      records = List.copyOf(records);
    }
  }

  private DelimitedRecords() {}

  /**
   * Reads and tokenises a file.
   *
   * @param file the file
   * @param delimiter the field separator ({@code '\t'} for every DemoVLP metadata file)
   * @throws InvalidInputFileException when the file cannot be read or a quote is never closed
   */
  public static Parsed read(Path file, char delimiter) {
    Objects.requireNonNull(file, "file");
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new InvalidInputFileException(file, "cannot read metadata file: " + e, e);
    }
    // ISO-8859-1 maps every byte to the char of the same value, so the tokeniser sees the raw bytes.
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    if (text.startsWith("\u00EF\u00BB\u00BF")) { // UTF-8 byte order mark
      text = text.substring(3);
    }
    return new Parser(file, text, delimiter).parseAll();
  }

  /** Decodes one raw field (chars = bytes) as UTF-8; returns null when it is not valid UTF-8. */
  static String decodeUtf8(String raw) {
    boolean ascii = true;
    for (int i = 0; i < raw.length() && ascii; i++) {
      ascii = raw.charAt(i) < 0x80;
    }
    if (ascii) {
      return raw;
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(raw.getBytes(StandardCharsets.ISO_8859_1)))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  private static final class Parser {
    private final Path file;
    private final String text;
    private final char delimiter;
    private int pos;
    private int line = 1;

    Parser(Path file, String text, char delimiter) {
      this.file = file;
      this.text = text;
      this.delimiter = delimiter;
    }

    Parsed parseAll() {
      List<Record> out = new ArrayList<>();
      while (pos < text.length()) {
        if (atLineEnd()) {
          consumeLineEnd(); // blank line between records, skipped as pandas does
          continue;
        }
        int startLine = line;
        List<String> fields = new ArrayList<>(2);
        String fault = null;
        while (true) {
          String raw = readField(startLine);
          String decoded = decodeUtf8(raw);
          if (decoded == null) {
            if (fault == null) {
              fault = "field " + (fields.size() + 1) + " is not valid UTF-8";
            }
            decoded = new String(raw.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
          }
          fields.add(decoded);
          if (pos < text.length() && text.charAt(pos) == delimiter) {
            pos++;
            continue;
          }
          if (pos < text.length()) {
            consumeLineEnd();
          }
          break;
        }
        out.add(new Record(fields, startLine, fault));
      }
      int lines = line - 1 + (text.isEmpty() || text.endsWith("\n") || text.endsWith("\r") ? 0 : 1);
      return new Parsed(file, out, lines);
    }

    private String readField(int startLine) {
      StringBuilder sb = new StringBuilder();
      if (pos < text.length() && text.charAt(pos) == '"') {
        pos++;
        while (true) {
          if (pos >= text.length()) {
            throw new InvalidInputFileException(
                file,
                "line " + startLine + ": expected a closing quote, found end of file (unterminated \"...)");
          }
          char c = text.charAt(pos++);
          if (c == '"') {
            if (pos < text.length() && text.charAt(pos) == '"') {
              sb.append('"');
              pos++;
              continue;
            }
            break;
          }
          if (c == '\n' || (c == '\r' && (pos >= text.length() || text.charAt(pos) != '\n'))) {
            line++;
          }
          sb.append(c);
        }
      }
      // Unquoted field, or text after a closing quote (kept literally, like Python's csv and pandas).
      while (pos < text.length() && text.charAt(pos) != delimiter && !atLineEnd()) {
        sb.append(text.charAt(pos++));
      }
      return sb.toString();
    }

    private boolean atLineEnd() {
      char c = text.charAt(pos);
      return c == '\n' || c == '\r';
    }

    private void consumeLineEnd() {
      if (text.charAt(pos) == '\r' && pos + 1 < text.length() && text.charAt(pos + 1) == '\n') {
        pos += 2;
      } else {
        pos++;
      }
      line++;
    }
  }
}
