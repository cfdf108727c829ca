# The VAE decoder, the largest piece of the default path (27 ms of a 70 ms 512² JPEG request on the H200), taken
# apart in one process under ComfyUI's own code: ComfyUI's decode call vs the bare decoder, where the GPU time goes
# (torch.profiler, by kernel), bf16 vs fp16, a CUDA graph of the decoder, a batch of 8, the shipped VAE nodes
# (vae_decode.py: GPU-wide GroupNorm, CUDA graph) against the native decoder, and torch.compile (inductor) with its
# compile time and its pixel difference. Prints one JSON object.
#
#   python3 bench/gpu/vae.py CHECKPOINT      (COMFYUI_DIR: the ComfyUI tree; GI_VAE_COMPILE=0 skips torch.compile)
import json
import os
import statistics
import sys
import time
import types

import torch

sys.path.insert(0, os.environ.get("COMFYUI_DIR", "ComfyUI"))
NODES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "packages", "server", "comfyui-nodes", "genimage_output")
import comfy.model_management as mm  # noqa: E402
import comfy.sd  # noqa: E402

torch.set_grad_enabled(False)
torch.inference_mode().__enter__()
out = {"torch": torch.__version__}
started = time.perf_counter()
_, _, vae, _ = comfy.sd.load_checkpoint_guess_config(sys.argv[1], output_vae=True, output_clip=False)
out["load_checkpoint_s"] = round(time.perf_counter() - started, 2)
out["vae_dtype"] = str(vae.vae_dtype)
generator = torch.Generator().manual_seed(5)
latents = {size: torch.randn([1, 4, size // 8, size // 8], generator=generator) for size in (512, 1024)}
reference = {size: vae.decode(latent) for size, latent in latents.items()}
mm.load_models_gpu([vae.patcher])
model = vae.first_stage_model
device = next(model.parameters()).device
out["vae_device"] = str(device)
out["attention"] = getattr(getattr(model.decoder.mid, "attn_1", None), "optimized_attention", None).__name__ if hasattr(model.decoder.mid, "attn_1") else None


def wall(fn, n=10, warm=2):
    """Median milliseconds of fn(), synchronised."""
    for _ in range(warm):
        fn()
    times = []
    for _ in range(n):
        torch.cuda.synchronize()
        t = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(times), 2)


def levels(a, b):
    """Largest difference of two decoded images (ComfyUI's 0–1 floats) in 0–255 levels."""
    return int(((a.float().cpu() - b.float().cpu()).abs().max() * 255).round().item())


def pixels(decoded):
    """The bare decoder's output as ComfyUI's decode returns it (NHWC, 0–1)."""
    return vae.process_output(decoded.float()).movedim(1, -1)


def bare(size, dtype=None, batch=1):
    x = latents[size].repeat(batch, 1, 1, 1).to(device=device, dtype=dtype or vae.vae_dtype)
    return lambda: model.decode(x)


for size in (512, 1024):
    out[f"comfy_decode_{size}_ms"] = wall(lambda: vae.decode(latents[size]))
    out[f"bare_decode_{size}_ms"] = wall(bare(size))
    out[f"bare_decode_{size}_max_abs_diff_255"] = levels(pixels(bare(size)()), reference[size])

# Where the GPU time of one 512² decode goes.
with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU, torch.profiler.ProfilerActivity.CUDA]) as prof:
    bare(512)()
    torch.cuda.synchronize()
rows = sorted(prof.key_averages(), key=lambda e: -getattr(e, "device_time_total", getattr(e, "cuda_time_total", 0)))
out["profile_512_top"] = [
    {"name": e.key[:90], "calls": e.count, "gpu_ms": round(getattr(e, "device_time_total", getattr(e, "cuda_time_total", 0)) / 1000, 2)}
    for e in rows[:25]
]

# fp16 instead of bf16 (the same kernels families; SDXL's VAE overflows fp16 with real weights, so this is for timing).
model.to(torch.float16)
for size in (512, 1024):
    out[f"bare_decode_{size}_fp16_ms"] = wall(bare(size, torch.float16))
model.to(vae.vae_dtype)

# A batch of 8 at 512²: per-image cost when the batcher sends 8.
out["bare_decode_512_batch8_ms"] = wall(bare(512, batch=8), n=5)

