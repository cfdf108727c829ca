#!/bin/sh
# Local rehearsal only: stands in for python3 when GP_PYTHON points here. `main.py ARGS` (or genimage's launcher,
# `custom_nodes/genimage_output/launch.py ARGS`) starts the fake ComfyUI (bundled by build.mjs) with ARGS plus $FAKE_ARGS.
here=$(cd "$(dirname "$0")" && pwd)
case "$1" in main.py | custom_nodes/genimage_output/launch.py) shift ;; esac
exec node "$here/../.tmp/pool/fake-comfy.mjs" "$@" $FAKE_ARGS
