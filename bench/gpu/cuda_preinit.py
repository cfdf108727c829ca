"""Does starting the CUDA driver on a thread (cuda_preinit.py) shorten a boot? Side by side, fresh processes.

Each run is a new python3 doing what ComfyUI's boot does in that order: import torch, start CUDA (`torch.cuda.init()`
and one allocation), import transformers' CLIP tokenizer, with and without `cuda_preinit.start([])` first; variants
alternate. Also times the driver alone (cuInit + primary context through ctypes). Prints one JSON line.

  python3 bench/gpu/cuda_preinit.py [rounds=5]
"""

import json
import os
import statistics
import subprocess
import sys
import time

NODES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "packages", "server", "comfyui-nodes", "genimage_output")

BOOT = """
import sys, time
t0 = time.perf_counter()
if {preinit}:
    sys.path.insert(0, {nodes!r})
    import cuda_preinit
    cuda_preinit.start([])
import torch
t_torch = time.perf_counter()
torch.cuda.init()
torch.empty(1, device="cuda")
t_cuda = time.perf_counter()
from transformers import CLIPTokenizer
t_end = time.perf_counter()
print(round((t_torch - t0) * 1000), round((t_cuda - t_torch) * 1000), round((t_end - t_cuda) * 1000), round((t_end - t0) * 1000))
"""

DRIVER = """
import ctypes, time
t0 = time.perf_counter()
cuda = ctypes.CDLL("libcuda.so.1")
assert cuda.cuInit(0) == 0
t1 = time.perf_counter()
device, context = ctypes.c_int(), ctypes.c_void_p()
cuda.cuDeviceGet(ctypes.byref(device), 0)
cuda.cuDevicePrimaryCtxRetain(ctypes.byref(context), device)
t2 = time.perf_counter()
print(round((t1 - t0) * 1000), round((t2 - t1) * 1000))
"""


def run(code):
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return [int(x) for x in out.stdout.split()]


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    runs = {"plain": [], "preinit": []}
    driver = []
    for _ in range(rounds):
        for name in runs:
            runs[name].append(run(BOOT.format(preinit=name == "preinit", nodes=NODES)))
        driver.append(run(DRIVER))
    medians = lambda rows: [statistics.median(col) for col in zip(*rows)]  # noqa: E731
    result = {
        "columns_ms": ["import torch", "cuda init + first allocation", "import CLIPTokenizer", "total"],
        "plain_ms": medians(runs["plain"]),
        "preinit_ms": medians(runs["preinit"]),
        "driver_alone_ms": dict(zip(["cuInit", "primary context"], medians(driver))),
        "runs": runs,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
