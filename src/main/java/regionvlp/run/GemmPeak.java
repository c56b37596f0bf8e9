package regionvlp.run;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * This machine's fp32 GEMM peak, measured through the engine the model runs on: square n x n x n products
 * ({@code NDArray.matMul}, 2 n^3 FLOPs each) at a few sizes; per size the median of {@code reps} timed
 * products after one warm-up, and the best size is the peak. The same procedure as the original-code
 * benchmark's {@code bench_gemm.py}, so the two MFU denominators are comparable.
 */
public final class GemmPeak {
  private GemmPeak() {}

  /** The default sizes: large enough that packing and threading overheads are amortised. */
  public static final int[] SIZES = {1024, 2048, 3072};

  /**
   * @param perSize GFLOP/s by matrix size
   * @param gflops the best of them
   */
  public record Result(Map<Integer, Double> perSize, double gflops) {}

  /** Measures in a sub-manager of {@code manager}, closed before return. */
  public static Result measure(NDManager manager, int[] sizes, int reps) {
    Map<Integer, Double> per = new LinkedHashMap<>();
    double best = 0;
    try (NDManager sub = manager.newSubManager()) {
      for (int n : sizes) {
        NDArray a = sub.randomNormal(0, 1, new Shape(n, n), DataType.FLOAT32);
        NDArray b = sub.randomNormal(0, 1, new Shape(n, n), DataType.FLOAT32);
        a.matMul(b).close(); // warm-up
        double[] t = new double[reps];
        for (int i = 0; i < reps; i++) {
          long t0 = System.nanoTime();
          try (NDArray c = a.matMul(b)) {
            c.getFloat(0, 0); // the engine is synchronous on CPU; this only guards against laziness
          }
          t[i] = (System.nanoTime() - t0) / 1e9;
        }
        Arrays.sort(t);
        double gf = 2.0 * n * n * n / t[reps / 2] / 1e9;
        per.put(n, gf);
        best = Math.max(best, gf);
        a.close();
        b.close();
      }
    }
    return new Result(per, best);
  }
}
