package regionvlp.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A named-parameter registry: the model's trainable tensors, keyed by dotted names that mirror the
 * original PyTorch state-dict names (e.g. {@code object_model.blocks.0.attn.qkv.weight}), so that foreign
 * weights load by name.
 *
 * <p>Every array lives in this registry's own manager, which the registry closes. Insertion order is kept
 * ({@link LinkedHashMap}) because checkpoints and the optimiser state iterate parameters in a fixed order.
 * Initial values are drawn in Java from a seeded {@link SplittableRandom}, so a seed gives the same model
 * on every engine and machine.
 */
public final class Params implements AutoCloseable {
  private final NDManager manager;
  private final LinkedHashMap<String, NDArray> arrays = new LinkedHashMap<>();
  private final SplittableRandom random;

  /**
   * @param parent the manager under which this registry creates its own sub-manager
   * @param seed seed for the initial values
   */
  public Params(NDManager parent, long seed) {
    this.manager = parent.newSubManager();
    this.random = new SplittableRandom(seed);
  }

  /** The manager that owns every parameter. */
  public NDManager manager() {
    return manager;
  }

  /** Looks a parameter up; an unknown name is a programming error. */
  public NDArray get(String name) {
    NDArray a = arrays.get(name);
    if (a == null) {
      throw new IllegalStateException("no parameter named '" + name + "'");
    }
    return a;
  }

  /** The parameters in registration order (read-only view). */
  public Map<String, NDArray> all() {
    return Collections.unmodifiableMap(arrays);
  }

  /** Number of scalar values over all parameters. */
  public long count() {
    long n = 0;
    for (NDArray a : arrays.values()) {
      n += a.size();
    }
    return n;
  }

  /** Registers {@code values} (row-major) as parameter {@code name} of the given shape. */
  public NDArray register(String name, float[] values, Shape shape) {
    if (arrays.containsKey(name)) {
      throw new IllegalStateException("parameter '" + name + "' registered twice");
    }
    if (values.length != shape.size()) {
      throw new IllegalArgumentException(
          name + ": expected " + shape.size() + " values for shape " + shape + ", found " + values.length);
    }
    // Cloned so that the engine owns the memory (see HostBatch#owned for why a blob-backed array is unsafe).
    NDArray blob = manager.create(values, shape);
    NDArray a = blob.duplicate();
    blob.close();
    a.setName(name);
    a.setRequiresGradient(true);
    zeroGradient(a);
    arrays.put(name, a);
    return a;
  }

  /** Normal(0, std) truncated to [-2 std, 2 std] (timm's trunc_normal_ with a = -2std, b = 2std). */
  public NDArray truncNormal(String name, double std, long... dims) {
    Shape shape = new Shape(dims);
    float[] v = new float[Math.toIntExact(shape.size())];
    for (int i = 0; i < v.length; i++) {
      double x;
      do {
        x = nextGaussian();
      } while (Math.abs(x) > 2.0);
      v[i] = (float) (x * std);
    }
    return register(name, v, shape);
  }

  /**
   * Overwrites {@code param}'s gradient buffer with zeros. The engine allocates that buffer without
   * initialising it, and the first backward pass accumulates into it, so a fresh parameter could otherwise
   * start with garbage (seen as 1e32 and Inf gradients on the first step). A fill, not a multiply by zero,
   * so that NaN and Inf are cleared too.
   */
  public static void zeroGradient(NDArray param) {
    try (NDArray g = param.getGradient()) {
      g.set(new NDIndex("..."), 0f);
    }
  }

  /**
   * Gives parameter {@code name} a dense gradient buffer of zeros now, by one backward pass through
   * {@code 0 * p}. A parameter whose first gradient is sparse (an embedding table looked up with a COO
   * gradient) would otherwise keep a sparse gradient, which the optimiser cannot update in place; with a
   * dense buffer present, the engine adds each sparse gradient into it.
   */
  public void denseGradient(String name) {
    NDArray p = get(name);
    try (NDManager sub = manager.newSubManager();
        GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      gc.backward(sub.zeros(new Shape()).mul(p).sum()); // first operand in sub: nothing lands on p's manager
    }
  }

  /** Normal(0, std), as BERT-family models initialise their linear and embedding weights. */
  public NDArray normal(String name, double std, long... dims) {
    Shape shape = new Shape(dims);
    float[] v = new float[Math.toIntExact(shape.size())];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (nextGaussian() * std);
    }
    return register(name, v, shape);
  }

  /** Uniform(-bound, bound): PyTorch's default Linear init uses bound = 1/sqrt(fanIn). */
  public NDArray uniform(String name, double bound, long... dims) {
    Shape shape = new Shape(dims);
    float[] v = new float[Math.toIntExact(shape.size())];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
    }
    return register(name, v, shape);
  }

  /** A constant-filled parameter (LayerNorm gains and biases, zero-initialised embeddings). */
  public NDArray constant(String name, float value, long... dims) {
    Shape shape = new Shape(dims);
    float[] v = new float[Math.toIntExact(shape.size())];
    java.util.Arrays.fill(v, value);
    return register(name, v, shape);
  }

  /** Replaces the value of an existing parameter in place (checkpoint loading). */
  public void assign(String name, float[] values, Shape shape) {
    NDArray a = get(name);
    if (!a.getShape().equals(shape)) {
      throw new IllegalArgumentException(
          name + ": expected shape " + a.getShape() + ", found " + shape);
    }
    if (a.getDataType() != DataType.FLOAT32) {
      throw new IllegalStateException(name + " is not float32");
    }
    a.set(values);
  }

  private double nextGaussian() {
    // Box-Muller on the seeded stream: deterministic across JVMs (unlike Random#nextGaussian caching).
    double u1 = random.nextDouble();
    double u2 = random.nextDouble();
    return Math.sqrt(-2.0 * Math.log(1.0 - u1)) * Math.cos(2.0 * Math.PI * u2);
  }

  @Override
  public void close() {
    manager.close();
  }
}
