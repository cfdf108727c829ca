# Where the milliseconds of the default path go, measured piece by piece in one process under ComfyUI's own code:
# the tokenizers vs the text encoders (eager and as CUDA graphs), the VAE decoder with and without cuDNN autotuning,
# how far a batched UNet evaluation drifts from the same row run alone under different GEMM settings, and how long
# ComfyUI's imports take with torchvision imported lazily. Prints one JSON object (the `profile` phase of run.sh).
import json
import os
import statistics
import subprocess
import sys
import time

import torch

COMFY = os.environ.get("COMFYUI_DIR", "ComfyUI")
sys.path.insert(0, COMFY)
NODES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "packages", "server", "comfyui-nodes", "genimage_output")
out = {}


def boot(lazy):
    """Seconds to import ComfyUI's node modules in a fresh interpreter (the part of cold start before the server)."""
    code = (
        "import time,sys;t=time.perf_counter();"
        + ("sys.path.insert(0,%r);import lazy_imports;lazy_imports.install();" % NODES if lazy else "")
        + "import comfy.options;comfy.options.enable_args_parsing();import nodes;"
        "print(time.perf_counter()-t, 'torch._dynamo' in sys.modules, 'torchvision' in sys.modules)"
    )
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], cwd=COMFY, capture_output=True, text=True, timeout=120)
    wall = time.perf_counter() - started
    line = (done.stdout.strip().splitlines() or ["?"])[-1].split()
    return {"wall_s": round(wall, 2), "import_s": line[0], "dynamo_imported": line[1:2], "torchvision_imported": line[2:3],
            "stderr_tail": done.stderr[-400:] if done.returncode else ""}


ONLY_ENCODE = os.environ.get("GI_PIECES") == "encode"  # a quick run: the text-encoder rows only
if not ONLY_ENCODE:
    out["boot_eager_imports"] = boot(False)
    out["boot_lazy_torchvision"] = boot(True)

import comfy.model_management as mm  # noqa: E402
import comfy.sample  # noqa: E402
import comfy.samplers  # noqa: E402
import comfy.sd  # noqa: E402

sys.path.insert(0, NODES)
from cudagraph import GenimageCudaGraph, GenimageCudaGraphClip  # noqa: E402
from precision import GenimageClipFp16  # noqa: E402

torch.set_grad_enabled(False)
torch.inference_mode().__enter__()
started = time.perf_counter()
model, clip, vae, _ = comfy.sd.load_checkpoint_guess_config(sys.argv[1], output_vae=True, output_clip=True)
out["load_checkpoint_s"] = round(time.perf_counter() - started, 2)
out["tokenizer_classes"] = sorted({type(t).__name__ for t in vars(clip.tokenizer).values() if hasattr(t, "tokenize_with_weights")} |
                                  {type(getattr(t, "tokenizer", None)).__name__ for t in vars(clip.tokenizer).values()})
out["vae_dtype"] = str(vae.vae_dtype)


def wall(fn, n=20, warm=3, sync=True):
    for i in range(warm):
        fn(i)
    times = []
    for i in range(n):
        if sync:
            torch.cuda.synchronize()
        t = time.perf_counter()
        fn(warm + i)
        if sync:
            torch.cuda.synchronize()
        times.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(times), 2)


prompt = lambda i: f"a watercolor lighthouse at dawn number {i}, seagulls, soft light"  # noqa: E731
out["tokenize_ms"] = wall(lambda i: clip.tokenize(prompt(i)), sync=False)
tokens = [clip.tokenize(prompt(i)) for i in range(40)]
out["encode_eager_ms"] = wall(lambda i: clip.encode_from_tokens_scheduled(tokens[i]))
graphed_clip = GenimageCudaGraphClip().patch(clip, 16)[0]
out["encode_graphed_ms"] = wall(lambda i: graphed_clip.encode_from_tokens_scheduled(tokens[i]))
clip16 = GenimageClipFp16().patch(clip, "fp16")[0]
graphed_clip16 = GenimageCudaGraphClip().patch(clip16, 16)[0]
out["encode_fp16_eager_ms"] = wall(lambda i: clip16.encode_from_tokens_scheduled(tokens[i]))
out["encode_fp16_graphed_ms"] = wall(lambda i: graphed_clip16.encode_from_tokens_scheduled(tokens[i]))
ref32 = graphed_clip.encode_from_tokens_scheduled(tokens[0])[0]
got16 = graphed_clip16.encode_from_tokens_scheduled(tokens[0])[0]
out["encode_fp16_vs_fp32"] = {
    "cond_max_abs_diff": float((ref32[0] - got16[0]).abs().max()),
    "cond_max_abs": float(ref32[0].abs().max()),
    "pooled_max_abs_diff": float((ref32[1]["pooled_output"] - got16[1]["pooled_output"]).abs().max()),
    "dtype_out": str(got16[0].dtype),
}
out["tokenize_plus_encode_graphed_ms"] = wall(lambda i: graphed_clip.encode_from_tokens_scheduled(graphed_clip.tokenize(prompt(100 + i))))

