# Copied from shared/gpu/make_ckpt.py (the random-weight SDXL checkpoint; images are noise, timings are real).
# Writes an SDXL-architecture checkpoint with random weights (same shapes/keys as sd_xl_turbo_1.0_fp16)
import sys, time, torch
import os
sys.path.insert(0, os.environ.get("COMFYUI_DIR", "ComfyUI"))
import comfy.model_detection as md, comfy.sdxl_clip, comfy.ldm.models.autoencoder as ae
from safetensors.torch import save_file
t0 = time.time()
unet_config = {'use_checkpoint': False, 'image_size': 32, 'out_channels': 4, 'use_spatial_transformer': True, 'legacy': False,
  'num_classes': 'sequential', 'adm_in_channels': 2816, 'dtype': torch.float16, 'in_channels': 4, 'model_channels': 320,
  'num_res_blocks': [2, 2, 2], 'transformer_depth': [0, 0, 2, 2, 10, 10], 'channel_mult': [1, 2, 4], 'transformer_depth_middle': 10,
  'use_linear_in_transformer': True, 'context_dim': 2048, 'num_head_channels': 64, 'transformer_depth_output': [0, 0, 0, 2, 2, 2, 10, 10, 10],
  'use_temporal_attention': False, 'use_temporal_resblock': False}
cfg = md.model_config_from_unet_config(unet_config)
print("config", type(cfg).__name__)
with torch.device("meta"):
    model = cfg.get_model({}, device=torch.device("meta"))
    clip = comfy.sdxl_clip.SDXLClipModel(device=torch.device("meta"), dtype=torch.float16)
    ddconfig = {'double_z': True, 'z_channels': 4, 'resolution': 256, 'in_channels': 3, 'out_ch': 3, 'ch': 128, 'ch_mult': [1, 2, 4, 4], 'num_res_blocks': 2, 'attn_resolutions': [], 'dropout': 0.0}
    vae = ae.AutoencoderKL(ddconfig=ddconfig, embed_dim=4)
sd = model.state_dict_for_saving(clip.state_dict(), vae.state_dict())
out = {}
g = torch.Generator(device="cuda").manual_seed(0)
for k, v in sd.items():
    if v.dtype in (torch.int64, torch.int32):
        out[k] = v.to("cpu") if v.device.type != "meta" else torch.arange(v.shape[-1]).expand(v.shape).contiguous()
        continue
    t = torch.randn(tuple(v.shape), generator=g, device="cuda", dtype=torch.float32) * 0.02
    if k.endswith("norm.weight") or ".norm" in k and k.endswith(".weight") or "ln_" in k and k.endswith("weight") or "layer_norm" in k and k.endswith("weight"):
        t = torch.ones(tuple(v.shape), device="cuda")
    out[k] = t.to(torch.float16).cpu().contiguous()
n = sum(t.numel() for t in out.values())
print(f"tensors {len(out)} params {n/1e9:.3f}B")
save_file(out, sys.argv[1])
print(f"wrote {sys.argv[1]} in {time.time()-t0:.1f}s")
