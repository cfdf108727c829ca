"""Starts ComfyUI's `main.py` with torchvision and scipy imported lazily (lazy_imports.py), the CUDA driver starting
beside its imports (cuda_preinit.py) and the first prompt's GPU kernels loaded beside them too (gpu_prewarm.py):
`python3 launch.py <main.py args>`.

@genimage/server runs it instead of `main.py` when `LAZY_IMPORTS` is on (the default); ComfyUI itself is unchanged.
It runs from `<ComfyUI>/custom_nodes/genimage_output/`, so ComfyUI's folder is two levels up.
"""

import os
import runpy
import sys

here = os.path.dirname(os.path.abspath(__file__))
comfy_dir = os.path.dirname(os.path.dirname(here))
sys.path.insert(0, here)
import cuda_preinit  # noqa: E402
import gpu_prewarm  # noqa: E402
import lazy_imports  # noqa: E402

sys.path.remove(here)
cuda_preinit.start(sys.argv[1:])
lazy_imports.install()
gpu_prewarm.start_after("comfy.model_management")
sys.path.insert(0, comfy_dir)
sys.argv[0] = os.path.join(comfy_dir, "main.py")
runpy.run_path(sys.argv[0], run_name="__main__")