if ONLY_ENCODE:
    print(json.dumps(out))
    sys.exit(0)

pos = graphed_clip.encode_from_tokens_scheduled(tokens[0])
neg = graphed_clip.encode_from_tokens_scheduled(clip.tokenize("text, watermark, blurry, low quality"))
sampler = comfy.samplers.sampler_object("euler_ancestral")
sigmas = comfy.samplers.calculate_sigmas(model.get_model_object("model_sampling"), "sgm_uniform", 10)[-2:]
graphed_model = GenimageCudaGraph().patch(model, 16)[0]


def sample(m, size, seeds):
    lat = torch.zeros([len(seeds), 4, size // 8, size // 8])
    noise = torch.cat([comfy.sample.prepare_noise(lat[:1], s) for s in seeds])
    return comfy.sample.sample_custom(m, noise, 1.0, sampler, sigmas, pos, neg, lat, disable_pbar=True, seed=seeds[0])


for size in (512, 1024):
    out[f"sample_graphed_{size}_ms"] = wall(lambda i: sample(graphed_model, size, [i]), n=10)
    latent = sample(graphed_model, size, [7])
    reference = vae.decode(latent)
    for benchmark in (False, True):
        torch.backends.cudnn.benchmark = benchmark
        key = f"vae_decode_{size}_cudnn_benchmark_{benchmark}"
        out[key + "_ms"] = wall(lambda i: vae.decode(latent), n=10)
        out[key + "_max_abs_diff_255"] = int(((vae.decode(latent) - reference).abs().max() * 255).round().item())
    torch.backends.cudnn.benchmark = False
    # The decoder's convolutions in NHWC (channels_last), the layout cuDNN's bf16 kernels use natively.
    vae.first_stage_model.to(memory_format=torch.channels_last)
    key = f"vae_decode_{size}_channels_last"
    out[key + "_ms"] = wall(lambda i: vae.decode(latent.to(memory_format=torch.channels_last)), n=10)
    out[key + "_max_abs_diff_255"] = int(((vae.decode(latent) - reference).abs().max() * 255).round().item())
    vae.first_stage_model.to(memory_format=torch.contiguous_format)

# Batch invariance: row i of a batch of 8 against the same seed run alone, decoded, in 0–255 levels.
variants = {
    "default": {},
    "no_reduced_precision_reduction": {"fp16": False, "bf16": False},
}
for name, flags in variants.items():
    saved = (torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction,
             torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction)
    if flags:
        torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction = flags["fp16"]
        torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction = flags["bf16"]
    result = {}
    for label, m in (("graphed", graphed_model), ("eager", model)):
        seeds = list(range(11, 19))
        batched = vae.decode(sample(m, 512, seeds))
        diffs = []
        for row, seed in enumerate(seeds):
            alone = vae.decode(sample(m, 512, [seed]))
            diffs.append(int(((batched[row] - alone[0]).abs().max() * 255).round().item()))
        latent_alone = sample(m, 512, [seeds[3]])
        latent_batched = sample(m, 512, seeds)[3:4]
        result[label] = {"decoded_max_abs_diff_per_row": diffs, "latent_max_abs_diff": float((latent_alone - latent_batched).abs().max())}
    result["batch8_graphed_ms"] = wall(lambda i: sample(graphed_model, 512, list(range(i, i + 8))), n=6)
    out[f"batch_invariance_{name}"] = result
    torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction, torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction = saved

# Where the Python time of a graphed text encode and a graphed 1-step sample goes (cProfile, top functions).
import cProfile  # noqa: E402
import io  # noqa: E402
import pstats  # noqa: E402


def top(fn, n=10, rows=18):
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(n):
        fn(i)
    torch.cuda.synchronize()
    profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(rows)
    return [line for line in text.getvalue().splitlines() if line.strip()][-rows - 1:]


out["cprofile_encode_graphed"] = top(lambda i: graphed_clip.encode_from_tokens_scheduled(graphed_clip.tokenize(prompt(500 + i))))
out["cprofile_sample_graphed_512"] = top(lambda i: sample(graphed_model, 512, [i]))


def kernels(fn, rows=14):
    """The GPU kernels of one call, by total CUDA time (torch.profiler), and the parameter dtypes/devices seen."""
    from torch.profiler import ProfilerActivity, profile

    fn(0)
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        fn(1)
        torch.cuda.synchronize()
    return prof.key_averages().table(sort_by="cuda_time_total", row_limit=rows, max_name_column_width=60).splitlines()


out["kernels_encode_eager"] = kernels(lambda i: clip.encode_from_tokens_scheduled(clip.tokenize(prompt(900 + i))))
out["kernels_sample_512"] = kernels(lambda i: sample(model, 512, [i]))
out["text_encoder_params"] = sorted({f"{p.dtype}@{p.device}" for p in clip.cond_stage_model.parameters()})
out["text_encoder_patcher"] = {"load_device": str(clip.patcher.load_device), "offload_device": str(clip.patcher.offload_device)}
out["unet_dtype"] = str(model.model.get_dtype())
print(json.dumps(out))
