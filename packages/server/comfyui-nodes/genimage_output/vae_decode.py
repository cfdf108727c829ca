"""The VAE decoder, the largest piece of a 1-step SDXL Turbo request: two nodes (VAE → VAE) in the shipped workflows.

Measured on an H200 (bench/gpu/vae.py, torch.profiler, one 512² decode in bf16): 22.6 ms, of which 11.8 ms in
PyTorch's GroupNorm. Its statistics kernel (`RowwiseMomentsCUDAKernel`) gives each (image, group) pair one thread
block: 32 blocks for a batch of one, on a GPU with 132 multiprocessors, each reading up to 4 M values.

- GenimageVaeGroupNorm: for batches of fewer than 128 (image, group) rows (a batch of 1 to 3 images), the decoder's
  GroupNorm layers compute their statistics with `torch.var_mean` over a float copy (a reduction PyTorch spreads over
  the whole GPU) and normalise with one inference-mode `batch_norm` kernel per layer (input in bf16/fp16, statistics
  and affine parameters in fp32); larger batches keep PyTorch's kernel. It is the same arithmetic in a different
  order: outputs differ from PyTorch's GroupNorm by rounding. Like GenimageClipFp16 it is a precision choice kept on
  the plain path (FAST_PATH=0), so the plain and fast paths give the same pixels.
- GenimageCudaGraphVae: the decoder replayed as a CUDA graph per latent shape, a batch one image at a time (exact
  batches) or in power-of-two slices (launch overhead gone; same kernels),
  and the decoded images left on the GPU, where GenimageOutput's JPEG encoder (nvjpeg) reads them and the PNG path
  copies them as uint8 (ComfyUI's own decode copies float pixels to the CPU and clamps them there: 16 ms at 1024²).
  A batch decoded in several slices also queues each slice's uint8 copy to the CPU right after it (encode.HostCopies),
  so its first PNGs are encoded while the GPU decodes the rest.
  A fast-path class: FAST_PATH=0 bypasses it.
"""

import copy

import comfy.model_management as mm
import torch

from .cudagraph import GraphRunner, tensor_signature, weights_fingerprint
from .encode import HostCopies
from .exact import exact_batches

HALF = (torch.bfloat16, torch.float16)
# From this many (image, group) rows PyTorch's own kernel has enough thread blocks: a batch of 8 (256 rows) decodes
# in 86.7 ms natively and 100.5 ms through var_mean + batch_norm, whose float copy then costs more than it saves.
NATIVE_FROM_ROWS = 128


class FastGroupNorm:
    """Replacement `forward` of one GroupNorm: statistics by `var_mean`, normalisation by one `batch_norm` kernel."""

    def __init__(self, module):
        self.module = module
        self.original = type(module).forward

    def __call__(self, x):
        m = self.module
        cast = getattr(m, "comfy_cast_weights", False) or len(getattr(m, "weight_function", ())) > 0
        if cast or not (x.is_cuda and x.dim() == 4 and x.dtype in HALF and m.affine) or m.weight.dtype not in HALF + (torch.float32,):
            return self.original(m, x)
        n, c, h, w = x.shape
        g = m.num_groups
        if n * g >= NATIVE_FROM_ROWS:
            return self.original(m, x)
        var, mean = torch.var_mean(x.reshape(n * g, -1).float(), dim=1, correction=0)
        per_channel = c // g
        return torch.nn.functional.batch_norm(
            x.reshape(1, n * c, h, w),
            mean.repeat_interleave(per_channel),
            var.repeat_interleave(per_channel),
            m.weight.float().repeat(n),
            m.bias.float().repeat(n),
            training=False,
            eps=m.eps,
        ).reshape(n, c, h, w)


