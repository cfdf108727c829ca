#!/bin/sh
# Local rehearsal only: stands in for python3 when GP_PYTHON points here. `main.py ARGS` starts the fake ComfyUI
# (bundled by build.mjs) with ARGS plus $FAKE_ARGS.
here=$(cd "$(dirname "$0")" && pwd)
[ "$1" = "main.py" ] && shift
exec node "$here/../.tmp/pool/fake-comfy.mjs" "$@" $FAKE_ARGS
