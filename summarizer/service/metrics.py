"""Prometheus metrics: one registry per app (so tests can build many), job states read from the
store at scrape time (so every replica reports the same, shared numbers). With several server
processes (``--workers``), ``summarizer serve`` sets ``PROMETHEUS_MULTIPROC_DIR`` and a scrape
of any process reports them all."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from summarizer.service.store import Store

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900)


class _StoreCollector(Collector):
    def __init__(self, store: Store):
        self.store = store

    def collect(self) -> Iterator[Any]:
        jobs, items = self.store.state_counts()
        job_family = GaugeMetricFamily("summarizer_jobs", "Jobs by state (all replicas).", labels=["state"])
        for state in ("queued", "running", "done", "cancelled"):
            job_family.add_metric([state], jobs.get(state, 0))
        yield job_family
        item_family = GaugeMetricFamily(
            "summarizer_job_items", "Job articles waiting or being briefed (all replicas).", labels=["state"]
        )
        for state in ("queued", "running"):
            item_family.add_metric([state], items.get(state, 0))
        yield item_family


class Metrics:
    def __init__(self, store: Store):
        disable_created_metrics()  # type: ignore[no-untyped-call]  # the *_created series only double the scrape
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "summarizer_http_requests", "HTTP requests.", ["method", "route", "status"], registry=r
        )
        self.latency = Histogram(
            "summarizer_http_request_duration_seconds",
            "HTTP request latency.",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.model_latency = Histogram(
            "summarizer_model_brief_duration_seconds",
            "Time to brief one article with the model (cache misses).",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.tokens = Counter(
            "summarizer_model_tokens", "Model tokens, every attempt included.", ["kind"], registry=r
        )
        # Only briefs whose price litellm knows; the others are counted apart (unknown is not 0).
        self.cost = Counter(
            "summarizer_model_cost_usd",
            "Model cost in US dollars, of briefs whose price litellm knows.",
            ["model"],
            registry=r,
        )
        self.unpriced = Counter(
            "summarizer_model_unpriced_briefs",
            "Model briefs whose cost is unknown (litellm has no price for the model).",
            ["model"],
            registry=r,
        )
        self.cache = Counter("summarizer_cache_lookups", "Brief cache lookups.", ["result"], registry=r)
        self.briefs = Counter(
            "summarizer_briefs", "Articles briefed or failed.", ["via", "outcome"], registry=r
        )
        self.queue_depth = Gauge(
            "summarizer_queue_depth",
            "Brief requests waiting for a model slot.",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.in_flight = Gauge(
            "summarizer_model_calls_in_flight",
            "Articles with the model now.",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.rejected = Counter(
            "summarizer_rejected_requests", "Requests refused to protect the service.", ["reason"], registry=r
        )
        self.store_collector = _StoreCollector(store)
        r.register(self.store_collector)

    def render(self) -> bytes:
        if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            return generate_latest(self.registry)
        # Several server processes (--workers): every process's samples, summed, plus the store's.
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        registry.register(self.store_collector)
        return generate_latest(registry)
