/**
 * Optimisation: the global symmetric InfoNCE ({@link regionvlp.train.ContrastiveLoss}, METHOD.md 3.1),
 * AdamW, the learning-rate schedules (G5 explicit) and the step loop with its NDArray lifetime rules
 * ({@link regionvlp.train.TrainLoop}).
 */
package regionvlp.train;