class GenimageVaeGroupNorm:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"vae": ("VAE", {})}}

    RETURN_TYPES = ("VAE",)
    FUNCTION = "patch"
    CATEGORY = "latent"
    DESCRIPTION = "Runs the VAE decoder's GroupNorm layers as a GPU-wide reduction and one fused kernel (same math, other rounding)."

    def patch(self, vae):
        patched = copy.copy(vae)
        patched.patcher = vae.patcher.clone()
        decoder = getattr(vae.first_stage_model, "decoder", None)
        if decoder is not None:
            for path, module in decoder.named_modules():
                if isinstance(module, torch.nn.GroupNorm):
                    patched.patcher.add_object_patch(f"decoder.{path}.forward", FastGroupNorm(module))
        return (patched,)


def power_of_two_chunks(count):
    """(start, size) slices of a batch of `count`, largest first, each a power of two: 7 → (0, 4), (4, 2), (6, 1)."""
    chunks = []
    start = 0
    size = 1 << (count.bit_length() - 1) if count > 0 else 0
    while size:
        if count - start >= size:
            chunks.append((start, size))
            start += size
        size >>= 1
    return chunks


class GraphedDecode:
    """Replacement `decode` of one VAE copy: the decoder as CUDA graphs, images kept on the GPU.

    With exact batches (exact.py, the default) a batch decodes one image at a time with the graph of a single latent:
    cuDNN picks convolution kernels by batch size, so a batch rounds differently from the same latent alone. Without,
    it decodes in power-of-two slices (7 images: 4, 2 and 1), so the graphs of the batch buckets the warm-up captures
    (1, 2, 4, 8 per size) serve every batch size instead of capturing one per batch size while requests wait.
    """

    def __init__(self, vae, max_graphs):
        self.vae = vae
        self.runner = GraphRunner("GenimageCudaGraphVae", max_graphs)

    def __call__(self, samples_in, vae_options={}):  # noqa: B006 — ComfyUI's own signature
        vae = self.vae
        plain = lambda: type(vae).decode(vae, samples_in, vae_options)  # noqa: E731
        if vae_options or samples_in.dim() != 4 or getattr(vae, "latent_dim", 2) != 2:
            return plain()
        try:
            memory = vae.memory_used_decode(samples_in.shape, vae.vae_dtype)
            mm.load_models_gpu([vae.patcher], memory_required=memory, force_full_load=vae.disable_offload)
            device = vae.device
            if device.type != "cuda":
                return plain()
            model = vae.first_stage_model
            latents = samples_in.to(device=device, dtype=vae.vae_dtype)
            fingerprint = weights_fingerprint(model)
            parts = []
            count = latents.shape[0]
            slices = [(index, 1) for index in range(count)] if exact_batches() else power_of_two_chunks(count)
            copies = HostCopies() if len(slices) > 1 else None
            for start, size in slices:
                inputs = {"x": latents[start : start + size]}
                decoded = self.runner.run(
                    tensor_signature(inputs), fingerprint, lambda static: model.decode(static["x"]), inputs, device,
                    lambda x=inputs["x"]: model.decode(x),
                )
                parts.append(vae.process_output(decoded.float()).movedim(1, -1))
                if copies is not None:
                    copies.add(start, parts[-1])
            if copies is None:
                return parts[0]
            return copies.attach(torch.cat(parts))
        except mm.OOM_EXCEPTION:
            # ComfyUI's decode splits the batch, or tiles, when memory is short; the graph pool is given back first.
            self.runner.graphs.clear()
            mm.soft_empty_cache()
            return plain()


class GenimageCudaGraphVae:
    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "vae": ("VAE", {}),
                "max_graphs": ("INT", {"default": 16, "min": 1, "max": 64}),
            }
        }

    RETURN_TYPES = ("VAE",)
    FUNCTION = "patch"
    CATEGORY = "latent"
    DESCRIPTION = "Replays the VAE decoder as a CUDA graph per latent shape and keeps the images on the GPU (same pixels)."

    def patch(self, vae, max_graphs=16):
        patched = copy.copy(vae)
        patched.decode = GraphedDecode(patched, max_graphs)
        return (patched,)
