package regionvlp.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A headerless {@code caption<TAB>video_id} table (DiDeMo, MSVD, WebVid metadata; METHOD.md 1.3), in file
 * order.
 *
 * <p><b>Records are not lines.</b> The original reads these files with {@code pd.read_csv(sep='\t')},
 * whose default CSV quoting applies ({@link DelimitedRecords}): {@code DiDeMo_test.tsv} has 1,011 physical
 * lines but 1,004 records. This reader's row count is the original's {@code len(metadata)} plus one (the
 * swallowed header, below).
 *
 * <p><b>Header quirk (G12).</b> The original lets pandas infer a header, so the first record is lost.
 * {@code faithfulHeaderSkip = true} reproduces that; the default keeps every record.
 *
 * <p>Errors ({@link InvalidInputFileException}) name {@code file:line}, the physical line where the record
 * starts: a record without a tab, with more than two fields, with an empty caption or id, an unterminated
 * quote, or invalid UTF-8.
 */
public final class CaptionTable {

  /**
   * One caption.
   *
   * @param caption the text query (for DiDeMo/MSVD all descriptions joined by ", ")
   * @param videoId the clip id, relative to the features root (may contain {@code /})
   * @param line 1-based physical line where the record starts
   */
  public record Row(String caption, String videoId, int line) {
    public Row {
      Objects.requireNonNull(caption, "caption");
      Objects.requireNonNull(videoId, "videoId");
    }
  }

  private final Path source;
  private final List<Row> rows;
  private final List<String> videoIds;
  private final int[] captionToVideo;

  private CaptionTable(Path source, List<Row> rows) {
    this.source = source;
    this.rows = List.copyOf(rows);
    Map<String, Integer> index = new LinkedHashMap<>();
    captionToVideo = new int[rows.size()];
    for (int i = 0; i < rows.size(); i++) {
      captionToVideo[i] = index.computeIfAbsent(rows.get(i).videoId(), k -> index.size());
    }
    videoIds = List.copyOf(index.keySet());
  }

  /**
   * Reads a table.
   *
   * @param tsv the file
   * @param faithfulHeaderSkip drop the first record, as the original's pandas call does
   */
  public static CaptionTable read(Path tsv, boolean faithfulHeaderSkip) {
    Objects.requireNonNull(tsv, "tsv");
    List<DelimitedRecords.Record> records = DelimitedRecords.read(tsv, '\t').records();
    int first = faithfulHeaderSkip && !records.isEmpty() ? 1 : 0;
    List<Row> rows = new ArrayList<>(records.size());
    for (DelimitedRecords.Record r : records.subList(first, records.size())) {
      rows.add(toRow(tsv, r));
    }
    if (rows.isEmpty()) {
      throw new InvalidInputFileException(
          tsv, "expected at least one caption<TAB>video_id record, found none");
    }
    return new CaptionTable(tsv, rows);
  }

  public Path source() {
    return source;
  }

  /** The captions in file order. */
  public List<Row> rows() {
    return rows;
  }

  public int size() {
    return rows.size();
  }

  /** Distinct video ids in order of first appearance; video index v refers to this list. */
  public List<String> distinctVideoIds() {
    return videoIds;
  }

  /** {@code int[size()]}: caption i belongs to video {@code distinctVideoIds().get(result[i])}. */
  public int[] captionToVideo() {
    return captionToVideo.clone();
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT, "CaptionTable[%s, %d captions, %d videos]", source, rows.size(), videoIds.size());
  }

  private static Row toRow(Path file, DelimitedRecords.Record r) {
    String where = "line " + r.line();
    List<String> fields = r.fields();
    if (r.fault() != null) {
      throw new InvalidInputFileException(file, where + ": expected UTF-8 text, found invalid bytes (" + r.fault() + ")");
    }
    if (fields.size() < 2) {
      throw new InvalidInputFileException(
          file,
          String.format(
              Locale.ROOT,
              "%s: expected caption<TAB>video_id, found no tab in \"%s\"",
              where,
              abbreviate(fields.get(0))));
    }
    if (fields.size() > 2) {
      throw new InvalidInputFileException(
          file,
          String.format(
              Locale.ROOT,
              "%s: expected 2 tab-separated fields, found %d; quote captions that contain tabs",
              where,
              fields.size()));
    }
    if (fields.get(0).isBlank()) {
      throw new InvalidInputFileException(file, where + ": expected a caption, found an empty field");
    }
    if (fields.get(1).isBlank()) {
      throw new InvalidInputFileException(file, where + ": expected a video id, found an empty field");
    }
    return new Row(fields.get(0), fields.get(1), r.line());
  }

  static String abbreviate(String s) {
    return s.length() <= 60 ? s : s.substring(0, 57) + "...";
  }
}
