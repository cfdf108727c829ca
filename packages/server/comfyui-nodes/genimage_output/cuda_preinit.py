"""Starts the CUDA driver on a thread while ComfyUI imports: `cuInit` and the device's primary context.

PyTorch does both on its first CUDA call, in the middle of ComfyUI's imports and holding the GIL; the imports after it
(transformers for the CLIP tokenizer, ComfyUI's nodes) are pure Python and wait. Called through ctypes, which releases
the GIL, the driver's start overlaps those imports instead, and PyTorch later finds the primary context made (it uses
that context itself). Only the driver is touched: no allocation, so ComfyUI's allocator setting
(`PYTORCH_CUDA_ALLOC_CONF`, set by main.py before PyTorch starts) still applies. Skipped when ComfyUI is told to pick
its device itself (`--cuda-device` and the like set `CUDA_VISIBLE_DEVICES` later, which the driver reads at `cuInit`)
and when there is no CUDA driver; any failure is left for PyTorch to report.
"""

import ctypes
import threading

# ComfyUI flags after which device 0 of the driver may not be the device ComfyUI uses.
DEVICE_FLAGS = ("--cpu", "--cuda-device", "--default-device", "--directml", "--oneapi-device-selector")


def _flag_given(argv):
    return any(arg.split("=", 1)[0] in DEVICE_FLAGS for arg in argv)


def _start_driver():
    try:
        cuda = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return
    device = ctypes.c_int()
    context = ctypes.c_void_p()
    if cuda.cuInit(0) == 0 and cuda.cuDeviceGet(ctypes.byref(device), 0) == 0:
        cuda.cuDevicePrimaryCtxRetain(ctypes.byref(context), device)


def start(argv):
    """Starts the driver on a daemon thread unless `argv` (ComfyUI's arguments) selects a device; returns the thread."""
    if _flag_given(argv):
        return None
    thread = threading.Thread(target=_start_driver, name="genimage-cuda-preinit", daemon=True)
    thread.start()
    return thread