# The decoder as a CUDA graph: what launch overhead is worth.
for size in (512, 1024):
    run = bare(size)
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(2):
            run()
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        graphed_out = run()
    out[f"graphed_decode_{size}_ms"] = wall(graph.replay)
    out[f"graphed_decode_{size}_max_abs_diff_255"] = levels(pixels(graphed_out), reference[size])
    del graph, graphed_out
    torch.cuda.empty_cache()

# cuDNN in channels_last for the whole decoder, with autotuning.
torch.backends.cudnn.benchmark = True
model.to(memory_format=torch.channels_last)
for size in (512, 1024):
    x = latents[size].to(device=device, dtype=vae.vae_dtype).contiguous(memory_format=torch.channels_last)
    out[f"bare_decode_{size}_channels_last_benchmark_ms"] = wall(lambda: model.decode(x))
model.to(memory_format=torch.contiguous_format)
torch.backends.cudnn.benchmark = False

# The shipped nodes (comfyui-nodes/genimage_output/vae_decode.py), as the default workflow chains them: the GPU-wide
# GroupNorm (both paths), then the CUDA graph with images left on the GPU (fast path). Imported as a package without
# its __init__ (which needs ComfyUI's server).
package = types.ModuleType("genimage_output")
package.__path__ = [NODES]
sys.modules["genimage_output"] = package
from genimage_output.vae_decode import GenimageCudaGraphVae, GenimageVaeGroupNorm  # noqa: E402

normed = GenimageVaeGroupNorm().patch(vae)[0]
graphed = GenimageCudaGraphVae().patch(normed)[0]
for size in (512, 1024):
    latent = latents[size]
    norm_out = normed.decode(latent)
    out[f"node_groupnorm_{size}_ms"] = wall(lambda: normed.decode(latent))
    out[f"node_groupnorm_{size}_vs_native_max_abs_diff_255"] = levels(norm_out, reference[size])
    out[f"node_groupnorm_{size}_vs_native_mean_abs_diff_255"] = round(float((norm_out.float().cpu() - reference[size].float().cpu()).abs().mean() * 255), 3)
    out[f"node_graph_{size}_ms"] = wall(lambda: graphed.decode(latent))
    out[f"node_graph_{size}_vs_groupnorm_max_abs_diff_255"] = levels(graphed.decode(latent), norm_out)
    out[f"node_graph_{size}_output_device"] = str(graphed.decode(latent).device)
for batch in (2, 4):
    many = latents[512].repeat(batch, 1, 1, 1)
    out[f"bare_decode_512_batch{batch}_ms"] = wall(bare(512, batch=batch), n=5)
    out[f"node_graph_512_batch{batch}_ms"] = wall(lambda: graphed.decode(many), n=5)
batch8 = latents[512].repeat(8, 1, 1, 1)
out["node_groupnorm_512_batch8_ms"] = wall(lambda: normed.decode(batch8), n=5)
out["node_graph_512_batch8_ms"] = wall(lambda: graphed.decode(batch8), n=5)
out["node_graph_512_batch8_vs_groupnorm_max_abs_diff_255"] = levels(graphed.decode(batch8), normed.decode(batch8))
# The plain VAE again after the patched one ran: ComfyUI unpatches when another patcher loads, so the shared decoder
# must give the native pixels again.
out["native_after_nodes_max_abs_diff_255"] = levels(vae.decode(latents[512]), reference[512])

# torch.compile (inductor, default mode): compile seconds per shape, then the steady decode.
if os.environ.get("GI_VAE_COMPILE", "1") == "1":
    decoder = model.decoder
    for mode in ("default", "max-autotune-no-cudagraphs"):
        if mode != "default" and os.environ.get("GI_VAE_AUTOTUNE", "0") != "1":
            continue
        compiled = torch.compile(decoder, mode=None if mode == "default" else mode, dynamic=False)
        model.decoder = compiled
        try:
            for size in (512, 1024):
                run = bare(size)
                t = time.perf_counter()
                first = run()
                torch.cuda.synchronize()
                out[f"compile_{mode}_{size}_first_call_s"] = round(time.perf_counter() - t, 1)
                out[f"compile_{mode}_{size}_ms"] = wall(run)
                out[f"compile_{mode}_{size}_max_abs_diff_255"] = levels(pixels(first), reference[size])
        except Exception as error:  # noqa: BLE001 — a failed compile is a result too
            out[f"compile_{mode}_error"] = repr(error)[-600:]
        finally:
            model.decoder = decoder
        torch._dynamo.reset()

out["memory_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 1)
print(json.dumps(out))
