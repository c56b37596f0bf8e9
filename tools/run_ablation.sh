#!/bin/bash
# The issue 3 ablation on SynthVid: global-only, local-only (RWA) and global+local training, three seeds each,
# with the same budget (the quickstart model, 1 epoch = 62 steps of batch 64), each evaluated on the 1,000-video
# test split with the scoring it was trained for (global: G; global+local: G + S^T; local: S^T).
#
#   ./regionvlp synth --out runs/ablation/data --feature-dim 64     # the quick-start corpus (seed 42)
#   tools/run_ablation.sh runs/ablation                              # prints one line per run; resumable
#
# Each run leaves RUN/eval.json (the eval JSON line); a finished run is skipped when the script is re-run.
set -euo pipefail
OUT=${1:?usage: tools/run_ablation.sh OUTDIR (with OUTDIR/data from regionvlp synth)}
EPOCHS=${EPOCHS:-1}
HERE=$(cd "$(dirname "$0")/.." && pwd)
D=$OUT/data
for seed in 0 1 2; do
  for arm in global both local; do
    case $arm in
      global) L=(--set loss.useGlobal=true --set loss.useLocal=false);;
      local)  L=(--set loss.useGlobal=false --set loss.useLocal=true);;
      both)   L=(--set loss.useGlobal=true --set loss.useLocal=true);;
    esac
    R=$OUT/run-$arm-$seed
    [ -f "$R/eval.json" ] && continue
    rm -rf "$R"
    start=$(date +%s)
    "$HERE/regionvlp" train --config quickstart --set data.features="$D/features" --set data.trainMeta="$D/train.tsv" \
      --set data.valMeta= --set model.video.featureDim=64 --set train.epochs="$EPOCHS" --set train.seed=$seed \
      "${L[@]}" --out "$R" > "$R.train.log" 2>&1
    mid=$(date +%s)
    "$HERE/regionvlp" eval --checkpoint "$R" --dataset synthvid --features "$D/features" --meta "$D" --json \
      2> "$R.eval.log" | tail -1 > "$R.eval.tmp"
    mv "$R.eval.tmp" "$R/eval.json"
    echo "$arm seed=$seed train_s=$((mid - start)) eval_s=$(($(date +%s) - mid)) $(cut -c1-160 "$R/eval.json")"
  done
done
