#!/usr/bin/env bash
# GPU readiness check, sized to finish in under 9 minutes on one current GPU:
#   1. the training-step and inference benchmarks of benchmarks/test_model_speed.py on CUDA
#      (18 s clips, 512-dim, batch 16 and 64, fp32 and bf16): clips/s, achieved GFLOP/s and the
#      utilisation against the GPU's own matmul peak, measured in the same process;
#   2. the pretrained encoders of benchmarks/test_pretrained_speed.py on CUDA (frozen BEATs and
#      EAT embedding, a LoRA training step of each, beside the dual-branch network);
#   3. one short `asdbench run --device cuda` on the synthetic dataset (small size, 2 epochs).
# Run from the repository root with the project installed (pip install -r requirements-dev.txt):
#   bash benchmarks/gpu_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
python - <<'PY'
import sys, torch
if not torch.cuda.is_available():
    sys.exit("gpu_check: torch sees no CUDA device (torch " + torch.__version__ + ")")
print("GPU:", torch.cuda.get_device_name(0), "| torch", torch.__version__)
PY
out="${ASDBENCH_GPU_CHECK_OUT:-gpu-check}"
mkdir -p "$out"
ASDBENCH_BENCH_DEVICE=cuda timeout 180 python -m pytest benchmarks/test_model_speed.py \
    --benchmark-only --benchmark-json "$out/model_speed.json" -q -p no:cacheprovider
python - "$out/model_speed.json" <<'PY'
import json, sys
for bench in json.load(open(sys.argv[1]))["benchmarks"]:
    info = bench["extra_info"]
    print(f"{bench['name']:<40} {info['clips_per_second']:>9.1f} clips/s  "
          f"{info['achieved_gflops']:>8.0f} GFLOP/s  utilisation {info['utilisation']:.2f} "
          f"(peak {info['matmul_peak_gflops']:.0f})")
PY
ASDBENCH_BENCH_DEVICE=cuda timeout 240 python -m pytest benchmarks/test_pretrained_speed.py \
    --benchmark-only --benchmark-json "$out/pretrained_speed.json" -q -p no:cacheprovider
python - "$out/pretrained_speed.json" <<'PY'
import json, sys
for bench in json.load(open(sys.argv[1]))["benchmarks"]:
    info = bench["extra_info"]
    print(f"{bench['name']:<40} {info['clips_per_second']:>9.1f} clips/s  "
          f"peak CUDA {info.get('peak_cuda_gb', '?')} GB  peak RSS {info['peak_rss_gb']} GB")
PY
export ASDBENCH_CACHE_DIR="$out/cache" MLFLOW_TRACKING_URI="sqlite:///$out/mlflow.db"
/usr/bin/time -v timeout 120 asdbench run --device cuda --epochs 2 --quiet --format json \
    --output "$out/run" > "$out/run.json" 2> "$out/run.log" || { tail -20 "$out/run.log"; exit 1; }
python - "$out/run.json" "$out/run.log" <<'PY'
import json, re, sys
report = json.load(open(sys.argv[1]))
log = open(sys.argv[2]).read()
wall = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", log)
print("asdbench run --device cuda:", ", ".join(
    f"{p} official score {100 * report[p]['official_score']:.2f}" for p in ("dev", "eval")),
    "| wall", wall.group(1) if wall else "?")
PY
