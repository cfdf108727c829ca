"""Whether a batched prompt must give each image exactly as the same request alone: GENIMAGE_EXACT_BATCHES.

On (the default; `0`, `false`, `no` or `off` turn it off), the parts of a batched prompt whose kernels cuDNN and cuBLAS
choose by batch size run one image at a time: the UNet's convolutions (cudagraph.RowwiseConv), the text encoders
(one prompt at a time inside one encode call, batch.py) and the VAE decoder (vae_decode.py). Measured on H200s with
the random-weight benchmark checkpoint: batched images 0 levels from the same requests alone (10 with it off), 16
clients 29.98-34.49 images/s (35.12-38.86 with it off). It is read from ComfyUI's environment (which @genimage/server
passes on) when the nodes run; set it before ComfyUI starts.
"""

import logging
import os

_ON = ("", "1", "true", "yes", "on")
_OFF = ("0", "false", "no", "off")
_warned = set()


def exact_batches(environ=os.environ):
    """True unless GENIMAGE_EXACT_BATCHES is 0, false, no or off; any other value warns once and keeps the default."""
    value = environ.get("GENIMAGE_EXACT_BATCHES", "").strip().lower()
    if value in _OFF:
        return False
    if value not in _ON and value not in _warned:
        _warned.add(value)
        logging.warning(f"GENIMAGE_EXACT_BATCHES={value!r} is not 1/true/yes/on or 0/false/no/off: exact batches stay on")
    return True
