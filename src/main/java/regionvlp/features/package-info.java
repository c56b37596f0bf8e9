/**
 * From frame files to model inputs: frame sampling ({@link regionvlp.features.FrameSampler}, METHOD.md 1.5),
 * top-30 region selection with edge padding and the 6-d box encoding ({@link
 * regionvlp.features.RegionSelector}, 1.4), splits with their bad-item policy whose clips come from the npz tree
 * or a feature store ({@link regionvlp.features.ClipDataset} over {@link regionvlp.data.ClipSource}), the
 * tree-to-store converter ({@link regionvlp.features.StoreConverter}) and
 * background batch assembly ({@link regionvlp.features.TrainBatches}). Output: {@link
 * regionvlp.features.HostBatch}, clips [B, F, R, D+6] and masks [B, F, R] plus token ids [B, L].
 */
package regionvlp.features;
