package regionvlp.data;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A state dict (parameter name to tensor) from any of the weight files people publish: a {@code torch.save}
 * file ({@code .pth}, {@code .pt}, {@code .bin}; read by {@link PthFile}, so without running code), a numpy
 * {@code .npz} whose entry names are the parameter names, or a {@code .safetensors} file. Values are read as
 * float32 when asked for ({@link #get}), so a large file costs only what is used.
 *
 * <p>In a torch file the state dict is the root when the root is a dict of tensors, or the dict under {@code
 * state_dict}, {@code model} or {@code module} (how training scripts wrap it, the authors' included); the
 * root's other entries (epoch, config, ...) stay readable through {@link #root()}.
 */
public final class StateDict implements AutoCloseable {
  private static final String[] WRAPPERS = {"state_dict", "model", "module"};

  private final Path file;
  private final String format;
  private final String container;
  private final Map<String, Object> entries; // TorchTensor, NpyArray or Safetensors.Tensor
  private final PthFile pth;

  private StateDict(Path file, String format, String container, Map<String, Object> entries, PthFile pth) {
    this.file = file;
    this.format = format;
    this.container = container;
    this.entries = entries;
    this.pth = pth;
  }

  /**
   * Opens a weight file, choosing the reader by its extension.
   *
   * @throws InvalidInputFileException if the file is unreadable, holds no state dict, or a value is not a
   *     numeric tensor
   * @throws ForbiddenGlobalException if a torch file's pickle names a global that could run code
   */
  public static StateDict open(Path file) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".safetensors")) {
      return new StateDict(file, "safetensors", "", new LinkedHashMap<>(Safetensors.read(file).tensors()), null);
    }
    if (name.endsWith(".npz")) {
      Map<String, Object> entries = new LinkedHashMap<>();
      for (Map.Entry<String, Object> e : Npz.read(file).entrySet()) {
        if (!(e.getValue() instanceof NpyArray a) || a.descr().endsWith("O")) {
          throw new InvalidInputFileException(file, "entry '" + e.getKey() + "': expected a numeric array, found "
              + (e.getValue() == null ? "None" : e.getValue().getClass().getSimpleName()));
        }
        entries.put(e.getKey(), a);
      }
      return new StateDict(file, "npz", "", entries, null);
    }
    if (name.endsWith(".pth") || name.endsWith(".pt") || name.endsWith(".bin") || name.endsWith(".ckpt")
        || name.endsWith(".tar")) {
      PthFile pth = PthFile.open(file);
      try {
        return fromTorch(file, pth);
      } catch (RuntimeException e) {
        pth.close();
        throw e;
      }
    }
    throw new InvalidInputFileException(file, "unknown weight file type: expected .pth/.pt/.bin (torch.save), "
        + ".npz or .safetensors");
  }

  private static StateDict fromTorch(Path file, PthFile pth) {
    if (!(pth.root() instanceof Map<?, ?> root)) {
      throw new InvalidInputFileException(file, "expected a dict at the top of the checkpoint, found "
          + describe(pth.root()));
    }
    Map<?, ?> sd = root;
    String container = "";
    for (String w : WRAPPERS) {
      if (root.get(w) instanceof Map<?, ?> inner) {
        sd = inner;
        container = w;
        break;
      }
    }
    Map<String, Object> entries = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : sd.entrySet()) {
      if (!(e.getKey() instanceof String k) || !(e.getValue() instanceof TorchTensor t)) {
        throw new InvalidInputFileException(file, (container.isEmpty() ? "" : "'" + container + "' ")
            + "entry '" + e.getKey() + "': expected a tensor, found " + describe(e.getValue())
            + (container.isEmpty() ? "; a checkpoint must be a dict of tensors or hold one under "
                + Arrays.toString(WRAPPERS) : ""));
      }
      entries.put(k, t);
    }
    if (entries.isEmpty()) {
      throw new InvalidInputFileException(file, "no tensors found (keys at the top: " + root.keySet() + ")");
    }
    return new StateDict(file, "torch " + pth.layout(), container, entries, pth);
  }

  private static String describe(Object o) {
    return o == null ? "None" : o instanceof PyObject p ? p.className() : o.getClass().getSimpleName();
  }

  /** The file. */
  public Path file() {
    return file;
  }

  /** {@code torch zip}, {@code torch legacy}, {@code npz} or {@code safetensors}. */
  public String format() {
    return format;
  }

  /** The key of the torch checkpoint's dict that held the state dict ({@code state_dict}...), or "" for the root. */
  public String container() {
    return container;
  }

  /** The torch checkpoint's top-level object (for epoch, config...), or null for npz and safetensors. */
  public Object root() {
    return pth == null ? null : pth.root();
  }

  /** Parameter names in file order. */
  public Set<String> names() {
    return Collections.unmodifiableSet(entries.keySet());
  }

  /** A tensor's shape. */
  public long[] shape(String name) {
    Object v = entry(name);
    if (v instanceof TorchTensor t) {
      return t.shape();
    }
    if (v instanceof NpyArray a) {
      return a.shape();
    }
    return ((Safetensors.Tensor) v).shape().clone();
  }

  /** A tensor's dtype as its format names it ({@code float16}, {@code <f4}, {@code F32}...). */
  public String dtype(String name) {
    Object v = entry(name);
    return v instanceof TorchTensor t ? t.dtype() : v instanceof NpyArray a ? a.descr() : "F32";
  }

  /**
   * A tensor's values as float32 (converted from half, bfloat16 or double).
   *
   * @throws InvalidInputFileException if the tensor is not floating-point
   */
  public Safetensors.Tensor get(String name) {
    Object v = entry(name);
    if (v instanceof TorchTensor t) {
      if (!t.isFloating()) {
        throw new InvalidInputFileException(file, "tensor '" + name + "': expected floating-point values, found "
            + t.dtype());
      }
      return pth.tensor(t);
    }
    if (v instanceof NpyArray a) {
      if (!a.descr().contains("f")) {
        throw new InvalidInputFileException(file, "array '" + name + "': expected floating-point values, found "
            + a.descr());
      }
      return new Safetensors.Tensor(a.shape(), a.toFloatArray());
    }
    return (Safetensors.Tensor) v;
  }

  private Object entry(String name) {
    Object v = entries.get(name);
    if (v == null) {
      throw new IllegalArgumentException(file + ": no tensor named '" + name + "'");
    }
    return v;
  }

  @Override
  public void close() {
    if (pth != null) {
      pth.close();
    }
  }
}
