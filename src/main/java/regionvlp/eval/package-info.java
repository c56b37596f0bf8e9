/**
 * Retrieval scoring on plain {@code float[][]} (no engine): cosine similarity and Frozen-in-Time's metrics
 * (R@1/5/10/50, MedR, MeanR in both directions, METHOD.md 5.3, with its tie policy).
 */
package regionvlp.eval;
