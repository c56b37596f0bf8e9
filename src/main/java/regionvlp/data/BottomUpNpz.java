package regionvlp.data;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads and writes one frame's bottom-up-attention {@code .npz} file (METHOD.md 1.2): arrays {@code x},
 * {@code bbox}, {@code num_bbox}, {@code image_h}, {@code image_w} and the pickled {@code info} dict.
 *
 * <p>Read requires {@code x} [N, D], {@code bbox} [N, 4] and {@code info} (with {@code image_id}, {@code
 * image_h}, {@code image_w}, {@code objects_id} [N], {@code objects_conf} [N], optionally {@code attrs_id} and
 * {@code attrs_conf} [N]); {@code num_bbox}, {@code image_h}, {@code image_w} and {@code info['num_boxes']} are
 * checked when present. All floating-point values must be finite.
 */
public final class BottomUpNpz {
  private BottomUpNpz() {}

  /**
   * Reads one frame file. The pickled {@code info} dict goes through {@link SafeUnpickler}: nothing in the
   * file is ever executed.
   *
   * @throws InvalidInputFileException if the file is missing, not an npz, lacks a key, has inconsistent
   *     shapes, or its pickle names a global outside the allow-list
   */
  public static FrameFeatures read(Path file) {
    Map<String, Object> npz = Npz.read(file);
    NpyArray x = numeric(file, npz, "x");
    NpyArray bbox = numeric(file, npz, "bbox");
    long[] xs = x.shape();
    if (xs.length != 2 || xs[0] < 1 || xs[1] < 1) {
      throw bad(file, "x", "expected float32 [N>=1, D>=1], found " + x.descr() + " " + Arrays.toString(xs));
    }
    int n = toInt(file, "x rows", xs[0]);
    int dim = toInt(file, "x columns", xs[1]);
    long[] bs = bbox.shape();
    if (bs.length != 2 || bs[0] != n || bs[1] != 4) {
      throw bad(file, "bbox", "expected shape [" + n + ", 4] (N from x), found " + Arrays.toString(bs));
    }
    float[] features = x.toFloatArray();
    checkFinite(file, "x", features, dim);
    float[] boxes = bbox.toFloatArray();
    checkFinite(file, "bbox", boxes, 4);

    Object numBbox = npz.get("num_bbox");
    if (numBbox != null) {
      long v = scalarLong(file, "num_bbox", numBbox);
      if (v != n) {
        throw bad(file, "num_bbox", "expected " + n + " (rows of x), found " + v);
      }
    }

    Object infoObj = npz.get("info");
    if (infoObj == null) {
      throw bad(file, "info", "missing key; expected a pickled dict (keys present: " + npz.keySet() + ")");
    }
    if (infoObj instanceof PyObjectArray oa && oa.shape().length == 0) {
      infoObj = oa.item();
    }
    if (!(infoObj instanceof Map<?, ?> info)) {
      throw bad(file, "info", "expected a 0-d object array holding a dict, found " + describe(infoObj));
    }
    Object idObj = info.get("image_id");
    String imageId;
    if (idObj instanceof String s) {
      imageId = s;
    } else if (idObj instanceof Long || idObj instanceof BigInteger) {
      imageId = idObj.toString();
    } else {
      throw bad(file, "info['image_id']", "expected a str, found " + describe(idObj));
    }
    int imageH = toInt(file, "info['image_h']", scalarLong(file, "info['image_h']", required(file, info, "image_h")));
    int imageW = toInt(file, "info['image_w']", scalarLong(file, "info['image_w']", required(file, info, "image_w")));
    if (imageH < 1 || imageW < 1) {
      throw bad(file, "info['image_h'], info['image_w']", "expected positive sizes, found " + imageW + "x" + imageH);
    }
    checkSame(file, npz, "image_h", imageH);
    checkSame(file, npz, "image_w", imageW);
    Object numBoxes = info.get("num_boxes");
    if (numBoxes != null) {
      long v = scalarLong(file, "info['num_boxes']", numBoxes);
      if (v != n) {
        throw bad(file, "info['num_boxes']", "expected " + n + " (rows of x), found " + v);
      }
    }
    long[] objectIds = longVector(file, "info['objects_id']", required(file, info, "objects_id"), n);
    float[] objectConf = floatVector(file, "info['objects_conf']", required(file, info, "objects_conf"), n);
    long[] attrIds = null;
    float[] attrConf = null;
    if (info.containsKey("attrs_id") || info.containsKey("attrs_conf")) {
      attrIds = longVector(file, "info['attrs_id']", required(file, info, "attrs_id"), n);
      attrConf = floatVector(file, "info['attrs_conf']", required(file, info, "attrs_conf"), n);
    }
    return new FrameFeatures(
        imageId, imageW, imageH, n, dim, features, boxes, objectIds, objectConf, attrIds, attrConf);
  }

