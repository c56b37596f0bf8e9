package regionvlp.index;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.IntConsumer;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene912.Lucene912Codec;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NoMergePolicy;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * Approximate nearest neighbours with Lucene's HNSW graph: one document per video holding a {@code
 * KnnFloatVectorField} (similarity {@code DOT_PRODUCT}, which requires and gets unit vectors) and the
 * video's ordinal as a doc value. The graph only proposes candidates; callers re-score them with the
 * exact dot product ({@link VideoIndex#hnsw}), so scores are the same whichever path found a video.
 *
 * <p>Thread-safe for searching (Lucene's {@link IndexSearcher} is).
 */
public final class HnswGraphIndex implements AutoCloseable {
  /** Folder of the Lucene index inside an index folder. */
  public static final String DIR = "hnsw";
  static final String VECTOR = "v";
  static final String ORDINAL = "ord";

  private final Directory directory;
  private final DirectoryReader reader;
  private final IndexSearcher searcher;

  private HnswGraphIndex(Directory directory) throws IOException {
    this.directory = directory;
    this.reader = DirectoryReader.open(directory);
    this.searcher = new IndexSearcher(reader);
  }

  /** Opens the graph in {@code dir}. */
  static HnswGraphIndex open(Path dir) {
    Directory d = null;
    try {
      d = FSDirectory.open(dir);
      return new HnswGraphIndex(d);
    } catch (IOException e) {
      if (d != null) {
        try {
          d.close();
        } catch (IOException ignored) {
          // reported through the outer exception
        }
      }
      throw new UncheckedIOException("cannot open the HNSW index " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Builds the graph over {@code count} unit rows into a new folder {@code dir}, as one segment (the
   * indexing buffer is sized to hold every vector, so no merge rebuilds the graph).
   *
   * @param progress told how many vectors are added, every few thousand (may be null)
   */
  static void build(Path dir, float[] vectors, int count, int dim, IndexManifest.HnswInfo params,
      IntConsumer progress) {
    IndexWriterConfig cfg = new IndexWriterConfig();
    KnnVectorsFormat format = new Lucene99HnswVectorsFormat(params.maxConn(), params.beamWidth());
    cfg.setCodec(new Lucene912Codec() {
      @Override
      public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
        return format;
      }
    });
    cfg.setOpenMode(IndexWriterConfig.OpenMode.CREATE);
    cfg.setMergePolicy(NoMergePolicy.INSTANCE);
    cfg.setMaxBufferedDocs(IndexWriterConfig.DISABLE_AUTO_FLUSH);
    double needMb = (double) count * dim * 4 * 3 / (1 << 20) + 64; // vectors, graph and slack
    cfg.setRAMBufferSizeMB(Math.min(Math.max(64, needMb), 1900));
    cfg.setRAMPerThreadHardLimitMB(1945);
    cfg.setCommitOnClose(false);
    try (Directory d = FSDirectory.open(dir); IndexWriter w = new IndexWriter(d, cfg)) {
      for (int i = 0; i < count; i++) {
        Document doc = new Document();
        doc.add(new KnnFloatVectorField(VECTOR, Arrays.copyOfRange(vectors, i * dim, (i + 1) * dim),
            VectorSimilarityFunction.DOT_PRODUCT));
        doc.add(new NumericDocValuesField(ORDINAL, i));
        w.addDocument(doc);
        if (progress != null && ((i + 1) % 5000 == 0 || i + 1 == count)) {
          progress.accept(i + 1);
        }
      }
      w.commit();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot build the HNSW index in " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * The ordinals of the {@code candidates} nearest rows to {@code query} (a unit vector), by the graph.
   *
   * @param candidates how many neighbours the graph search keeps (Lucene's k); larger is slower and closer
   *     to exact
   */
  int[] candidates(float[] query, int candidates) {
    try {
      TopDocs top = searcher.search(new KnnFloatVectorQuery(VECTOR, query, candidates), candidates);
      int[] out = new int[top.scoreDocs.length];
      for (int i = 0; i < out.length; i++) {
        ScoreDoc sd = top.scoreDocs[i];
        LeafReaderContext leaf = reader.leaves().get(ReaderUtil.subIndex(sd.doc, reader.leaves()));
        NumericDocValues ords = leaf.reader().getNumericDocValues(ORDINAL);
        if (ords == null || !ords.advanceExact(sd.doc - leaf.docBase)) {
          throw new IllegalStateException("HNSW document " + sd.doc + " has no ordinal");
        }
        out[i] = Math.toIntExact(ords.longValue());
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("HNSW search failed: " + e.getMessage(), e);
    }
  }

  /** Number of vectors in the graph. */
  int size() {
    return reader.numDocs();
  }

  @Override
  public void close() {
    try {
      reader.close();
      directory.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
