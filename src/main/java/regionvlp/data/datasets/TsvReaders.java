package regionvlp.data.datasets;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import regionvlp.data.ClipSource;

/**
 * The five {@code caption<TAB>clip} layouts (METHOD.md 1.3). Every one of them is read the same way
 * ({@link TableReader}); they differ in where the clip's frames are and in the caption policy.
 */
final class TsvReaders {
  private TsvReaders() {}

  /**
   * The generic layout (DiDeMo-like, written by {@code synth}): {@code FEATURES/<clip>/<k>.npz} and headerless
   * {@code train.tsv}, {@code val.tsv}, {@code test.tsv} of {@code caption<TAB>clip}, several rows per clip
   * allowed. Registered as {@code folder}, and under the older names {@code synthvid} and {@code tsv}.
   */
  static final class Folder extends TableReader {
    private final String name;

    Folder(String name) {
      this.name = name;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public String layout() {
      return "FEATURES/<clip>/<k>.npz; META/{train,val,test}.tsv: caption<TAB>clip";
    }

    @Override
    public int defaultFrames() {
      return 8;
    }

    @Override
    Map<String, String> splitFiles() {
      return Map.of("train", "train.tsv", "val", "val.tsv", "test", "test.tsv");
    }

    @Override
    int fields() {
      return 2;
    }

    @Override
    void row(List<String> f, Path features, ReadOptions o, SplitIndex.Builder out, String where) {
      String id = f.get(1);
      out.caption(id, new ClipSource.FrameFolder(under(features, id)), f.get(0), where);
    }
  }

  /**
   * DiDeMo: {@code FEATURES/<video file name up to its first '.'>/<k>.npz}; {@code DiDeMo_{train,test}.tsv}
   * with col0 = all moment descriptions of the video joined by ", " (the paragraph query) and col1 = the video
   * file name. val reads the test file, as the original does.
   */
  static final class DiDeMo extends TableReader {
    @Override
    public String name() {
      return "didemo";
    }

    @Override
    public String layout() {
      return "FEATURES/<video name before the first '.'>/<k>.npz; META/DiDeMo_{train,test}.tsv: paragraph<TAB>video file";
    }

    @Override
    public int defaultFrames() {
      return 8;
    }

    @Override
    Map<String, String> splitFiles() {
      return Map.of("train", "DiDeMo_train.tsv", "val", "DiDeMo_test.tsv", "test", "DiDeMo_test.tsv");
    }

    @Override
    int fields() {
      return 2;
    }

    @Override
    void describe(ReadOptions o, SplitIndex.Builder out) {
      out.note("captionPolicy", "paragraph: all moment descriptions of the video, as joined in col0");
    }

    @Override
    void row(List<String> f, Path features, ReadOptions o, SplitIndex.Builder out, String where) {
      String id = beforeFirstDot(f.get(1)); // sample[1].split('.')[0]
      out.caption(id, new ClipSource.FrameFolder(under(features, id)), f.get(0), where);
    }
  }

  /**
   * MSVD: {@code FEATURES/<youtubeid_start_end>/<k>.npz}; {@code MSVD_{train,test}.tsv} with col0 = all
   * captions joined by ", ". As coded, the query is {@code col0.split(',')[0]}, the text before the first
   * comma (G15); {@link ReadOptions#allCaptions()} makes every ", "-separated caption a query instead.
   */
  static final class Msvd extends TableReader {
    @Override
    public String name() {
      return "msvd";
    }

    @Override
    public String layout() {
      return "FEATURES/<youtubeid_start_end>/<k>.npz; META/MSVD_{train,test}.tsv: captions joined by ', '<TAB>clip";
    }

    @Override
    public int defaultFrames() {
      return 8;
    }

    @Override
    Map<String, String> splitFiles() {
      return Map.of("train", "MSVD_train.tsv", "val", "MSVD_test.tsv", "test", "MSVD_test.tsv");
    }

    @Override
    int fields() {
      return 2;
    }

    @Override
    void describe(ReadOptions o, SplitIndex.Builder out) {
      out.note("captionPolicy", o.allCaptions() ? "all captions (col0 split on ', ')"
          : "first caption as coded (col0.split(',')[0])");
    }

    @Override
    void row(List<String> f, Path features, ReadOptions o, SplitIndex.Builder out, String where) {
      String id = f.get(1);
      ClipSource src = new ClipSource.FrameFolder(under(features, id));
      if (!o.allCaptions()) {
        int comma = f.get(0).indexOf(',');
        out.caption(id, src, comma < 0 ? f.get(0) : f.get(0).substring(0, comma), where);
        return;
      }
      int before = 0;
      for (String c : f.get(0).split(", ")) {
        if (!c.isBlank()) {
          out.caption(id, src, c.strip(), where);
          before++;
        }
      }
      if (before == 0) {
        out.caption(id, src, "", where); // records the empty-caption fault
      }
    }
  }

  /**
   * WebVid: {@code FEATURES/{train|val}/<page_dir>/<videoid>/<k>.npz} (8 frames per video, 0-based);
   * {@code webvid_{training,validation}_success_full.tsv} with col0 = caption, col1 = {@code
   * <page_dir>/<videoid>}. A clip with exactly F frames uses them all.
   */
  static final class WebVid extends TableReader {
    @Override
    public String name() {
      return "webvid";
    }

    @Override
    public String layout() {
      return "FEATURES/{train|val}/<page_dir>/<videoid>/<k>.npz; META/webvid_{training,validation}_success_full.tsv";
    }

