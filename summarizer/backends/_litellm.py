"""Import litellm the one right way: offline cost map, httpx transport (recordable by vcrpy)."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def litellm() -> Any:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no download at import
    os.environ.setdefault("DISABLE_AIOHTTP_TRANSPORT", "True")
    with contextlib.redirect_stdout(sys.stderr):  # nothing litellm says at import may hit stdout
        import litellm as _litellm

    _litellm.disable_aiohttp_transport = True
    _litellm.suppress_debug_info = True
    _litellm.drop_params = True  # a provider without temperature/max_tokens still works
    # litellm attaches its own handlers, some writing to stdout: that would corrupt JSON a CLI
    # prints there. Route its records through the application's logging instead.
    for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    return _litellm
