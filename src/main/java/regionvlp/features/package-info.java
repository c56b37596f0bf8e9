/**
 * From frame files to model inputs: frame sampling ({@link regionvlp.features.FrameSampler}, METHOD.md 1.5),
 * top-30 region selection with edge padding and the 6-d box encoding ({@link
 * regionvlp.features.RegionSelector}, 1.4), where clips come from ({@link regionvlp.features.ClipSource}: the npz
 * tree or a feature store, which {@link regionvlp.features.StoreConverter} builds), split checks ({@link
 * regionvlp.features.ClipDataset}) and
 * background batch assembly ({@link regionvlp.features.TrainBatches}). Output: {@link
 * regionvlp.features.HostBatch}, clips [B, F, R, D+6] and masks [B, F, R] plus token ids [B, L].
 */
package regionvlp.features;
