#!/usr/bin/env bash
# The GPU run, on a machine with python3 + torch and nothing else (no Node, no network). See bench/gpu/README.md.
#
#   bash bench/gpu/run.sh [PHASE...]     (no phase: all of them, in the order below)
#
# Needs (carried to the device, built here by `node bench/gpu/build.mjs`): bench/.tmp/gpu (bundles + stubs),
# .vendor/ComfyUI, .vendor/torchsde-src, .vendor/node22.xz. Writes $OUT/results.json, $OUT/run.log, $OUT/logs.tgz
# (ComfyUI and server logs, the charts), $OUT/gpu-summary.json and $OUT/transcripts.jsonl.
set -uo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO"
export GI_REPO=$REPO
export GI_WORK=${GI_WORK:-/tmp/gi}
export OUT=${OUT:-$GI_WORK/out}
mkdir -p "$GI_WORK/bin" "$GI_WORK/logs" "$OUT"
if [ $# -eq 0 ]; then
  set -- probe cold plain default stock pixels contract transcript bootprofile
fi
say() { echo "[run.sh $(date +%T)] $*" | tee -a "$OUT/run.log"; }

# 1. Node 22, shipped as one xz-compressed binary.
if [ ! -x "$GI_WORK/bin/node" ]; then
  xz -dc .vendor/node22.xz > "$GI_WORK/bin/node" && chmod +x "$GI_WORK/bin/node" || { say "cannot unpack node"; exit 1; }
fi
export PATH="$GI_WORK/bin:$PATH"

# 2. ComfyUI's missing pure-Python imports: torchsde (source tree) and stand-ins for av and trampoline.
export COMFYUI_DIR="$REPO/.vendor/ComfyUI"
export PYTHONPATH="$REPO/bench/.tmp/gpu/stubs:$REPO/.vendor/torchsde-src${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1
if [ "${GI_LOCAL:-0}" = 1 ]; then
  # Rehearsal without a GPU: the fake ComfyUI stands in for python3 main.py; no checkpoint.
  export GI_PYTHON="$REPO/bench/gpu/local-python.sh"
  node bench/.tmp/gpu/driver.mjs "$@" 2>&1 | tee -a "$OUT/run.log"
  exit "${PIPESTATUS[0]}"
fi
say "node $(node --version), $(python3 -c 'import torch, sys; print("python", sys.version.split()[0], "torch", torch.__version__)')"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee -a "$OUT/run.log"

# 3. Byte-compile ComfyUI once, so no cold start below pays for it.
started=$(date +%s.%N)
python3 -m compileall -q -j 0 "$COMFYUI_DIR" > /dev/null 2>&1
say "compileall $(awk "BEGIN{print $(date +%s.%N) - $started}") s"

# 4. The random-weight SDXL Turbo checkpoint (same keys and shapes as sd_xl_turbo_1.0_fp16.safetensors).
CKPT="$GI_WORK/models/checkpoints/sd_xl_turbo_1.0_fp16.safetensors"
if [ ! -s "$CKPT" ]; then
  mkdir -p "$(dirname "$CKPT")"
  started=$(date +%s.%N)
  python3 bench/gpu/make_ckpt.py "$CKPT.partial" >> "$OUT/run.log" 2>&1 && mv "$CKPT.partial" "$CKPT" || { say "make_ckpt failed"; tail -20 "$OUT/run.log"; exit 1; }
  say "checkpoint written in $(awk "BEGIN{print $(date +%s.%N) - $started}") s"
fi

# 5. Everything else.
node bench/.tmp/gpu/driver.mjs "$@" 2>&1 | tee -a "$OUT/run.log"
status=${PIPESTATUS[0]}

# 6. Logs and charts, in one file (the device returns at most 8 files).
# The compared images stay behind (noise PNGs: tens of MB); pixels.py's numbers are in results.json.
tar -czf "$OUT/logs.tgz" -C "$GI_WORK" logs $(cd "$GI_WORK" && ls -d report 2>/dev/null) 2>/dev/null
say "driver exit $status"
exit "$status"
