"""SDXL's text encoders in fp16, as the model card's diffusers pipeline runs them (ComfyUI computes them in fp32).

ComfyUI keeps the CLIP-L and CLIP-G weights in fp16 but runs their activations in fp32 (`sd1_clip.py` passes
`dtype=torch.float32`), so every call casts ≈ 800 M weights to fp32 and multiplies without tensor cores: 17.4 ms of
GPU time per prompt on an H200, 8.8 ms of it fp32 GEMMs and 4 ms weight casts (bench/gpu pieces.py, torch.profiler).
GenimageClipFp16 (CLIP → CLIP) patches each `CLIPTextModel.forward` to take its embeddings in fp16 and run in fp16,
then hands fp32 outputs back, so everything after the text encoders is unchanged. It sits before the CUDA-graph node
in the shipped workflows and stays in their plain path (it is a precision choice, not a fast-path shortcut), so the
plain and fast paths still give the same pixels; images differ slightly from ComfyUI's fp32 text encoding.
"""

import torch

DTYPES = {"fp16": torch.float16, "bf16": torch.bfloat16}


class HalfTextForward:
    """Replacement `forward` of one `CLIPTextModel`: runs it in `dtype`, returns its tensors in fp32."""

    def __init__(self, module, dtype):
        self.module = module
        self.original = type(module).forward
        self.dtype = dtype

    def __call__(self, *args, **kwargs):
        embeds = kwargs.get("embeds")
        if torch.is_tensor(embeds):
            kwargs["embeds"] = embeds.to(self.dtype)
        kwargs["dtype"] = self.dtype
        out = self.original(self.module, *args, **kwargs)
        return tuple(o.float() if torch.is_tensor(o) and o.is_floating_point() else o for o in out)


class GenimageClipFp16:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"clip": ("CLIP", {}), "precision": (list(DTYPES), {"default": "fp16"})}}

    RETURN_TYPES = ("CLIP",)
    FUNCTION = "patch"
    CATEGORY = "advanced/conditioning"
    DESCRIPTION = "Runs the CLIP text encoders in fp16 (or bf16) instead of ComfyUI's fp32; outputs stay fp32."

    def patch(self, clip, precision="fp16"):
        patched = clip.clone()
        for path, module in patched.cond_stage_model.named_modules():
            if type(module).__name__ == "CLIPTextModel":
                patched.patcher.add_object_patch(f"{path}.forward", HalfTextForward(module, DTYPES[precision]))
        return (patched,)
