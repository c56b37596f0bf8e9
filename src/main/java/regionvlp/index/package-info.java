/**
 * Searching your own videos on plain Java arrays (no engine): an index folder holds unit video embeddings
 * and ids ({@link regionvlp.index.VideoIndex}), optionally each video's region embeddings in float16 with
 * their boxes for RWA re-ranking and explanations ({@link regionvlp.index.RegionStore}), and optionally a
 * Lucene HNSW graph ({@link regionvlp.index.HnswGraphIndex}). Exact search ({@link
 * regionvlp.index.ExactSearch}) always works. {@link regionvlp.index.Searcher} is what a query front end
 * (CLI, HTTP) talks to; the implementation that encodes text lives in {@code run}.
 *
 * <p>Layout of an index folder: {@code index.json} (the {@link regionvlp.index.IndexManifest}), {@code
 * ids.txt} (one video id per line, in ordinal order), {@code embeddings.npy} (float32 [N, E], unit rows),
 * and with region embeddings {@code regions.npy} (float16 [N, T, E], T = F*R slots), {@code
 * region_valid.npy} (uint8 [N, T]), {@code boxes.npy} (float32 [N, T, 4]: x1, y1, x2, y2 as fractions of
 * the image) and {@code frames.npy} (int32 [N, F]: the stored frame number behind each sampled frame);
 * with HNSW a Lucene index in {@code hnsw/}.
 */
package regionvlp.index;