  /**
   * Writes one frame file in the extractor's layout, atomically (temp file, then rename).
   *
   * @param compressed deflate the entries as {@code np.savez_compressed} does; otherwise store them as
   *     {@code np.savez} does
   */
  public static void write(Path file, FrameFeatures frame, boolean compressed) {
    int n = frame.numBoxes();
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("image_id", frame.imageId());
    info.put("image_h", (long) frame.imageHeight());
    info.put("image_w", (long) frame.imageWidth());
    info.put("num_boxes", (long) n);
    info.put("objects_id", NpyArray.ofLongs(frame.objectIds(), n));
    info.put("objects_conf", NpyArray.ofFloats(frame.objectConf(), n));
    if (frame.attrIds() != null) {
      info.put("attrs_id", NpyArray.ofLongs(frame.attrIds(), n));
      info.put("attrs_conf", NpyArray.ofFloats(frame.attrConf(), n));
    }
    Map<String, Object> entries = new LinkedHashMap<>();
    entries.put("x", NpyArray.ofFloats(frame.features(), n, frame.featureDim()));
    entries.put("bbox", NpyArray.ofFloats(frame.boxes(), n, 4));
    entries.put("num_bbox", NpyArray.ofLongs(new long[] {n}));
    entries.put("image_h", NpyArray.ofLongs(new long[] {frame.imageHeight()}));
    entries.put("image_w", NpyArray.ofLongs(new long[] {frame.imageWidth()}));
    entries.put("info", info);

    // Frame files are regenerable, so no fsync: it would dominate writing tens of thousands of them.
    AtomicFiles.write(file, ch -> {
      OutputStream out = new java.io.BufferedOutputStream(java.nio.channels.Channels.newOutputStream(ch), 1 << 16);
      Npz.write(out, entries, compressed);
      out.flush();
    }, false);
  }

  private static InvalidInputFileException bad(Path file, String key, String message) {
    return new InvalidInputFileException(file, key + ": " + message);
  }

  private static NpyArray numeric(Path file, Map<String, Object> npz, String key) {
    Object v = npz.get(key);
    if (v == null) {
      throw bad(file, key, "missing key; expected a numeric array (keys present: " + npz.keySet() + ")");
    }
    if (!(v instanceof NpyArray a) || !isFloat(a.descr())) {
      throw bad(file, key, "expected a floating-point array, found " + describe(v));
    }
    return a;
  }

  private static boolean isFloat(String descr) {
    return descr.equals("<f4") || descr.equals("<f8") || descr.equals("<f2");
  }

  private static Object required(Path file, Map<?, ?> info, String key) {
    if (!info.containsKey(key)) {
      throw bad(file, "info['" + key + "']", "missing key (keys present: " + info.keySet() + ")");
    }
    return info.get(key);
  }

  private static void checkSame(Path file, Map<String, Object> npz, String key, int infoValue) {
    Object v = npz.get(key);
    if (v != null) {
      long top = scalarLong(file, key, v);
      if (top != infoValue) {
        throw bad(file, key, "expected " + infoValue + " (as info['" + key + "']), found " + top);
      }
    }
  }

  private static long scalarLong(Path file, String key, Object v) {
    if (v instanceof Long l) {
      return l;
    }
    if (v instanceof NpyArray a && a.size() == 1 && a.ndim() <= 1) {
      try {
        return a.getLong(0);
      } catch (IllegalArgumentException e) {
        throw bad(file, key, e.getMessage());
      }
    }
    if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 1e15) {
      return d.longValue();
    }
    throw bad(file, key, "expected an integer scalar, found " + describe(v));
  }

  private static int toInt(Path file, String key, long v) {
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
      throw bad(file, key, "value " + v + " does not fit in an int");
    }
    return (int) v;
  }

  private static long[] longVector(Path file, String key, Object v, int n) {
    long[] out;
    if (v instanceof NpyArray a && a.ndim() == 1) {
      try {
        out = a.toLongArray();
      } catch (IllegalArgumentException e) {
        throw bad(file, key, e.getMessage());
      }
    } else if (v instanceof List<?> l) {
      out = new long[l.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = scalarLong(file, key + "[" + i + "]", l.get(i));
      }
    } else {
      throw bad(file, key, "expected an integer array [" + n + "], found " + describe(v));
    }
    if (out.length != n) {
      throw bad(file, key, "expected " + n + " values (rows of x), found " + out.length);
    }
    return out;
  }

  private static float[] floatVector(Path file, String key, Object v, int n) {
    float[] out;
    if (v instanceof NpyArray a && a.ndim() == 1) {
      out = a.toFloatArray();
    } else if (v instanceof List<?> l) {
      out = new float[l.size()];
      for (int i = 0; i < out.length; i++) {
        if (!(l.get(i) instanceof Number num)) {
          throw bad(file, key + "[" + i + "]", "expected a number, found " + describe(l.get(i)));
        }
        out[i] = num.floatValue();
      }
    } else {
      throw bad(file, key, "expected a float array [" + n + "], found " + describe(v));
    }
    if (out.length != n) {
      throw bad(file, key, "expected " + n + " values (rows of x), found " + out.length);
    }
    checkFinite(file, key, out, 0);
    return out;
  }

  /**
   * Reports the first NaN or infinity, with its [row, column] index for a matrix of {@code cols} columns, or
   * its [index] for a vector ({@code cols == 0}).
   */
  private static void checkFinite(Path file, String key, float[] values, int cols) {
    for (int i = 0; i < values.length; i++) {
      if (!Float.isFinite(values[i])) {
        String index = cols == 0 ? "[" + i + "]" : "[" + (i / cols) + ", " + (i % cols) + "]";
        throw new ClipFaultException(DataFault.Kind.NON_FINITE, file, key + ": " + String.format(
            Locale.ROOT, "expected finite values, found %s at index %s (first bad value)", values[i], index), null);
      }
    }
  }

  private static String describe(Object v) {
    if (v == null) {
      return "None";
    }
    if (v instanceof NpyArray a) {
      return a.descr() + " array " + Arrays.toString(a.shape());
    }
    if (v instanceof PyObjectArray a) {
      return "object array " + Arrays.toString(a.shape());
    }
    if (v instanceof Map) {
      return "dict";
    }
    if (v instanceof List) {
      return "list/tuple";
    }
    if (v instanceof byte[]) {
      return "bytes";
    }
    return v.getClass().getSimpleName() + " " + v;
  }
}
