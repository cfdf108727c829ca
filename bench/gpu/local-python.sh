#!/bin/sh
# Local rehearsal only: stands in for python3 when GI_PYTHON points here. `main.py ARGS` (or genimage's launcher,
# `custom_nodes/genimage_output/launch.py ARGS`) starts the fake ComfyUI (bundled by build.mjs) with ARGS plus
# $FAKE_ARGS; anything else (floor.py, pixels.py) goes to the real python3.
here=$(cd "$(dirname "$0")" && pwd)
if [ "$1" = "main.py" ] || [ "$1" = "custom_nodes/genimage_output/launch.py" ]; then
  shift
  exec node "$here/../.tmp/gpu/fake-comfy.mjs" "$@" $FAKE_ARGS
fi
exec python3 "$@"
