package regionvlp.data;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * A PyTorch {@code torch.save} file ({@code .pth}/{@code .pt}), read without running any of its code.
 *
 * <p>Two layouts are read. The zip layout (torch 1.6 and later, what DemoVLP's authors used):
 * {@code <name>/data.pkl} is a pickle whose tensors refer by persistent id {@code ('storage', torch.FloatStorage,
 * key, location, numel)} to raw little-endian storages {@code <name>/data/<key>}, with optional {@code
 * <name>/version} and {@code <name>/byteorder}. The legacy layout (before 1.6, still used by some released
 * weights): five pickles in a row (magic number, protocol version, system info, the object, the storage keys)
 * followed by each storage as an int64 element count and its bytes.
 *
 * <p>The object pickle goes through {@link SafeUnpickler} with these interpretations, none of which runs code:
 * {@code torch._utils._rebuild_tensor_v2} (and {@code _rebuild_tensor}, {@code _rebuild_parameter}, {@code
 * _rebuild_parameter_with_state}, {@code torch._tensor._rebuild_from_type_v2}) give a lazy {@link TorchTensor};
 * {@code collections.OrderedDict} gives a {@link LinkedHashMap}; {@code torch.Size} a tuple; {@code
 * builtins.set/frozenset/bytearray} their Java counterparts; {@code torch.float32} and the other dtypes, and
 * {@code torch.device}, inert values. Any other <em>class</em> (a name starting with an upper-case letter, such as
 * the trainer's pickled {@code ConfigParser}, {@code argparse.Namespace} or {@code pathlib.PosixPath}) becomes an
 * inert {@link PyObject}. Refused with {@link ForbiddenGlobalException}, naming the global, as soon as it is
 * read: every function-like name outside the list above, and anything from a module that exists to run code or
 * reach the system ({@code os}, {@code posix}, {@code subprocess}, {@code builtins}, {@code sys}, {@code
 * importlib}, {@code pickle}, {@code shutil}, {@code socket}, {@code operator}, {@code functools}, ...).
 *
 * <p>Values are read on demand ({@link #floats}, {@link #longs}), honouring each tensor's offset and strides, so
 * opening a checkpoint with a large optimiser state costs only its pickle.
 */
public final class PthFile implements AutoCloseable {
  /** First pickle of a legacy file: {@code 0x1950a86a20f9469cfc6c}. */
  private static final BigInteger LEGACY_MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
  private static final long MAX_PICKLE_BYTES = 1L << 30;

  private final Path file;
  private final String layout;
  private final Object root;
  private final Map<String, StorageRef> storages;
  private final ZipFile zip; // zip layout
  private final String prefix; // zip layout: "<name>/"
  private final byte[] legacyBytes; // legacy layout
  private final Map<String, Long> legacyOffsets; // legacy layout: byte offset of each storage's data
  private String cachedKey;
  private ByteBuffer cachedStorage;

  private PthFile(Path file, String layout, Object root, Map<String, StorageRef> storages, ZipFile zip,
      String prefix, byte[] legacyBytes, Map<String, Long> legacyOffsets) {
    this.file = file;
    this.layout = layout;
    this.root = root;
    this.storages = storages;
    this.zip = zip;
    this.prefix = prefix;
    this.legacyBytes = legacyBytes;
    this.legacyOffsets = legacyOffsets;
  }

  /**
   * Opens and unpickles {@code file}. Storages are checked against the pickle (present, dtype and size) but
   * not read.
   *
   * @throws ForbiddenGlobalException if the pickle names a global that could run code (nothing is run)
   * @throws InvalidInputFileException if the file is missing, not a torch.save file, or inconsistent
   */
  public static PthFile open(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputFileException(file, "no such file");
    }
    ZipFile zip;
    try {
      zip = new ZipFile(file.toFile());
    } catch (ZipException e) {
      return openLegacy(file);
    } catch (NoSuchFileException e) {
      throw new InvalidInputFileException(file, "no such file");
    } catch (IOException e) {
      throw new InvalidInputFileException(file, "cannot read: " + e.getMessage(), e);
    }
    try {
      return openZip(file, zip);
    } catch (RuntimeException e) {
      closeQuietly(zip);
      throw e;
    }
  }

  /** The file this was read from. */
  public Path file() {
    return file;
  }

  /** {@code "zip"} (torch >= 1.6) or {@code "legacy"}. */
  public String layout() {
    return layout;
  }

  /** The unpickled object: maps, lists, tuples, scalars, {@link TorchTensor}s and inert {@link PyObject}s. */
  public Object root() {
    return root;
  }

  /**
   * A tensor's values as float32, in C order (any supported dtype; integers and bools are converted).
   *
   * @throws InvalidInputFileException if the storage cannot be read
   */
  public float[] floats(TorchTensor t) {
    int n = Math.toIntExact(t.size());
    float[] out = new float[n];
    ByteBuffer b = storage(t);
    String dt = t.dtype();
    visit(t, (i, s) -> out[i] = readFloat(b, dt, s));
    return out;
  }

  /**
   * A tensor's values as int64, in C order.
   *
   * @throws IllegalArgumentException for a floating-point tensor
   */
  public long[] longs(TorchTensor t) {
    if (t.isFloating()) {
      throw new IllegalArgumentException(file + ": expected an integer tensor, found " + t.dtype());
    }
    long[] out = new long[Math.toIntExact(t.size())];
    ByteBuffer b = storage(t);
    String dt = t.dtype();
    visit(t, (i, s) -> out[i] = readLong(b, dt, s));
    return out;
  }

  /** A tensor as a float32 {@link Safetensors.Tensor} (shape and values). */
  public Safetensors.Tensor tensor(TorchTensor t) {
    return new Safetensors.Tensor(t.shape(), floats(t));
  }

  @Override
  public void close() {
    if (zip != null) {
      closeQuietly(zip);
    }
    cachedStorage = null;
  }

  // ---- layouts ----

  private static PthFile openZip(Path file, ZipFile zip) {
    List<String> pickles = new ArrayList<>();
    boolean torchScript = false;
    for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
      String name = en.nextElement().getName();
      String[] parts = name.split("/");
      if (parts.length == 2 && parts[1].equals("data.pkl")) {
        pickles.add(name);
      }
      if (parts.length >= 2 && (parts[1].equals("constants.pkl") || parts[1].equals("code"))) {
        torchScript = true;
      }
    }
    if (pickles.size() != 1) {
      throw new InvalidInputFileException(file, "expected a torch.save zip with exactly one <name>/data.pkl entry, "
          + "found " + pickles.size() + (torchScript
              ? "; this looks like a TorchScript archive (torch.jit.save), which is not supported" : ""));
    }
    String prefix = pickles.get(0).substring(0, pickles.get(0).length() - "data.pkl".length());
    ZipEntry byteorder = zip.getEntry(prefix + "byteorder");
    if (byteorder != null) {
      String order = new String(readEntry(file, zip, byteorder, 16), StandardCharsets.US_ASCII).trim();
      if (!order.equals("little")) {
        throw new InvalidInputFileException(file, prefix + "byteorder: expected 'little', found '" + order
            + "' (big-endian checkpoints are not supported; re-save on a little-endian machine)");
      }
    }
    byte[] pickle = readEntry(file, zip, zip.getEntry(pickles.get(0)), MAX_PICKLE_BYTES);
    Map<String, StorageRef> storages = new LinkedHashMap<>();
    TorchGlobals globals = new TorchGlobals(pid -> {
      StorageRef ref = storageFromZipPid(pid);
      ZipEntry e = zip.getEntry(prefix + "data/" + ref.key());
      if (e == null) {
        throw new IllegalArgumentException("storage '" + ref.key() + "' has no entry " + prefix + "data/"
            + ref.key());
      }
      long want = Math.multiplyExact(ref.numel(), (long) TorchTensor.itemSize(ref.dtype()));
      if (e.getSize() != -1 && e.getSize() < want) {
        throw new IllegalArgumentException("storage '" + ref.key() + "': " + ref.numel() + " " + ref.dtype()
            + " elements need " + want + " bytes, the entry has " + e.getSize());
      }
      return register(storages, ref);
    });
    Object root = SafeUnpickler.load(pickle, 0, file, pickles.get(0), globals).value();
    return new PthFile(file, "zip", root, storages, zip, prefix, null, null);
  }

  private static PthFile openLegacy(Path file) {
    byte[] bytes;
    try {
      if (Files.size(file) > Integer.MAX_VALUE - 16) {
        throw new InvalidInputFileException(file, "legacy torch.save file larger than 2 GB is not supported; "
            + "re-save it with torch >= 1.6 (zip layout)");
      }
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new InvalidInputFileException(file, "cannot read: " + e.getMessage(), e);
    }
    if (bytes.length < 2 || (bytes[0] & 0xff) != 0x80) {
      throw new InvalidInputFileException(file, "expected a torch.save file (a zip, or a legacy pickle stream "
          + "starting with byte 0x80), found neither");
    }
    SafeUnpickler.Result magic = SafeUnpickler.load(bytes, 0, file, "legacy header", null);
    if (!LEGACY_MAGIC.equals(magic.value() instanceof Long l ? BigInteger.valueOf(l) : magic.value())) {
      throw new InvalidInputFileException(file, "expected the torch.save magic number 0x1950a86a20f9469cfc6c "
          + "first, found " + magic.value() + "; not a torch.save file");
    }
    SafeUnpickler.Result version = SafeUnpickler.load(bytes, magic.end(), file, "legacy protocol version", null);
    if (!Long.valueOf(1001).equals(version.value())) {
      throw new InvalidInputFileException(file, "legacy protocol version: expected 1001, found " + version.value());
    }
    SafeUnpickler.Result sysInfo = SafeUnpickler.load(bytes, version.end(), file, "legacy system info", null);
    if (sysInfo.value() instanceof Map<?, ?> info && Boolean.FALSE.equals(info.get("little_endian"))) {
      throw new InvalidInputFileException(file, "legacy system info: written on a big-endian machine, which is "
          + "not supported");
    }
    Map<String, StorageRef> storages = new LinkedHashMap<>();
    TorchGlobals globals = new TorchGlobals(pid -> register(storages, storageFromLegacyPid(pid)));
    SafeUnpickler.Result main = SafeUnpickler.load(bytes, sysInfo.end(), file, "object pickle", globals);
    SafeUnpickler.Result keys = SafeUnpickler.load(bytes, main.end(), file, "storage key list", null);
    if (!(keys.value() instanceof List<?> keyList)) {
      throw new InvalidInputFileException(file, "storage key list: expected a list of keys, found "
          + keys.value());
    }
    Map<String, Long> offsets = new HashMap<>();
    long pos = keys.end();
    for (Object k : keyList) {
      String key = String.valueOf(k);
      StorageRef ref = storages.get(key);
      if (ref == null) {
        throw new InvalidInputFileException(file, "storage '" + key + "' is listed but no tensor uses it, so its "
            + "element size is unknown");
      }
      if (pos + 8 > bytes.length) {
        throw new InvalidInputFileException(file, "storage '" + key + "': truncated file at byte " + pos);
      }
      long numel = ByteBuffer.wrap(bytes, (int) pos, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
      long len = numel * TorchTensor.itemSize(ref.dtype());
      if (numel < ref.numel() || numel < 0 || pos + 8 + len > bytes.length) {
        throw new InvalidInputFileException(file, "storage '" + key + "': expected " + ref.numel() + " "
            + ref.dtype() + " elements, found a count of " + numel + " with " + (bytes.length - pos - 8)
            + " bytes left");
      }
      offsets.put(key, pos + 8);
      pos += 8 + len;
    }
    for (String key : storages.keySet()) {
      if (!offsets.containsKey(key)) {
        throw new InvalidInputFileException(file, "storage '" + key + "' is used by a tensor but missing from the "
            + "storage key list");
      }
    }
    return new PthFile(file, "legacy", main.value(), storages, null, null, bytes, offsets);
  }

  private static StorageRef register(Map<String, StorageRef> storages, StorageRef ref) {
    StorageRef seen = storages.get(ref.key());
    if (seen != null && !seen.dtype().equals(ref.dtype())) {
      throw new IllegalArgumentException("storage '" + ref.key() + "' is referenced as " + seen.dtype() + " and as "
          + ref.dtype());
    }
    if (seen == null || seen.numel() < ref.numel()) {
      storages.put(ref.key(), ref.withOffset(0));
    }
    return ref;
  }

  /** {@code ('storage', torch.FloatStorage, key, location, numel)}. */
  private static StorageRef storageFromZipPid(Object pid) {
    if (!(pid instanceof List<?> t) || t.size() != 5 || !"storage".equals(t.get(0))) {
      throw new IllegalArgumentException("expected ('storage', type, key, location, numel), found " + pid);
    }
    return storageRef(t.get(1), t.get(2), t.get(3), t.get(4));
  }

  /** {@code ('storage', type, root_key, location, numel, view_metadata)}, view = (key, offset, size) or None. */
  private static StorageRef storageFromLegacyPid(Object pid) {
    if (!(pid instanceof List<?> t) || t.size() != 6 || !"storage".equals(t.get(0))) {
      throw new IllegalArgumentException(
          "expected ('storage', type, root_key, location, numel, view_metadata), found " + pid);
    }
    StorageRef root = storageRef(t.get(1), t.get(2), t.get(3), t.get(4));
    if (t.get(5) == null) {
      return root;
    }
    if (!(t.get(5) instanceof List<?> v) || v.size() != 3 || !(v.get(1) instanceof Long off)
        || !(v.get(2) instanceof Long size) || off < 0 || size < 0 || off + size > root.numel()) {
      throw new IllegalArgumentException("storage '" + root.key() + "': bad view metadata " + t.get(5));
    }
    return new StorageRef(root.dtype(), root.key(), root.numel(), off);
  }

  private static StorageRef storageRef(Object type, Object key, Object location, Object numel) {
    if (!(type instanceof TorchGlobals.StorageType st)) {
      throw new IllegalArgumentException("expected a storage type such as torch.FloatStorage, found " + type);
    }
    if (!(key instanceof String k) || !k.matches("[A-Za-z0-9_.-]{1,64}") || k.contains("..")) {
      throw new IllegalArgumentException("bad storage key " + key);
    }
    if (!(location instanceof String)) {
      throw new IllegalArgumentException("storage '" + k + "': expected a location string, found " + location);
    }
    if (!(numel instanceof Long n) || n < 0) {
      throw new IllegalArgumentException("storage '" + k + "': expected an element count, found " + numel);
    }
    return new StorageRef(st.dtype(), k, n, 0);
  }

  // ---- values ----

  /** A storage in the file: its dtype, key, element count, and (legacy views) an element offset. */
  record StorageRef(String dtype, String key, long numel, long elementOffset) {
    StorageRef withOffset(long off) {
      return new StorageRef(dtype, key, numel, off);
    }
  }

  private ByteBuffer storage(TorchTensor t) {
    StorageRef ref = storages.get(t.storageKey());
    if (ref == null) {
      throw new IllegalArgumentException(file + ": tensor refers to storage '" + t.storageKey()
          + "', which this file does not hold");
    }
    if (!ref.dtype().equals(t.dtype())) {
      throw new InvalidInputFileException(file, "storage '" + ref.key() + "' holds " + ref.dtype()
          + ", the tensor says " + t.dtype());
    }
    if (t.storageExtent() > ref.numel()) {
      throw new InvalidInputFileException(file, "tensor of shape " + java.util.Arrays.toString(t.shape())
          + " at offset " + t.offset() + " reaches element " + t.storageExtent() + " of storage '" + ref.key()
          + "', which has " + ref.numel());
    }
    if (ref.key().equals(cachedKey)) {
      return cachedStorage;
    }
    long bytes = ref.numel() * TorchTensor.itemSize(ref.dtype());
    ByteBuffer b;
    if (zip != null) {
      String name = prefix + "data/" + ref.key();
      b = ByteBuffer.wrap(readEntry(file, zip, zip.getEntry(name), Integer.MAX_VALUE - 16));
      if (b.remaining() < bytes) {
        throw new InvalidInputFileException(file, name + ": expected " + bytes + " bytes for " + ref.numel() + " "
            + ref.dtype() + " elements, found " + b.remaining());
      }
    } else {
      b = ByteBuffer.wrap(legacyBytes, Math.toIntExact(legacyOffsets.get(ref.key())), Math.toIntExact(bytes))
          .slice();
    }
    b.order(ByteOrder.LITTLE_ENDIAN);
    cachedKey = ref.key();
    cachedStorage = b;
    return b;
  }

  @FunctionalInterface
  private interface ElementVisitor {
    void accept(int outIndex, long storageIndex);
  }

  /** Calls {@code v} for every element in C order with its storage index (offset + sum of index * stride). */
  private static void visit(TorchTensor t, ElementVisitor v) {
    long n = t.size();
    if (n == 0) {
      return;
    }
    long[] shape = t.shape();
    long[] stride = t.stride();
    if (t.isContiguous()) {
      for (int i = 0; i < n; i++) {
        v.accept(i, t.offset() + i);
      }
      return;
    }
    int d = shape.length;
    long[] idx = new long[d];
    long base = t.offset();
    long inner = shape[d - 1];
    long innerStride = stride[d - 1];
    int out = 0;
    while (true) {
      for (long j = 0; j < inner; j++) {
        v.accept(out++, base + j * innerStride);
      }
      int k = d - 2;
      while (k >= 0) {
        idx[k]++;
        base += stride[k];
        if (idx[k] < shape[k]) {
          break;
        }
        base -= idx[k] * stride[k];
        idx[k] = 0;
        k--;
      }
      if (k < 0) {
        return;
      }
    }
  }

  private static float readFloat(ByteBuffer b, String dtype, long i) {
    int at = Math.toIntExact(i * TorchTensor.itemSize(dtype));
    return switch (dtype) {
      case "float32" -> b.getFloat(at);
      case "float16" -> NpyArray.halfToFloat(b.getShort(at));
      case "bfloat16" -> Float.intBitsToFloat((b.getShort(at) & 0xffff) << 16);
      case "float64" -> (float) b.getDouble(at);
      default -> readLong(b, dtype, i);
    };
  }

  private static long readLong(ByteBuffer b, String dtype, long i) {
    int at = Math.toIntExact(i * TorchTensor.itemSize(dtype));
    return switch (dtype) {
      case "int64" -> b.getLong(at);
      case "int32" -> b.getInt(at);
      case "int16" -> b.getShort(at);
      case "int8" -> b.get(at);
      case "uint8" -> b.get(at) & 0xff;
      case "bool" -> b.get(at) != 0 ? 1 : 0;
      default -> throw new IllegalArgumentException("expected an integer dtype, found " + dtype);
    };
  }

  private static byte[] readEntry(Path file, ZipFile zip, ZipEntry e, long max) {
    if (e.getSize() > max) {
      throw new InvalidInputFileException(file, e.getName() + ": " + e.getSize() + " bytes, more than the "
          + max + " this reader accepts");
    }
    try (InputStream in = zip.getInputStream(e)) {
      byte[] b = in.readNBytes((int) Math.min(max, Integer.MAX_VALUE - 16));
      if (e.getSize() != -1 && b.length != e.getSize()) {
        throw new InvalidInputFileException(file, e.getName() + ": expected " + e.getSize() + " bytes, read "
            + b.length);
      }
      return b;
    } catch (IOException ex) {
      throw new InvalidInputFileException(file, e.getName() + ": cannot read: " + ex.getMessage(), ex);
    }
  }

  private static void closeQuietly(ZipFile zip) {
    try {
      zip.close();
    } catch (IOException ignored) {
      // Read-only file: nothing to lose.
    }
  }

  /** The interpretations of torch's globals (see the class comment). */
  static final class TorchGlobals implements SafeUnpickler.Globals {
    /** Modules whose purpose is to run code or reach the system: every global from them is refused. */
    static final Set<String> DENIED_MODULES = Set.of("os", "posix", "nt", "posixpath", "ntpath", "subprocess",
        "sys", "builtins", "__builtin__", "importlib", "imp", "pickle", "_pickle", "cPickle", "marshal", "runpy",
        "code", "codeop", "ctypes", "pty", "shutil", "socket", "operator", "_operator", "functools", "types", "io",
        "_io", "webbrowser", "multiprocessing", "signal", "tempfile", "commands", "pdb", "bdb", "ipdb", "timeit",
        "platform", "asyncio", "threading", "_thread", "urllib", "http", "ftplib", "smtplib", "requests", "glob",
        "zipimport", "pkgutil", "site", "inspect", "gc", "copyreg", "copy_reg", "dill", "cloudpickle", "joblib",
        "torch.hub", "torch.jit", "torch.ops", "torch._C", "torch.serialization", "torch.package", "numpy.f2py",
        "numpy.testing", "numpy.distutils", "setuptools", "distutils", "pip");

    enum Fn {
      ORDERED_DICT, REBUILD_TENSOR_V2, REBUILD_TENSOR, REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE,
      REBUILD_FROM_TYPE_V2, TORCH_SIZE, TORCH_DEVICE, SET, FROZENSET, BYTEARRAY, OBJECT, RECONSTRUCTOR
    }

    /** {@code torch.FloatStorage} and friends. */
    record StorageType(String name, String dtype) {}

    /** A torch dtype object such as {@code torch.float32} (a value, not callable). */
    record TorchDtype(String name) {}

    /** A class this reader does not know: calling it makes an inert {@link PyObject}. */
    record ClassRef(String qualifiedName) {}

    private static final Map<String, Fn> KNOWN = Map.ofEntries(
        Map.entry("collections.OrderedDict", Fn.ORDERED_DICT),
        Map.entry("torch._utils._rebuild_tensor_v2", Fn.REBUILD_TENSOR_V2),
        Map.entry("torch._utils._rebuild_tensor", Fn.REBUILD_TENSOR),
        Map.entry("torch._utils._rebuild_parameter", Fn.REBUILD_PARAMETER),
        Map.entry("torch._utils._rebuild_parameter_with_state", Fn.REBUILD_PARAMETER_WITH_STATE),
        Map.entry("torch._tensor._rebuild_from_type_v2", Fn.REBUILD_FROM_TYPE_V2),
        Map.entry("torch.Size", Fn.TORCH_SIZE),
        Map.entry("torch.device", Fn.TORCH_DEVICE),
        Map.entry("builtins.set", Fn.SET),
        Map.entry("__builtin__.set", Fn.SET),
        Map.entry("builtins.frozenset", Fn.FROZENSET),
        Map.entry("__builtin__.frozenset", Fn.FROZENSET),
        Map.entry("builtins.bytearray", Fn.BYTEARRAY),
        Map.entry("__builtin__.bytearray", Fn.BYTEARRAY),
        Map.entry("builtins.object", Fn.OBJECT),
        Map.entry("__builtin__.object", Fn.OBJECT),
        Map.entry("copyreg._reconstructor", Fn.RECONSTRUCTOR),
        Map.entry("copy_reg._reconstructor", Fn.RECONSTRUCTOR));

    private static final Map<String, String> STORAGES = Map.of(
        "FloatStorage", "float32", "HalfStorage", "float16", "BFloat16Storage", "bfloat16",
        "DoubleStorage", "float64", "LongStorage", "int64", "IntStorage", "int32", "ShortStorage", "int16",
        "CharStorage", "int8", "ByteStorage", "uint8", "BoolStorage", "bool");

    private static final Set<String> DTYPES = Set.of("float32", "float", "float16", "half", "bfloat16", "float64",
        "double", "int64", "long", "int32", "int", "int16", "short", "int8", "uint8", "bool", "complex64",
        "complex128");

    /** Loads the storage a persistent id names. */
    @FunctionalInterface
    interface StorageLoader {
      StorageRef load(Object pid);
    }

    private final StorageLoader loader;

    TorchGlobals(StorageLoader loader) {
      this.loader = loader;
    }

    @Override
    public Object resolve(String module, String name) {
      String qualified = module + "." + name;
      Fn fn = KNOWN.get(qualified);
      if (fn != null) {
        return fn;
      }
      if (module.equals("torch") && STORAGES.containsKey(name)) {
        return new StorageType(name, STORAGES.get(name));
      }
      if (module.equals("torch") && DTYPES.contains(name)) {
        return new TorchDtype("torch." + name);
      }
      if (isDenied(module)) {
        return null;
      }
      String last = name.substring(name.lastIndexOf('.') + 1);
      if (last.isEmpty() || !Character.isUpperCase(last.charAt(0))) {
        if (module.startsWith("torch") && last.startsWith("_rebuild_")) {
          throw new IllegalArgumentException("'" + qualified + "' rebuilds a kind of tensor this reader does not "
              + "support (only dense CPU tensors are)");
        }
        return null; // a function: calling it would run code
      }
      return new ClassRef(qualified);
    }

    static boolean isDenied(String module) {
      String m = module;
      while (true) {
        if (DENIED_MODULES.contains(m)) {
          return true;
        }
        int dot = m.lastIndexOf('.');
        if (dot < 0) {
          return false;
        }
        m = m.substring(0, dot);
      }
    }

    @Override
    public String allowed() {
      return "a torch checkpoint may name tensor, storage and container globals, and classes (kept as inert "
          + "data); functions, and anything from modules such as os, posix, subprocess, builtins or sys, would "
          + "run code and are refused";
    }

    @Override
    public Object call(Object callable, List<Object> args) {
      if (callable instanceof ClassRef c) {
        return new PyObject(c.qualifiedName(), args);
      }
      if (!(callable instanceof Fn fn)) {
        throw new IllegalArgumentException("cannot call a " + describe(callable));
      }
      return switch (fn) {
        case ORDERED_DICT -> orderedDict(args);
        case REBUILD_TENSOR_V2, REBUILD_TENSOR -> rebuildTensor(fn, args);
        case REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE -> {
          if (args.size() < 3 || !(args.get(0) instanceof TorchTensor t)) {
            throw new IllegalArgumentException("_rebuild_parameter: expected (tensor, requires_grad, hooks"
                + (fn == Fn.REBUILD_PARAMETER ? "" : ", state") + "), found " + args.size() + " arguments");
          }
          yield t;
        }
        case REBUILD_FROM_TYPE_V2 -> {
          // (func, new_type, args, state): a tensor subclass (e.g. Parameter) rebuilt by func(*args).
          if (args.size() != 4 || !(args.get(0) instanceof Fn inner) || !(args.get(2) instanceof List<?> a)
              || !(args.get(1) instanceof ClassRef)) {
            throw new IllegalArgumentException("_rebuild_from_type_v2: expected (func, type, args, state)");
          }
          @SuppressWarnings("unchecked")
          List<Object> innerArgs = (List<Object>) a;
          Object v = call(inner, innerArgs);
          if (!(v instanceof TorchTensor)) {
            throw new IllegalArgumentException("_rebuild_from_type_v2: " + inner + " did not give a tensor");
          }
          yield v;
        }
        case TORCH_SIZE -> {
          if (args.size() != 1 || !(args.get(0) instanceof List<?> dims)) {
            throw new IllegalArgumentException("torch.Size: expected one tuple argument");
          }
          yield Collections.unmodifiableList(new ArrayList<>(dims));
        }
        case TORCH_DEVICE -> new PyObject("torch.device", args);
        case SET, FROZENSET -> {
          Set<Object> s = new LinkedHashSet<>();
          if (args.size() == 1 && args.get(0) instanceof List<?> items) {
            s.addAll(items);
          } else if (!args.isEmpty()) {
            throw new IllegalArgumentException(fn.name().toLowerCase(Locale.ROOT) + ": expected a list argument");
          }
          yield fn == Fn.SET ? s : Collections.unmodifiableSet(s);
        }
        case BYTEARRAY -> {
          if (args.isEmpty()) {
            yield new byte[0];
          }
          if (args.get(0) instanceof byte[] b) {
            yield b.clone();
          }
          if (args.size() == 2 && args.get(0) instanceof String s && "latin-1".equals(args.get(1))) {
            yield s.getBytes(StandardCharsets.ISO_8859_1);
          }
          throw new IllegalArgumentException("bytearray: expected bytes");
        }
        case RECONSTRUCTOR -> {
          if (args.size() != 3 || !(args.get(0) instanceof ClassRef c) || args.get(1) != Fn.OBJECT
              || args.get(2) != null) {
            throw new IllegalArgumentException("copyreg._reconstructor: expected (class, object, None)");
          }
          yield new PyObject(c.qualifiedName(), List.of());
        }
        case OBJECT -> throw new IllegalArgumentException("builtins.object cannot be called directly");
      };
    }

    private static Map<Object, Object> orderedDict(List<Object> args) {
      Map<Object, Object> m = new LinkedHashMap<>();
      if (args.size() == 1 && args.get(0) instanceof List<?> pairs) {
        for (Object p : pairs) {
          if (!(p instanceof List<?> kv) || kv.size() != 2) {
            throw new IllegalArgumentException("OrderedDict: expected (key, value) pairs, found " + p);
          }
          m.put(kv.get(0), kv.get(1));
        }
      } else if (!args.isEmpty()) {
        throw new IllegalArgumentException("OrderedDict: expected no argument or a list of pairs");
      }
      return m;
    }

    private Object rebuildTensor(Fn fn, List<Object> args) {
      int min = fn == Fn.REBUILD_TENSOR ? 4 : 6;
      if (args.size() < min || args.size() > 7) {
        throw new IllegalArgumentException("_rebuild_tensor" + (fn == Fn.REBUILD_TENSOR ? "" : "_v2")
            + ": expected (storage, storage_offset, size, stride" + (min == 6 ? ", requires_grad, backward_hooks"
            + "[, metadata]" : "") + "), found " + args.size() + " arguments");
      }
      if (!(args.get(0) instanceof StorageRef ref)) {
        throw new IllegalArgumentException("_rebuild_tensor_v2: expected a storage first, found "
            + describe(args.get(0)));
      }
      if (!(args.get(1) instanceof Long offset)) {
        throw new IllegalArgumentException("_rebuild_tensor_v2: expected an integer storage offset, found "
            + describe(args.get(1)));
      }
      long[] size = longs(args.get(2), "size");
      long[] stride = longs(args.get(3), "stride");
      boolean requiresGrad = args.size() > 4 && Boolean.TRUE.equals(args.get(4));
      TorchTensor t = new TorchTensor(ref.dtype(), size, stride, offset + ref.elementOffset(), ref.key(),
          requiresGrad);
      long extent = t.storageExtent();
      if (extent > ref.numel()) {
        throw new IllegalArgumentException("tensor of size " + java.util.Arrays.toString(size) + ", stride "
            + java.util.Arrays.toString(stride) + " at offset " + offset + " needs " + extent + " elements, storage '"
            + ref.key() + "' has " + ref.numel());
      }
      return t;
    }

    private static long[] longs(Object o, String what) {
      if (!(o instanceof List<?> l)) {
        throw new IllegalArgumentException("_rebuild_tensor_v2: expected a " + what + " tuple, found " + describe(o));
      }
      long[] out = new long[l.size()];
      for (int i = 0; i < out.length; i++) {
        if (!(l.get(i) instanceof Long v)) {
          throw new IllegalArgumentException("_rebuild_tensor_v2: bad " + what + " " + l);
        }
        out[i] = v;
      }
      return out;
    }

    @Override
    public boolean build(Object target, Object state) {
      if (target instanceof PyObject p) {
        p.setState(state);
        return true;
      }
      return false;
    }

    @Override
    public Object persistentLoad(Object pid) {
      return loader.load(pid);
    }

    private static String describe(Object o) {
      if (o == null) {
        return "None";
      }
      if (o instanceof Fn f) {
        return "global " + f.name().toLowerCase(Locale.ROOT);
      }
      if (o instanceof StorageType s) {
        return "storage type torch." + s.name();
      }
      return o.getClass().getSimpleName();
    }
  }
}
