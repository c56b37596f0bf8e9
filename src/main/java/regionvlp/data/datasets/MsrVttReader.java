package regionvlp.data.datasets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import regionvlp.data.ClipSource;
import regionvlp.data.DataFault;
import regionvlp.data.InvalidInputFileException;
import regionvlp.data.SafeUnpickler;

/**
 * MSR-VTT in Frozen-in-Time's layout, as {@code MSRVTT_dataset.py} reads it with {@code cut = "jsfusion"}:
 *
 * <pre>
 * META/annotation/MSR_VTT.json                                  {"annotations": [{"caption", "image_id"}, ...]}
 * META/high-quality/structured-symlinks/train_list_jsfusion.txt one video id per line (9,000)
 * META/high-quality/structured-symlinks/val_list_jsfusion.txt   the 1k-A test videos (1,000)
 * META/high-quality/structured-symlinks/jsfusion_val_caption_idx.pkl  pickled dict video id -> caption index
 * FEATURES/&lt;videoN&gt;/&lt;k&gt;.npz
 * </pre>
 *
 * <p>Videos are those of the split's list that have captions, in sorted id order (pandas' {@code groupby});
 * each keeps its captions in file order. Training pairs a video with one of its captions drawn at random;
 * val and test (both the jsfusion val list, as coded) keep the single caption the index names. The index is a
 * pickle, read by the {@link SafeUnpickler}, which never executes anything. The list files are read with
 * explicit column names, so no header row is swallowed (G12 does not apply).
 */
final class MsrVttReader implements DatasetReader {
  static final String JSON = "annotation/MSR_VTT.json";
  static final String SPLIT_DIR = "high-quality/structured-symlinks";
  static final String TRAIN_LIST = "train_list_jsfusion.txt";
  static final String TEST_LIST = "val_list_jsfusion.txt";
  static final String CAPTION_INDEX = "jsfusion_val_caption_idx.pkl";

  @Override
  public String name() {
    return "msrvtt";
  }

  @Override
  public String layout() {
    return "FEATURES/<videoN>/<k>.npz; META/annotation/MSR_VTT.json + META/" + SPLIT_DIR
        + "/{train_list_jsfusion.txt,val_list_jsfusion.txt,jsfusion_val_caption_idx.pkl}";
  }

  @Override
  public int defaultFrames() {
    return 8;
  }

  @Override
  public SplitIndex read(Path features, Path meta, ReadOptions options) {
    Path root = meta;
    if (Files.isRegularFile(meta)) { // META/annotation/MSR_VTT.json given directly
      root = meta.toAbsolutePath().getParent().getParent();
    }
    Path json = require(root.resolve(JSON), "the caption file");
    Path listFile = require(root.resolve(SPLIT_DIR).resolve(options.training() ? TRAIN_LIST : TEST_LIST),
        "the jsfusion " + (options.training() ? "train" : "test") + " list");
    SplitIndex.Builder out = new SplitIndex.Builder(name(), options.split(), features).meta(json).meta(listFile)
        .note("metaFile", listFile.getFileName().toString())
        .note("headerSkip", "n/a (JSON and list files read with explicit column names)");

    Set<String> listed = readList(listFile);
    Map<String, List<String>> byVideo = new TreeMap<>(); // groupby sorts the ids
    for (String id : listed) {
      byVideo.put(id, new ArrayList<>());
    }
    int annotations = readCaptions(json, byVideo);
    out.note("listedVideos", listed.size()).note("annotations", annotations);

    Map<String, Long> captionIndex = null;
    if (!options.training() && !options.allCaptions()) {
      Path pkl = require(root.resolve(SPLIT_DIR).resolve(CAPTION_INDEX), "the 1k-A caption index");
      out.meta(pkl);
      captionIndex = readCaptionIndex(pkl);
    }
    out.note("captionPolicy", options.training() ? "one caption per video drawn at random each visit"
        : options.allCaptions() ? "all captions of each test video" : "one caption per video, from " + CAPTION_INDEX);

    String jsonName = "MSR_VTT.json";
    for (Map.Entry<String, List<String>> e : byVideo.entrySet()) {
      String id = e.getKey();
      List<String> caps = e.getValue();
      String where = listFile.getFileName() + " (" + id + ")";
      if (caps.isEmpty()) {
        if (!options.training()) { // training drops such videos silently in the original (isin filter)
          out.fault(DataFault.Kind.MALFORMED_ROW, id, where, "listed, but " + jsonName + " has no caption for it");
        }
        continue;
      }
      ClipSource src;
      try {
        src = new ClipSource.FrameFolder(TableReader.under(features, id));
      } catch (IllegalArgumentException ex) {
        out.fault(DataFault.Kind.MALFORMED_ROW, id, where, ex.getMessage());
        continue;
      }
      if (captionIndex == null) {
        for (int i = 0; i < caps.size(); i++) {
          out.caption(id, src, caps.get(i), jsonName + " (" + id + " #" + i + ")");
        }
        continue;
      }
      Long idx = captionIndex.get(id);
      if (idx == null || idx < 0 || idx >= caps.size()) {
        out.fault(DataFault.Kind.MALFORMED_ROW, id, CAPTION_INDEX, idx == null ? "no caption index for this video"
            : "caption index " + idx + " out of range: the video has " + caps.size() + " captions");
        continue;
      }
      out.caption(id, src, caps.get(idx.intValue()), jsonName + " (" + id + " #" + idx + ")");
    }
    return out.build();
  }

