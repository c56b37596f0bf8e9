package regionvlp.features;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import regionvlp.data.ClipFaultException;
import regionvlp.text.TokenizedCaptions;

/**
 * Training batches, read and assembled on background threads while the model trains.
 *
 * <p>An epoch visits every video once, in a seeded random order; each visit pairs the video with one of
 * its captions drawn at random (as the original does for MSR-VTT's ~20 captions per video), so a batch
 * never holds the same video twice and in-batch negatives are true negatives. The last incomplete batch
 * is dropped. Everything random in a batch comes from a generator seeded by (seed, epoch, batch index),
 * so batches are identical whatever the thread timing, and a run can be resumed at any step.
 */
public final class TrainBatches implements AutoCloseable {
  private final ClipDataset dataset;
  private final TokenizedCaptions captions;
  private final int batchSize;
  private final FrameSampler sampler;
  private final long seed;
  private final int prefetch;
  private final ExecutorService pool;
  private final int[][] captionsOfVideo;

  /**
   * @param dataset the training split
   * @param captions every caption of the split, tokenised, in row order
   * @param sampler the random frame sampler
   * @param threads loader threads
   */
  public TrainBatches(ClipDataset dataset, TokenizedCaptions captions, int batchSize, FrameSampler sampler,
      long seed, int threads) {
    if (captions.count() != dataset.numCaptions()) {
      throw new IllegalArgumentException(
          "expected " + dataset.numCaptions() + " tokenised captions, found " + captions.count());
    }
    if (dataset.numVideos() < batchSize) {
      throw new IllegalArgumentException("train.batchSize " + batchSize + " exceeds the "
          + dataset.numVideos() + " training videos");
    }
    this.dataset = dataset;
    this.captions = captions;
    this.batchSize = batchSize;
    this.sampler = sampler;
    this.seed = seed;
    this.prefetch = 2 * threads;
    this.pool = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "batch-loader");
      t.setDaemon(true);
      return t;
    });
    int[] c2v = dataset.captionToVideo();
    List<List<Integer>> lists = new ArrayList<>();
    for (int v = 0; v < dataset.numVideos(); v++) {
      lists.add(new ArrayList<>());
    }
    for (int c = 0; c < c2v.length; c++) {
      lists.get(c2v[c]).add(c);
    }
    captionsOfVideo = new int[lists.size()][];
    for (int v = 0; v < lists.size(); v++) {
      captionsOfVideo[v] = lists.get(v).stream().mapToInt(Integer::intValue).toArray();
    }
  }

  /** Full batches per epoch. */
  public int batchesPerEpoch() {
    return dataset.numVideos() / batchSize;
  }

  /** The video order of an epoch: a seeded permutation. */
  int[] order(int epoch) {
    int n = dataset.numVideos();
    int[] perm = new int[n];
    for (int i = 0; i < n; i++) {
      perm[i] = i;
    }
    SplittableRandom r = new SplittableRandom(mix(seed, epoch, -1));
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    return perm;
  }

  /**
   * The batches of one epoch from {@code firstBatch} on, prefetched in the background.
   *
   * @param epoch 0-based epoch
   * @param firstBatch the batch to start at (0, or later when resuming)
   */
  public Iterator<HostBatch> epoch(int epoch, int firstBatch) {
    return epoch(epoch, firstBatch, batchesPerEpoch());
  }

  /**
   * As {@link #epoch(int, int)}, ending before batch {@code endBatch} (an epoch capped by
   * {@code train.maxSamplesPerEpoch} or by a shorter source it alternates with).
   */
  public Iterator<HostBatch> epoch(int epoch, int firstBatch, int endBatch) {
    int[] perm = order(epoch);
    int total = Math.min(endBatch, batchesPerEpoch());
    ArrayDeque<Future<HostBatch>> queue = new ArrayDeque<>();
    return new Iterator<>() {
      int next = firstBatch; // next batch to submit

      {
        fill();
      }

      private void fill() {
        while (queue.size() < prefetch && next < total) {
          int b = next++;
          queue.add(pool.submit(() -> assemble(epoch, b, perm)));
        }
      }

      @Override
      public boolean hasNext() {
        return !queue.isEmpty();
      }

      @Override
      public HostBatch next() {
        if (queue.isEmpty()) {
          throw new NoSuchElementException();
        }
        Future<HostBatch> f = queue.poll();
        fill();
        try {
          return f.get();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while loading a batch", e);
        } catch (ExecutionException e) {
          queue.forEach(q -> q.cancel(true));
          queue.clear();
          if (e.getCause() instanceof RuntimeException re) {
            throw re;
          }
          throw new IllegalStateException(e.getCause());
        }
      }
    };
  }

  /**
   * Builds batch {@code b} of {@code epoch}. A clip whose frames turn out to be bad is reported to the dataset
   * (logged once; the run aborts past {@code data.maxBadFraction}) and its slot is filled by the next clip in
   * the epoch order after this batch that reads cleanly and is not already in the batch. The choice depends
   * only on the order and the files, so it is the same whatever the thread timing.
   */
  HostBatch assemble(int epoch, int b, int[] perm) {
    SplittableRandom r = new SplittableRandom(mix(seed, epoch, b));
    int f = dataset.numFrames();
    int n = dataset.numRegions();
    int dim = dataset.regionDim();
    int l = captions.length();
    float[] regions = new float[batchSize * f * n * dim];
    float[] mask = new float[batchSize * f * n];
    long[] ids = new long[batchSize * l];
    long[] tmask = new long[batchSize * l];
    int next = (b + 1) * batchSize; // replacement candidates: the epoch order after this batch, wrapping
    Set<Integer> used = new HashSet<>();
    for (int i = 0; i < batchSize; i++) {
      used.add(perm[b * batchSize + i]);
    }
    for (int i = 0; i < batchSize; i++) {
      int video = perm[b * batchSize + i];
      int tries = 0;
      while (true) {
        int[] caps = captionsOfVideo[video];
        int caption = caps[r.nextInt(caps.length)];
        captions.copyIds(caption, ids, i * l);
        captions.copyMask(caption, tmask, i * l);
        try {
          dataset.readClip(video, sampler, r, regions, i * f * n * dim, mask, i * f * n);
          break;
        } catch (ClipFaultException e) {
          dataset.reportBad(video, e); // throws past the bad-fraction limit
          // Known-bad clips are tried again rather than skipped: skipping would depend on which thread
          // found them first, and change the random stream.
          do {
            if (++tries > perm.length) {
              throw new IllegalStateException("no readable clip left to fill batch " + b + " of epoch " + epoch);
            }
            video = perm[next++ % perm.length];
          } while (used.contains(video));
          used.add(video);
        }
      }
    }
    return new HostBatch(batchSize, f, n, dim, regions, mask, l, ids, tmask);
  }

  /**
   * The seed of source {@code index} of a run seeded with {@code seed}: the seed itself for the first source
   * (so single-source runs are unchanged), a derived one for the others, so that two sources never share
   * their order and sampling streams.
   */
  public static long sourceSeed(long seed, int index) {
    return index == 0 ? seed : mix(seed, -7, index);
  }

  static long mix(long seed, long a, long b) {
    long h = seed * 0x9E3779B97F4A7C15L + a * 0xC2B2AE3D27D4EB4FL + b * 0x165667B19E3779F9L;
    h ^= h >>> 31;
    return h * 0x94D049BB133111EBL;
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
