#!/usr/bin/python3
"""Side-by-side training-step benchmark: ours (`regionvlp bench train`) and the ORIGINAL DemoVLP code
(the reference benchmark scripts bench_train.py and bench_gemm.py that time showlab/DemoVLP's model and loss
with PyTorch, in the folder given by --bench-dir), at the same shapes, batch and threads, interleaved in one sitting
(ours, original, ours, original, ...) so that both see the same machine load. Also measures the original
engine's GEMM peak (bench_gemm.py); ours measures its own in-process.

Prints one line per run and a summary table (medians over the repetitions) with the ratio of samples/s;
the last line is a JSON object with everything. Needs --bench-dir, DEMOVLP_SRC (a checkout of DemoVLP, as the scripts' README says) and a
built jar (`mvn -B -o package -DskipTests`, or the `regionvlp` launcher once).

Example (the acceptance rows of docs/PERFORMANCE.md):
  DEMOVLP_SRC=/path/to/demovlp_src tools/bench_compare.py --bench-dir /path/to/bench --reps 3 --threads 2
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHAPES = {  # name: (preset, frames, default batch)
    "pretrain": ("demovlp-pretrain", 1, 32),
    "finetune": ("demovlp-finetune", 8, 8),
}


def run(cmd, env=None):
    t = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-3000:]}")
    return p.stdout.strip().splitlines(), time.time() - t


def ours(a, preset, batch):
    env = dict(os.environ)
    for kv in a.ours_env:
        k, v = kv.split("=", 1)
        env[k] = v
    cmd = ["java", "-Dai.djl.offline=true"] + a.ours_jvm + ["-jar", a.jar, "bench", "train", "--preset", preset,
           "--batch", str(batch), "--steps", str(a.steps), "--warmup", str(a.warmup), "--threads",
           str(a.threads), "--json"]
    out, _ = run(cmd, env)
    return json.loads(out[-1])


def original(a, frames, batch, peak):
    cmd = ["/usr/bin/python3", os.path.join(a.bench_dir, "bench_train.py"), "--batch", str(batch), "--frames",
           str(frames), "--steps", str(a.steps), "--warmup", str(a.warmup), "--threads", str(a.threads),
           "--peak-gflops", str(peak)]
    out, _ = run(cmd)
    res = {"samplesPerSecond": float(out[-1].split()[1])}
    for line in out:
        if line.startswith("forward GFLOP/sample"):
            res["trainGflopPerSample"] = float(line.split("train (3x)")[1].split()[0])
        if line.startswith("MFU"):
            res["mfuOfTorchPeak"] = float(line.split()[1].rstrip("%")) / 100
    return res


def gemm(a):
    out, _ = run(["/usr/bin/python3", os.path.join(a.bench_dir, "bench_gemm.py"), "--threads", str(a.threads)])
    return float(out[-1].split()[1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=list(SHAPES))
    ap.add_argument("--batch", type=int, default=0, help="override the batch of every shape (default: 32 / 8)")
    ap.add_argument("--reps", type=int, default=3, help="interleaved repetitions per shape")
    ap.add_argument("--steps", type=int, default=3, help="timed steps per run (median)")
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--jar", default=os.path.join(ROOT, "target", "regionvlp.jar"))
    ap.add_argument("--bench-dir", required=True,
                    help="folder of the reference scripts bench_train.py and bench_gemm.py")
    ap.add_argument("--ours-env", action="append", default=[], metavar="KEY=VALUE",
                    help="environment variable for our runs only (repeatable)")
    ap.add_argument("--ours-jvm", action="append", default=[], metavar="OPTION",
                    help="JVM option for our runs only (repeatable), e.g. -Dregionvlp.nativeTuning=false")
    a = ap.parse_args()
    if not os.path.isfile(a.jar):
        sys.exit(f"no jar at {a.jar}: build it (mvn -B -o package -DskipTests) or pass --jar")
    if not os.environ.get("DEMOVLP_SRC"):
        sys.exit("set DEMOVLP_SRC to a plain checkout of DemoVLP (see the README next to the bench scripts)")
    report = {"threads": a.threads, "reps": a.reps, "steps": a.steps, "warmup": a.warmup, "rows": []}
    for name in a.shapes:
        preset, frames, batch = SHAPES[name]
        batch = a.batch or batch
        rows = {"ours": [], "original": [], "torchPeak": []}
        for rep in range(a.reps):
            peak = gemm(a)
            rows["torchPeak"].append(peak)
            o = ours(a, preset, batch)
            rows["ours"].append(o)
            print(f"{name} rep {rep + 1}: ours {o['samplesPerSecond']:.3f} samples/s ({o['msPerStep']:.0f} ms/step,"
                  f" MFU {o['mfu']:.3f} of {o['gemmPeakGflops']['used']} GFLOP/s, peak RSS {o['peakRssMb']} MB)",
                  flush=True)
            p = original(a, frames, batch, peak)
            rows["original"].append(p)
            print(f"{name} rep {rep + 1}: original {p['samplesPerSecond']:.3f} samples/s (MFU "
                  f"{p.get('mfuOfTorchPeak', float('nan')):.3f} of torch's {peak:.1f} GFLOP/s)", flush=True)
        med = lambda xs: statistics.median(xs)
        ours_sps = med([r["samplesPerSecond"] for r in rows["ours"]])
        orig_sps = med([r["samplesPerSecond"] for r in rows["original"]])
        djl_peak = med([r["gemmPeakGflops"]["used"] for r in rows["ours"]])
        torch_peak = med(rows["torchPeak"])
        gf = rows["ours"][0]["gflopPerSample"]["train"]
        row = {
            "shape": name, "preset": preset, "batch": batch, "frames": frames,
            "gflopPerSample": gf, "originalGflopPerSample": rows["original"][0].get("trainGflopPerSample"),
            "oursSamplesPerSecond": round(ours_sps, 3), "originalSamplesPerSecond": round(orig_sps, 3),
            "ratio": round(ours_sps / orig_sps, 2),
            "oursMfu": round(med([r["mfu"] for r in rows["ours"]]), 3),
            "originalMfuOfTorchPeak": round(med([r.get("mfuOfTorchPeak", float("nan")) for r in rows["original"]]), 3),
            "djlGemmPeak": round(djl_peak, 1), "torchGemmPeak": round(torch_peak, 1),
            "oursMfuOfHigherPeak": round(ours_sps * gf / max(djl_peak, torch_peak), 3),
            "originalMfuOfHigherPeak": round(orig_sps * gf / max(djl_peak, torch_peak), 3),
            "oursPeakRssMb": max(r["peakRssMb"] for r in rows["ours"]),
            "oursRuns": [r["samplesPerSecond"] for r in rows["ours"]],
            "originalRuns": [r["samplesPerSecond"] for r in rows["original"]],
        }
        report["rows"].append(row)
    print()
    print(f"{'shape':9} {'batch':>5} {'ours s/s':>9} {'orig s/s':>9} {'ratio':>6} {'ours MFU':>9} "
          f"{'orig MFU':>9} {'DJL peak':>9} {'torch pk':>9}")
    for r in report["rows"]:
        print(f"{r['shape']:9} {r['batch']:5d} {r['oursSamplesPerSecond']:9.3f} {r['originalSamplesPerSecond']:9.3f} "
              f"{r['ratio']:6.2f} {r['oursMfu']:9.3f} {r['originalMfuOfTorchPeak']:9.3f} {r['djlGemmPeak']:9.1f} "
              f"{r['torchGemmPeak']:9.1f}")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
