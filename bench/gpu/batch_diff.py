# Where a batched SDXL UNet evaluation stops matching the same sample evaluated alone, on a real GPU under ComfyUI's
# own model code: one UNet call on a batch of 1 and on a batch of 8 whose first row is the same sample, every module's
# output compared for that row (in execution order), then the same comparison with some layer types run one row at
# a time (batch-independent by construction) to see which types the difference comes from. Prints one JSON object.
#
#   python3 bench/gpu/batch_diff.py CHECKPOINT      (COMFYUI_DIR: the ComfyUI tree)
import json
import os
import sys

import torch

sys.path.insert(0, os.environ.get("COMFYUI_DIR", "ComfyUI"))
import comfy.ldm.modules.attention as attention  # noqa: E402
import comfy.model_management as mm  # noqa: E402
import comfy.sd  # noqa: E402

torch.set_grad_enabled(False)
torch.inference_mode().__enter__()
patcher, _, _, _ = comfy.sd.load_checkpoint_guess_config(sys.argv[1], output_vae=False, output_clip=False)
mm.load_models_gpu([patcher])
unet = patcher.model.diffusion_model
dtype = patcher.model.get_dtype()
device = mm.get_torch_device()
out = {"torch": torch.__version__, "dtype": str(dtype)}

BATCH = 8


def sample(n):
    """Row 0 is the same sample in every batch; the other rows are other samples."""

    def draw(seed, rows):
        gen = torch.Generator().manual_seed(seed)
        return (
            torch.randn([rows, 4, 64, 64], generator=gen),
            torch.randn([rows, 77, 2048], generator=gen),
            torch.randn([rows, 2816], generator=gen),
        )

    first = draw(11, 1)
    others = draw(12, n - 1) if n > 1 else None
    x, context, y = (
        (torch.cat([a, b]) if others else a).to(device, dtype) for a, b in zip(first, others or first)
    )
    t = torch.full([n], 999.0, device=device)
    return x, t, context, y


def first_rows(a, b):
    """Row 0 of a batch-1 and a batch-n run of the same sample: largest absolute difference."""
    return float((a[:1].float() - b[:1].float()).abs().max())


def run(n):
    x, t, context, y = sample(n)
    return unet(x, timesteps=t, context=context, y=y, transformer_options={})


# 1. Every module's output, row 0, batch 1 against batch 8, in the order the modules run.
names = {module: name for name, module in unet.named_modules()}
passes = [{}, {}]
order = []


def hook(module, _inputs, output):
    if not torch.is_tensor(output):
        return
    name = names[module]
    seen = passes[phase]
    if name in seen:
        return
    if phase == 0:
        order.append(name)
    seen[name] = output[:1].detach().float().clone()


handles = [module.register_forward_hook(hook) for module in unet.modules() if module is not unet]
phase = 0
alone = run(1)
phase = 1
batched = run(BATCH)
for handle in handles:
    handle.remove()
divergent = []
by_type = {}
for name in order:
    first, second = passes[0][name], passes[1].get(name)
    if second is None or first.shape != second.shape:
        continue
    diff = float((first - second).abs().max())
    module_type = type(unet.get_submodule(name)).__name__
    by_type[module_type] = max(by_type.get(module_type, 0.0), diff)
    if diff and len(divergent) < 20:
        divergent.append({"module": name, "type": module_type, "max_abs_diff": diff})
out["unet_out_batch1_vs_batch8_max_abs_diff"] = first_rows(alone, batched)
out["first_divergent_modules"] = divergent
out["max_abs_diff_by_module_type"] = by_type


# 2. Layer types run one row at a time: each then sees the same shapes as in a batch of 1.
def rowwise(cls, split_kwargs=()):
    original = cls.forward

    def forward(self, x, *args, **kwargs):
        if not torch.is_tensor(x) or x.dim() < 2 or x.shape[0] <= 1:
            return original(self, x, *args, **kwargs)
        n = x.shape[0]
        rows = []
        for i in range(n):
            row_kwargs = {
                k: (v[i : i + 1] if k in split_kwargs and torch.is_tensor(v) and v.shape[0] == n else v)
                for k, v in kwargs.items()
            }
            rows.append(original(self, x[i : i + 1], *args, **row_kwargs))
        return torch.cat(rows)

    cls.forward = forward
    return lambda: setattr(cls, "forward", original)


def classes(base):
    return {type(m) for m in unet.modules() if isinstance(m, base)}


experiments = {}
undo = []
steps = [
    ("linear", [(c, ()) for c in classes(torch.nn.Linear)]),
    ("conv", [(c, ()) for c in classes(torch.nn.Conv2d)]),
    ("attention", [(attention.CrossAttention, ("context", "value"))]),
    ("norm", [(c, ()) for c in classes(torch.nn.GroupNorm) | classes(torch.nn.LayerNorm)]),
]
done = []
for label, patches in steps:
    for cls, split in patches:
        undo.append(rowwise(cls, split))
    done.append(label)
    experiments["+".join(done) + " one row at a time"] = first_rows(alone, run(BATCH))
for restore in reversed(undo):
    restore()
out["experiments"] = experiments
out["unet_out_again_batch1_vs_batch8"] = first_rows(alone, run(BATCH))
print(json.dumps(out))
