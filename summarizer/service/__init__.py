"""``summarizer serve``: the brief service over HTTP, on the same pipeline as the library.

The data flow, module by module:

    admission   the bounded queue: 429 before any work when it is full
    app         routes (FastAPI); request bodies -> Article via summarizer.batch.inputs
    briefing    the cache, then a model slot, then summarizer.brief's asummarize
    workers     job items claimed from the store, briefed through ``briefing``
    store       SQLite (WAL) or PostgreSQL; Alembic migrations in ``migrations/``
    problems    errors as RFC 9457 problem documents
    access      JSON access log with request ids; metrics in ``metrics``
    server      uvicorn, graceful SIGTERM
    static/     the page at GET /

Imported only by ``summarizer serve`` (FastAPI and friends are the ``serve`` extra).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["ServiceSettings", "create_app", "serve"]

if TYPE_CHECKING:
    from summarizer.service.app import create_app
    from summarizer.service.config import ServiceSettings
    from summarizer.service.server import serve

_WHERE = {
    "create_app": "summarizer.service.app",
    "ServiceSettings": "summarizer.service.config",
    "serve": "summarizer.service.server",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(name)
