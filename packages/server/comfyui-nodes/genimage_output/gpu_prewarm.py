"""Runs the first prompt's kind of GPU work once, on a thread, while ComfyUI still imports its nodes (cold start).

The boot warm-up prompt runs the text encoders, the UNet and the VAE for the first time in the process. On an H200
that first run took 0.32 s, 0.62 s and 0.19 s where the same prompt later takes about 0.15 s in all (bench/gpu, ADR 21):
cuBLAS and cuDNN load their libraries and kernels and make their handles, and CUDA loads each kernel at its first
launch. That work is C++ below PyTorch's ops, which release the GIL, so it can overlap the ≈ 3 s of pure-Python imports
that follow `comfy.model_management` (transformers for the CLIP tokenizer, ComfyUI's nodes and ours).

`start_after(module_name)` starts the thread once that module has run: ComfyUI's device choice and PyTorch settings
(SDPA backends, the allocator from `PYTORCH_CUDA_ALLOC_CONF`) are in place by then. The thread runs SDXL's operations at
the shapes of a 512² batch-1 prompt (convolutions, GroupNorm, linear layers, attention; fp16 for the UNet and the text
encoders, bf16 for the VAE) on tensors of its own (filled with ones: no random generator advances), then frees them.
It changes no model and no setting, and any error ends it quietly: the prompt then pays for its first run itself, as
before. Skipped when ComfyUI's device is not CUDA.
"""

import importlib.abc
import importlib.machinery
import logging
import sys
import threading
import time


def _sdxl_ops(torch, device):
    """The operations of one SDXL Turbo prompt at 512², batch 1, with their dtypes and shapes."""
    F = torch.nn.functional
    fp16, bf16 = torch.float16, torch.bfloat16

    def conv(dtype, cin, cout, size, kernel=3):
        x = torch.ones(1, cin, size, size, device=device, dtype=dtype)
        w = torch.ones(cout, cin, kernel, kernel, device=device, dtype=dtype)
        y = F.conv2d(x, w, padding=kernel // 2)
        F.silu(F.group_norm(y, 32 if cout % 32 == 0 else 1))

    def linear(dtype, tokens, cin, cout):
        x = torch.ones(1, tokens, cin, device=device, dtype=dtype)
        F.gelu(F.linear(F.layer_norm(x, (cin,)), torch.ones(cout, cin, device=device, dtype=dtype)))

    def attention(dtype, heads, queries, keys, dim, mask=False):
        q = torch.ones(1, heads, queries, dim, device=device, dtype=dtype)
        k = torch.ones(1, heads, keys, dim, device=device, dtype=dtype)
        bias = torch.zeros(queries, keys, device=device, dtype=dtype) if mask else None
        F.scaled_dot_product_attention(q, k, k, attn_mask=bias)

    yield lambda: [linear(fp16, 77, width, width * 4) for width in (768, 1280)]  # CLIP-L and CLIP-G
    yield lambda: [attention(fp16, width // 64, 77, 77, 64, mask=True) for width in (768, 1280)]
    yield lambda: conv(fp16, 4, 320, 64)  # UNet: conv_in, then the three levels
    for channels, size in ((320, 64), (640, 32), (1280, 16)):
        yield lambda c=channels, s=size: (conv(fp16, c, c, s), conv(fp16, c, c, s, kernel=1))
        yield lambda c=channels, s=size: (linear(fp16, s * s, c, c), linear(fp16, s * s, c, c * 8))
        yield lambda c=channels, s=size: (attention(fp16, c // 64, s * s, s * s, 64), attention(fp16, c // 64, s * s, 77, 64))
    yield lambda: conv(bf16, 4, 512, 64)  # VAE decoder: 64² → 512²
    yield lambda: attention(bf16, 1, 64 * 64, 64 * 64, 512)
    for channels, size in ((512, 128), (512, 256), (256, 512), (128, 512)):
        yield lambda c=channels, s=size: conv(bf16, c, c, s)
    yield lambda: F.interpolate(torch.ones(1, 512, 64, 64, device=device, dtype=bf16), scale_factor=2.0, mode="nearest")


def _prewarm(model_management):
    try:
        device = model_management.get_torch_device()
        if getattr(device, "type", None) != "cuda":
            return
        import torch

        started = time.perf_counter()
        with torch.inference_mode():
            for op in _sdxl_ops(torch, device):
                op()
        torch.cuda.synchronize(device)
        logging.info(f"genimage: GPU kernels of the first prompt loaded in {(time.perf_counter() - started) * 1000:.0f} ms")
    except Exception as error:  # best effort: the first prompt loads what is missing
        logging.info(f"genimage: GPU prewarm stopped: {error}")


class _AfterImport(importlib.abc.MetaPathFinder):
    """Finds `name` as the path finder would, and calls `callback(module)` once its code has run."""

    def __init__(self, name, callback):
        self.name = name
        self.callback = callback

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)  # once
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        run = spec.loader.exec_module
        callback = self.callback

        def exec_module(module):
            run(module)
            callback(module)

        spec.loader.exec_module = exec_module
        return spec


def run_after_import(module_name, callback):
    """Calls `callback(module)` once, right after the first import of `module_name` has run the module's code."""
    sys.meta_path.insert(0, _AfterImport(module_name, callback))


def start_after(module_name="comfy.model_management"):
    """Starts the prewarm thread as soon as `module_name` has been imported (ComfyUI's device and settings are set)."""

    def begin(module):
        threading.Thread(target=_prewarm, args=(module,), name="genimage-gpu-prewarm", daemon=True).start()

    run_after_import(module_name, begin)
