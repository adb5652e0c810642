"""Import litellm the one right way: offline cost map, httpx transport (recordable by vcrpy)."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def litellm() -> Any:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no download at import
    os.environ.setdefault("DISABLE_AIOHTTP_TRANSPORT", "True")
    import litellm as _litellm

    _litellm.disable_aiohttp_transport = True
    _litellm.suppress_debug_info = True
    _litellm.drop_params = True  # a provider without temperature/max_tokens still works
    return _litellm
