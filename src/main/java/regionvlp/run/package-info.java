/**
 * Orchestration: experiment configs (presets, JSON files, {@code --set} overrides with unknown-key errors),
 * run directories, provenance, checkpoints (safetensors + config) with atomic writes, and the training and
 * evaluation procedures that the CLI calls; the embedding files of {@code embed} ({@link
 * regionvlp.run.Embeddings}).
 */
package regionvlp.run;
