package regionvlp.features;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * The training batches of an epoch from one or more sources, interleaved: step k of an epoch takes the next
 * batch of source {@code k % n}. With two sources this is the original's pre-training loop (METHOD.md 4.1):
 * each iteration one optimiser step on a WebVid batch, then one on a CC3M batch. An epoch has
 * {@code iterations} iterations (the shorter source's full batches, capped by {@code maxSamplesPerEpoch};
 * see {@code TrainConfig.iterationsPerEpoch}), so {@code n x iterations} steps.
 *
 * <p>Which source and which of its batches step k reads follows from k alone, so a run resumes mid-epoch at
 * any step, either source next. Each source keeps its own seeded order ({@link TrainBatches}).
 */
public final class InterleavedBatches implements AutoCloseable {
  /** One source: its name (for logs and metrics) and its batches. */
  public record Source(String name, TrainBatches batches) {}

  private final List<Source> sources;
  private final int iterations;

  /**
   * @param sources the sources in step order (primary first); closed with this
   * @param iterations iterations per epoch, at most every source's {@link TrainBatches#batchesPerEpoch}
   */
  public InterleavedBatches(List<Source> sources, int iterations) {
    if (sources.isEmpty()) {
      throw new IllegalArgumentException("need at least one source");
    }
    for (Source s : sources) {
      if (iterations > s.batches().batchesPerEpoch()) {
        throw new IllegalArgumentException(iterations + " iterations per epoch exceed the "
            + s.batches().batchesPerEpoch() + " batches of source " + s.name());
      }
    }
    if (iterations < 1) {
      throw new IllegalArgumentException("need at least one iteration per epoch, found " + iterations);
    }
    this.sources = List.copyOf(sources);
    this.iterations = iterations;
  }

  /** Optimiser steps per epoch: one per source per iteration. */
  public int batchesPerEpoch() {
    return iterations * sources.size();
  }

  /** Iterations per epoch. */
  public int iterations() {
    return iterations;
  }

  /** The sources, in step order. */
  public List<Source> sources() {
    return sources;
  }

  /** Name of the source step {@code batchInEpoch} (0-based within its epoch) reads. */
  public String sourceOf(int batchInEpoch) {
    return sources.get(batchInEpoch % sources.size()).name();
  }

  /** The batches of {@code epoch} from step {@code firstBatch} of the epoch on. */
  public Iterator<HostBatch> epoch(int epoch, int firstBatch) {
    int n = sources.size();
    List<Iterator<HostBatch>> its = new ArrayList<>(n);
    for (int s = 0; s < n; s++) {
      // Source s serves steps s, s + n, ...: its batch j is step j * n + s; the first not before firstBatch.
      int first = Math.max(0, (firstBatch - s + n - 1) / n);
      its.add(sources.get(s).batches().epoch(epoch, first, iterations));
    }
    int total = batchesPerEpoch();
    return new Iterator<>() {
      int k = firstBatch;

      @Override
      public boolean hasNext() {
        return k < total;
      }

      @Override
      public HostBatch next() {
        if (k >= total) {
          throw new NoSuchElementException();
        }
        return its.get(k++ % n).next();
      }
    };
  }

  @Override
  public void close() {
    sources.forEach(s -> s.batches().close());
  }
}