  private static Path require(Path file, String what) {
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputFileException(file, "expected " + what + " of the MSR-VTT layout here; --meta names"
          + " the MSRVTT folder holding annotation/ and high-quality/structured-symlinks/");
    }
    return file;
  }

  /** Headerless list, one id per line ({@code pd.read_csv(names=['videoid'])}); blank lines skipped. */
  static Set<String> readList(Path file) {
    Set<String> ids = new LinkedHashSet<>();
    try {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        String id = line.strip();
        if (!id.isEmpty()) {
          ids.add(id);
        }
      }
    } catch (IOException | java.io.UncheckedIOException e) {
      throw new InvalidInputFileException(file, "cannot read the video list as UTF-8 text: " + e.getMessage(), e);
    }
    if (ids.isEmpty()) {
      throw new InvalidInputFileException(file, "expected one video id per line, found none");
    }
    return ids;
  }

  /** Appends every annotation's caption to its listed video; returns the number of annotations read. */
  static int readCaptions(Path json, Map<String, List<String>> byVideo) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(json.toFile());
    } catch (IOException e) {
      throw new InvalidInputFileException(json, "not valid JSON: " + e.getMessage(), e);
    }
    JsonNode anns = root == null ? null : root.get("annotations");
    if (anns == null || !anns.isArray()) {
      throw new InvalidInputFileException(json, "expected an object with an \"annotations\" array of"
          + " {\"caption\", \"image_id\"}, found " + (anns == null ? "no such key" : anns.getNodeType()));
    }
    int n = 0;
    for (JsonNode a : anns) {
      JsonNode id = a.get("image_id");
      JsonNode cap = a.get("caption");
      if (id == null || !id.isTextual() || cap == null || !cap.isTextual()) {
        throw new InvalidInputFileException(json, "annotations[" + n + "]: expected string \"caption\" and"
            + " \"image_id\", found " + abbreviate(a.toString()));
      }
      List<String> caps = byVideo.get(id.asText());
      if (caps != null) {
        caps.add(cap.asText());
      }
      n++;
    }
    return n;
  }

  /** The pickled {@code {video id: caption index}} dict. */
  static Map<String, Long> readCaptionIndex(Path pkl) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(pkl);
    } catch (IOException e) {
      throw new InvalidInputFileException(pkl, "cannot read: " + e.getMessage(), e);
    }
    Object value = SafeUnpickler.load(bytes, pkl, "caption index");
    if (!(value instanceof Map<?, ?> m)) {
      throw new InvalidInputFileException(pkl, "expected a pickled dict {video id: caption index}, found "
          + (value == null ? "None" : value.getClass().getSimpleName()));
    }
    Map<String, Long> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : m.entrySet()) {
      if (!(e.getKey() instanceof String k) || !(e.getValue() instanceof Long v)) {
        throw new InvalidInputFileException(pkl, "expected str keys and int values, found " + e.getKey() + ": "
            + e.getValue());
      }
      out.put(k, v);
    }
    return out;
  }

  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 77) + "...";
  }
}