    @Override
    public int defaultFrames() {
      return 1;
    }

    @Override
    Map<String, String> splitFiles() {
      return Map.of("train", "webvid_training_success_full.tsv", "val", "webvid_validation_success_full.tsv",
          "test", "webvid_validation_success_full.tsv");
    }

    @Override
    int fields() {
      return 2;
    }

    @Override
    void describe(ReadOptions o, SplitIndex.Builder out) {
      out.allFramesWhenEqual().note("featureSplitDir", o.training() ? "train" : "val");
    }

    @Override
    void row(List<String> f, Path features, ReadOptions o, SplitIndex.Builder out, String where) {
      String id = f.get(1);
      Path dir = under(features.resolve(o.training() ? "train" : "val"), id);
      out.caption(id, new ClipSource.FrameFolder(dir), f.get(0), where);
    }
  }

  /**
   * CC3M, each image a 1-frame video: {@code FEATURES/{train|val}/<bucket>/<id>_1.npz}, falling back to
   * {@code <id>_0.npz}; {@code id = <row>_<hash>}, {@code bucket} = the first 4 characters of {@code <row>}
   * left-padded with zeros to 7 digits. {@code cc3m_{training,validation}_success_full.tsv}: caption, id.
   */
  static final class Cc3m extends TableReader {
    @Override
    public String name() {
      return "cc3m";
    }

    @Override
    public String layout() {
      return "FEATURES/{train|val}/<bucket>/<id>_1.npz (else <id>_0.npz); META/cc3m_{training,validation}_success_full.tsv";
    }

    @Override
    public int defaultFrames() {
      return 1;
    }

    @Override
    Map<String, String> splitFiles() {
      return Map.of("train", "cc3m_training_success_full.tsv", "val", "cc3m_validation_success_full.tsv",
          "test", "cc3m_validation_success_full.tsv");
    }

    @Override
    int fields() {
      return 2;
    }

    @Override
    void describe(ReadOptions o, SplitIndex.Builder out) {
      out.note("featureSplitDir", o.training() ? "train" : "val");
    }

    @Override
    void row(List<String> f, Path features, ReadOptions o, SplitIndex.Builder out, String where) {
      String id = f.get(1);
      Path dir = under(features.resolve(o.training() ? "train" : "val"), bucket(id));
      out.caption(id, new ClipSource.SingleImage(under(dir, id + "_1.npz"), under(dir, id + "_0.npz")), f.get(0),
          where);
    }

    /** {@code sample[1].split('_')[0].zfill(7)[:4]}. */
    static String bucket(String id) {
      int us = id.indexOf('_');
      String row = us < 0 ? id : id.substring(0, us);
      String padded = row.length() >= 7 ? row : "0".repeat(7 - row.length()) + row;
      return padded.substring(0, 4);
    }
  }

  /**
   * LSMDC: {@code FEATURES/<movie>/<clip>/<k>.npz}; {@code LSMDC16_annos_training.csv} and the 1,000-clip test
   * {@code LSMDC16_challenge_1000_publictect.csv}, tab-separated, col0 = clip name, last col = caption. The
   * movie folder is derived as coded: {@code sub = clip.split('.')[0]}, then every {@code '_' +
   * sub.split('_')[-1]} in {@code sub} is replaced by {@code '/'}, and the clip name is appended.
   */
  static final class Lsmdc extends TableReader {
    @Override
    public String name() {
      return "lsmdc";
    }

    @Override
    public String layout() {
      return "FEATURES/<movie>/<clip>/<k>.npz; META/LSMDC16_annos_training.csv, LSMDC16_challenge_1000_publictect.csv";
    }

    @Override
    public int defaultFrames() {
      return 8;
    }

    @Override
    Map<String, String> splitFiles() {
      return Map.of("train", "LSMDC16_annos_training.csv", "val", "LSMDC16_challenge_1000_publictect.csv",
          "test", "LSMDC16_challenge_1000_publictect.csv");
    }

    @Override
    int fields() {
      return 2;
    }

    @Override
    boolean exactFields() {
      return false;
    }

    @Override
    int idField() {
      return 0;
    }

    @Override
    Path resolveMeta(Path meta, String split) {
      // The original reads DATA_DIR/meta_data/<file>; accept DATA_DIR as well as the meta_data folder.
      String name = splitFiles().get(split);
      if (name != null && Files.isDirectory(meta) && !Files.exists(meta.resolve(name))
          && Files.isRegularFile(meta.resolve("meta_data").resolve(name))) {
        return meta.resolve("meta_data").resolve(name);
      }
      return super.resolveMeta(meta, split);
    }

    @Override
    void row(List<String> f, Path features, ReadOptions o, SplitIndex.Builder out, String where) {
      String clip = f.get(0);
      out.caption(clip, new ClipSource.FrameFolder(under(features, relativePath(clip))), f.get(f.size() - 1), where);
    }

    /** {@code _get_object_path}: "0001_Movie_00.00.51.926-00.00.54.129" to "0001_Movie/0001_Movie_00.00...". */
    static String relativePath(String clip) {
      String sub = beforeFirstDot(clip);
      String remove = sub.substring(sub.lastIndexOf('_') + 1);
      return sub.replace("_" + remove, "/") + clip;
    }
  }

  /** Python's {@code s.split('.')[0]}. */
  static String beforeFirstDot(String s) {
    int dot = s.indexOf('.');
    return dot < 0 ? s : s.substring(0, dot);
  }
}
