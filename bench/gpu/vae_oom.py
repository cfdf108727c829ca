# GenimageCudaGraphVae on a real GPU, in one process under ComfyUI's own code, where the server's runs do not go:
# - a batch of 7 decodes in power-of-two slices (4 + 2 + 1) with three graphs, against ComfyUI's decode of the same
#   batch through the GPU-wide GroupNorm alone (the plain path);
# - out of memory: with the process held to a memory budget that a 2048² decode does not fit, the graphed decode must
#   give up its graphs and hand over to ComfyUI's own decode (which retries tiled), with the same pixels as ComfyUI's
#   decode under the same budget; once the budget is lifted, the graphs capture and replay again.
# Prints one JSON object.
#
#   python3 bench/gpu/vae_oom.py CHECKPOINT      (COMFYUI_DIR: the ComfyUI tree)
import json
import os
import sys
import time
import types

os.environ.setdefault("PYTORCH_CUDA_ALLOC_CONF", "backend:cudaMallocAsync")  # the allocator ComfyUI runs with
import torch  # noqa: E402

sys.path.insert(0, os.environ.get("COMFYUI_DIR", "ComfyUI"))
NODES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "packages", "server", "comfyui-nodes", "genimage_output")
import comfy.model_management as mm  # noqa: E402
import comfy.sd  # noqa: E402

# The shipped nodes, imported as a package without its __init__ (which needs ComfyUI's server).
package = types.ModuleType("genimage_output")
package.__path__ = [NODES]
sys.modules["genimage_output"] = package
from genimage_output.vae_decode import GenimageCudaGraphVae, GenimageVaeGroupNorm  # noqa: E402

torch.set_grad_enabled(False)
torch.inference_mode().__enter__()
out = {"torch": torch.__version__, "allocator": torch.cuda.get_allocator_backend()}
_, _, vae, _ = comfy.sd.load_checkpoint_guess_config(sys.argv[1], output_vae=True, output_clip=False)
normed = GenimageVaeGroupNorm().patch(vae)[0]
graphed = GenimageCudaGraphVae().patch(normed)[0]
runner = graphed.decode.runner
generator = torch.Generator().manual_seed(7)


def levels(a, b):
    """Largest difference of two decoded images (ComfyUI's 0–1 floats) in 0–255 levels."""
    return int(((a.float().cpu() - b.float().cpu()).abs().max() * 255).round().item())


def timed(fn):
    torch.cuda.synchronize()
    started = time.perf_counter()
    result = fn()
    torch.cuda.synchronize()
    return result, round((time.perf_counter() - started) * 1000, 1)


# 1. A batch of 7 at 512²: three slices, three graphs.
seven = torch.randn([7, 4, 64, 64], generator=generator)
plain_seven = normed.decode(seven)
captures = runner.captures
graphed_seven = graphed.decode(seven)
out["batch7"] = {
    "graphs_captured": runner.captures - captures,
    "shapes": [list(key[0][1]) for key in runner.graphs],
    "vs_plain_max_abs_diff_255": levels(graphed_seven, plain_seven),
    "replay_vs_first_max_abs_diff_255": levels(graphed.decode(seven), graphed_seven),
}

# 2. Out of memory: a budget of what the process holds now plus 2 GiB, and a 2048² latent.
big = torch.randn([1, 4, 256, 256], generator=generator)
mm.load_models_gpu([graphed.patcher])
runner.graphs.clear()
mm.soft_empty_cache()
torch.cuda.synchronize()
total = torch.cuda.get_device_properties(0).total_memory
budget = torch.cuda.memory_reserved() + (2 << 30)
torch.cuda.set_per_process_memory_fraction(budget / total, 0)
out["oom_budget_gib"] = round(budget / (1 << 30), 2)
reference, reference_ms = timed(lambda: normed.decode(big))
failed_before = set(runner.failed)
try:
    fallback, fallback_ms = timed(lambda: graphed.decode(big))
    out["oom"] = {
        "graphed_decode_raised": False,
        "graph_given_up": len(runner.failed - failed_before) > 0,
        "graphs_kept": len(runner.graphs),
        "vs_comfyui_decode_max_abs_diff_255": levels(fallback, reference),
        "comfyui_decode_ms": reference_ms,
        "graphed_decode_ms": fallback_ms,
        "output_shape": list(fallback.shape),
    }
except Exception as error:  # noqa: BLE001 — the point is to see it
    out["oom"] = {"graphed_decode_raised": True, "error": f"{type(error).__name__}: {error}"[:500]}

# 3. The budget lifted: 512² captures and replays again, with the plain path's pixels.
torch.cuda.set_per_process_memory_fraction(1.0, 0)
one = torch.randn([1, 4, 64, 64], generator=generator)
captures = runner.captures
again = graphed.decode(one)
out["after"] = {
    "graphs_captured": runner.captures - captures,
    "vs_plain_max_abs_diff_255": levels(again, normed.decode(one)),
    "output_device": str(again.device),
}
print(json.dumps(out))
