#!/usr/bin/env bash
# The pool benchmark, on a machine with python3 + torch and nothing else (no Node, no network). See bench/pool/README.md.
#
#   bash bench/pool/run.sh
#
# Needs (carried to the device; built here by `node bench/pool/build.mjs`): bench/.tmp/pool, .vendor/ComfyUI,
# .vendor/torchsde-src, .vendor/node22.xz (and .vendor/redis with GP_DRIVER=redis). Writes $OUT/results.json,
# $OUT/run.log and $OUT/logs.tgz. GP_DRIVER=redis runs redis-driver.mjs (API node + worker over Redis) instead of
# driver.mjs (embedded server).
set -uo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO"
export GP_REPO=$REPO
export GP_WORK=${GP_WORK:-/tmp/gp}
export OUT=${OUT:-$GP_WORK/out}
mkdir -p "$GP_WORK/bin" "$GP_WORK/logs" "$OUT"
DRIVER=driver.mjs
[ "${GP_DRIVER:-}" = redis ] && DRIVER=redis-driver.mjs
say() { echo "[run.sh $(date +%T)] $*" | tee -a "$OUT/run.log"; }

# Node 22, shipped as one xz-compressed binary (this machine has none).
if [ "${GP_LOCAL:-0}" != 1 ]; then
  if [ ! -x "$GP_WORK/bin/node" ]; then
    xz -dc .vendor/node22.xz > "$GP_WORK/bin/node" && chmod +x "$GP_WORK/bin/node" || { say "cannot unpack node"; exit 1; }
  fi
  export PATH="$GP_WORK/bin:$PATH"
fi

# ComfyUI's missing pure-Python imports: torchsde (source tree) and stand-ins for av and trampoline.
export COMFYUI_DIR="$REPO/.vendor/ComfyUI"
export PYTHONPATH="$REPO/bench/.tmp/pool/stubs:$REPO/.vendor/torchsde-src${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1
if [ "${GP_LOCAL:-0}" = 1 ]; then
  # Rehearsal without a GPU: the fake ComfyUI stands in for python3 main.py.
  export GP_PYTHON="$REPO/bench/pool/local-python.sh"
  node "bench/.tmp/pool/$DRIVER" 2>&1 | tee -a "$OUT/run.log"
  exit "${PIPESTATUS[0]}"
fi
say "node $(node --version), $(python3 -c 'import torch, sys; print("python", sys.version.split()[0], "torch", torch.__version__)')"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee -a "$OUT/run.log"
# Byte-compiling ComfyUI and writing the random-weight SDXL Turbo checkpoint (same keys and shapes as
# sd_xl_turbo_1.0_fp16.safetensors) run side by side.
started=$(date +%s.%N)
python3 -m compileall -q -j 0 "$COMFYUI_DIR" > /dev/null 2>&1 &
compile_pid=$!
CKPT="$GP_WORK/models/checkpoints/sd_xl_turbo_1.0_fp16.safetensors"
if [ ! -s "$CKPT" ]; then
  mkdir -p "$(dirname "$CKPT")"
  python3 bench/gpu/make_ckpt.py "$CKPT.partial" >> "$OUT/run.log" 2>&1 && mv "$CKPT.partial" "$CKPT" || { say "make_ckpt failed"; tail -20 "$OUT/run.log"; exit 1; }
  say "checkpoint written in $(awk "BEGIN{print $(date +%s.%N) - $started}") s"
fi
wait "$compile_pid"
say "compileall and checkpoint done after $(awk "BEGIN{print $(date +%s.%N) - $started}") s"

node "bench/.tmp/pool/$DRIVER" 2>&1 | tee -a "$OUT/run.log"
status=${PIPESTATUS[0]}
nvidia-smi --query-gpu=memory.used --format=csv,noheader >> "$OUT/run.log" 2>&1
tar -czf "$OUT/logs.tgz" -C "$GP_WORK" logs 2>/dev/null
say "driver exit $status"
exit "$status"
