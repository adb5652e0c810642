"""Run the service under uvicorn.

SIGTERM (or Ctrl-C): uvicorn stops accepting connections and gives open requests
``shutdown_grace_s`` to finish; then the job workers get the same grace for the articles they
hold, and hand back the rest to the queue (another replica, or this one restarted, briefs them).
So a stop takes at most about twice the grace.
"""

from __future__ import annotations

import os
import tempfile

from summarizer.service.config import ServiceSettings


def serve(config: ServiceSettings | None = None) -> None:
    import uvicorn

    from summarizer.service.logs import configure

    config = config or ServiceSettings()
    configure()
    if config.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Before any worker imports prometheus_client: they then share their samples here.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="summarizer-metrics-")
    uvicorn.run(
        "summarizer.service.app:app_from_env",
        factory=True,
        host=config.host,
        port=config.port,
        workers=config.workers if config.workers > 1 else None,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=max(1, int(config.shutdown_grace_s)),
        limit_concurrency=None,
    )
