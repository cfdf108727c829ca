"""On/off switches read from ComfyUI's environment (which @genimage/server passes on): GENIMAGE_EXACT_BATCHES and the like."""

import logging
import os

_ON = ("", "1", "true", "yes", "on")
_OFF = ("0", "false", "no", "off")
_warned = set()


def env_flag(name, environ=os.environ):
    """True unless `name` is 0, false, no or off; any other value warns once and keeps it on."""
    value = environ.get(name, "").strip().lower()
    if value in _OFF:
        return False
    if value not in _ON and (name, value) not in _warned:
        _warned.add((name, value))
        logging.warning(f"{name}={value!r} is not 1/true/yes/on or 0/false/no/off: it stays on")
    return True
