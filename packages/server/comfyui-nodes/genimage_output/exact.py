"""Whether a batched prompt must give each image exactly as the same request alone: GENIMAGE_EXACT_BATCHES.

On (the default; `0`, `false`, `no` or `off` turn it off), the parts of a batched prompt whose kernels cuDNN and cuBLAS
choose by batch size run one image at a time: the UNet's convolutions (cudagraph.RowwiseConv), the text encoders
(one prompt at a time inside one encode call, batch.py) and the VAE decoder (vae_decode.py). Measured on H200s with
the random-weight benchmark checkpoint: batched images 0 levels from the same requests alone (10 with it off), 16
clients 29.98-34.49 images/s (35.12-38.86 with it off). It is read from ComfyUI's environment (which @genimage/server
passes on) when the nodes run; set it before ComfyUI starts.
"""

import os

from .env_flag import env_flag


def exact_batches(environ=os.environ):
    """True unless GENIMAGE_EXACT_BATCHES is 0, false, no or off; any other value warns once and keeps the default."""
    return env_flag("GENIMAGE_EXACT_BATCHES", environ)
