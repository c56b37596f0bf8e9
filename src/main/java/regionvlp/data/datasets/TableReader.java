package regionvlp.data.datasets;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import regionvlp.data.DataFault;
import regionvlp.data.DelimitedRecords;
import regionvlp.data.InvalidInputFileException;

/**
 * The shared part of the readers whose metadata is one tab-separated file per split, read as the original's
 * {@code pd.read_csv(path, sep='\t')} reads it ({@link DelimitedRecords}): every record is a row, and with
 * {@link ReadOptions#faithfulHeaderSkip()} the first one is dropped as pandas' inferred header (G12).
 */
abstract class TableReader implements DatasetReader {

  /** Split name to released file name. */
  abstract Map<String, String> splitFiles();

  /** Fields a row must have: exactly this many when {@link #exactFields()}, else at least. */
  abstract int fields();

  boolean exactFields() {
    return true;
  }

  /** The field holding the clip id (named in fault reports). */
  int idField() {
    return 1;
  }

  /** Turns one well-formed row into captions (or faults) of the builder. */
  abstract void row(List<String> fields, Path features, ReadOptions options, SplitIndex.Builder out, String where);

  /** Extra notes for the protocol block. */
  void describe(ReadOptions options, SplitIndex.Builder out) {}

  @Override
  public SplitIndex read(Path features, Path meta, ReadOptions options) {
    Path file = resolveMeta(meta, options.split());
    DelimitedRecords.Parsed parsed = DelimitedRecords.read(file, '\t');
    List<DelimitedRecords.Record> records = parsed.records();
    int first = options.faithfulHeaderSkip() && !records.isEmpty() ? 1 : 0;
    SplitIndex.Builder out = new SplitIndex.Builder(name(), options.split(), features).meta(file)
        .note("metaFile", file.getFileName().toString())
        .note("metaLines", parsed.physicalLines())
        .note("metaRecords", records.size())
        .note("headerSkip", options.faithfulHeaderSkip());
    describe(options, out);
    String fileName = file.getFileName().toString();
    for (DelimitedRecords.Record r : records.subList(first, records.size())) {
      String where = fileName + ":" + r.line();
      List<String> f = r.fields();
      String idGuess = f.size() > idField() && !f.get(idField()).isBlank() ? f.get(idField()) : "?";
      if (r.fault() != null) {
        out.fault(DataFault.Kind.NON_UTF8_CAPTION, idGuess, where, "expected UTF-8 text, found invalid bytes ("
            + r.fault() + ")");
        continue;
      }
      boolean ok = exactFields() ? f.size() == fields() : f.size() >= fields();
      if (!ok) {
        out.fault(DataFault.Kind.MALFORMED_ROW, idGuess, where, "expected " + (exactFields() ? "" : "at least ")
            + fields() + " tab-separated fields, found " + f.size());
        continue;
      }
      try {
        row(f, features, options, out, where);
      } catch (IllegalArgumentException e) {
        out.fault(DataFault.Kind.MALFORMED_ROW, idGuess, where, e.getMessage());
      }
    }
    return out.build();
  }

  /** The split's file: {@code meta} itself, or {@code meta/<released name>}. */
  Path resolveMeta(Path meta, String split) {
    if (Files.isRegularFile(meta)) {
      return meta;
    }
    String name = splitFiles().get(split);
    if (name == null) {
      throw new IllegalArgumentException(name() + " has no " + split + " split; splits: " + splitFiles().keySet());
    }
    if (!Files.isDirectory(meta)) {
      throw new InvalidInputFileException(meta, "metadata not found; expected " + name
          + " or a folder holding it (--meta FILE|DIR)");
    }
    Path file = meta.resolve(name);
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputFileException(file, "expected the " + name() + " " + split + " metadata file here"
          + " (released name " + name + "); pass --meta FILE to read another file");
    }
    return file;
  }

  /** {@code root/rel} for a relative id without {@code .} or {@code ..} segments. */
  static Path under(Path root, String rel) {
    if (rel.isBlank() || rel.startsWith("/") || rel.startsWith("\\")) {
      throw new IllegalArgumentException("expected a relative clip id, found '" + rel + "'");
    }
    for (String part : rel.split("[/\\\\]")) {
      if (part.equals("..") || part.equals(".")) {
        throw new IllegalArgumentException("clip id must not contain '.' or '..' segments, found '" + rel + "'");
      }
    }
    return root.resolve(rel);
  }
}
