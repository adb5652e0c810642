"""The brief as it forms: ``asummarize_stream`` / ``summarize_stream`` and streamed model answers.

- For every recorded answer, the streamed brief (the same answers sent as server-sent events)
  equals ``summarize()``'s, and every item event is the final brief's item at its place.
- Items come while the model is still writing (the stub streams slowly); stopping the iteration
  hangs up on the model.
- An answer that changes after items were shown (a re-ask, a retry) keeps the shown items.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

import pytest

from summarizer import summarize
from summarizer.brief.events import ItemTracker, keep_emitted, written_developments
from summarizer.brief.pipeline import asummarize, asummarize_stream, summarize_stream
from summarizer.models import (
    EVENT_ADAPTER,
    Brief,
    CandidatesEvent,
    DoneEvent,
    ItemEvent,
    SummaryEvent,
)
from summarizer.testing.cassettes import replaying, streamed_copy
from summarizer.testing.stub_server import StubConfig, stub_server
from tests.helpers import cassette, recorded_fixtures, replay_settings

FIXTURES = recorded_fixtures()
ARTICLE = (
    "Bridge repairs approved\n\n"
    "The city council voted on Monday to repair the Old Mill bridge before the winter. "
    "Work on the bridge will start in October and last six weeks. "
    "Buses will take a detour through the town centre during the works. "
    "The repairs will cost 4 million euros, paid from the transport budget. "
    "The mayor said on Tuesday that the budget had been agreed. "
    "Engineers warned on Wednesday that the bridge could close again if the repairs were delayed."
)


def _same(a: Brief, b: Brief) -> None:
    exclude = {"metadata": {"latency_s", "created_at"}}
    assert a.model_dump(exclude=exclude) == b.model_dump(exclude=exclude)


def _assert_items_final(events: list[Any]) -> Brief:
    """Candidates first, done last, every item event the final brief's item at its place."""
    assert isinstance(events[0], CandidatesEvent)
    assert isinstance(events[-1], DoneEvent) and isinstance(events[-2], SummaryEvent)
    brief = events[-1].brief
    items = [e for e in events if isinstance(e, ItemEvent)]
    shown = {(e.section, e.index) for e in items}
    assert len(shown) == len(items), "an item is emitted once"
    assert shown == {
        (section, i) for section in ("key_developments", "stated_positions", "warnings")
        for i in range(len(getattr(brief, section)))
    }  # fmt: skip
    for event in items:
        assert getattr(brief, event.section)[event.index] == event.item
        spans = [
            s for s in brief.metadata.grounding.spans if s.item.startswith(f"{event.section}[{event.index}].")
        ]
        assert event.spans == spans
    # Every event survives JSON (the CLI's and the service's wire format).
    for event in events:
        assert EVENT_ADAPTER.validate_json(event.model_dump_json()) == event
    return brief


@pytest.mark.parametrize("fx", FIXTURES, ids=[f.name for f in FIXTURES])
async def test_a_streamed_brief_equals_summarize_for_the_same_recorded_answers(fx, tmp_path: Path) -> None:
    with cassette(fx.name):
        plain = summarize(fx.article, settings=replay_settings(**fx.settings))
    streamed = streamed_copy([fx.name], tmp_path / "streamed.yaml")
    with replaying(str(streamed), cassette_dir=tmp_path) as played:
        events = [e async for e in asummarize_stream(fx.article, settings=replay_settings(**fx.settings))]
        bodies = [json.loads(r.body) for r in played.requests]
    assert bodies and all(
        b["stream"] is True and b["stream_options"] == {"include_usage": True} for b in bodies
    )
    brief = _assert_items_final(events)
    _same(brief, plain)  # usage included: the streamed usage chunks add up the same


def test_the_sync_stream_and_the_unstreamed_stream_give_the_same_events() -> None:
    fx = FIXTURES[0]
    with cassette(fx.name):
        sync_events = list(
            summarize_stream(fx.article, settings=replay_settings(**fx.settings), stream_model=False)
        )
    brief = _assert_items_final(sync_events)
    with cassette(fx.name):
        _same(brief, summarize(fx.article, settings=replay_settings(**fx.settings)))


@pytest.mark.parametrize("name", ["seed", "sample-md"])
async def test_a_brief_streamed_by_llama_cpp_replays_offline(name: str) -> None:
    """Recorded from the embedded model with stream: true (scripts/record_stream_cassettes.py):
    llama.cpp's own chunks and usage chunk (the summary repair of each was recorded unstreamed
    and converted with ``sse_body``)."""
    from tests.fixture_articles import by_name

    fx = by_name(name)
    with replaying(f"stream-{name}") as played:
        events = [e async for e in asummarize_stream(fx.article, settings=replay_settings(**fx.settings))]
        assert played.play_count >= 1
    brief = _assert_items_final(events)
    assert brief.metadata.usage.completion_tokens > 0 and brief.metadata.attempts >= 1
    models = [e for e in events if isinstance(e, ItemEvent) and e.origin == "model"]
    assert models, "the model's developments came as items"


def _stub_settings(stub: Any, **overrides: Any) -> Any:
    return stub.settings(timeout=30, **overrides)


def test_items_arrive_while_the_model_is_still_writing() -> None:
    # The stub stops half-way through its answer until the test lets it go on.
    config = StubConfig(chunk_chars=4, items=3, hold_after=90)
    with stub_server(config) as stub:
        events = []
        for event in summarize_stream(ARTICLE, settings=_stub_settings(stub)):
            events.append(event)
            if isinstance(event, ItemEvent) and event.origin == "model" and not stub.state.release.is_set():
                assert stub.state.streams_finished == 0, "the model has not finished its answer"
                stub.state.release.set()
        assert stub.state.release.is_set(), "a model item came while the answer was held"
        assert stub.state.streams_finished == stub.state.streams_started >= 1
    _assert_items_final(events)
    assert len([e for e in events if isinstance(e, ItemEvent) and e.origin == "model"]) == 3


async def test_stopping_the_stream_hangs_up_on_the_model() -> None:
    config = StubConfig(chunk_chars=2, items=3, hold_after=120)  # held half-way
    with stub_server(config) as stub:
        stream = asummarize_stream(ARTICLE, settings=_stub_settings(stub))
        async with contextlib.aclosing(stream):
            async for event in stream:
                if isinstance(event, ItemEvent) and event.origin == "model":
                    break
        # Closed at once: no task of the brief (the model call, its checks) is left running.
        assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []
        # The server, holding the rest of its answer, sees the connection close.
        assert await asyncio.to_thread(stub.state.abandoned.wait, 10)
        assert stub.state.streams_finished == 0


async def test_cancelling_the_task_hangs_up_on_the_model() -> None:
    config = StubConfig(chunk_chars=2, items=3, hold_after=120)  # held half-way
    with stub_server(config) as stub:
        first = asyncio.Event()

        async def consume() -> None:
            async for event in asummarize_stream(ARTICLE, settings=_stub_settings(stub)):
                if isinstance(event, ItemEvent) and event.origin == "model":
                    first.set()

        task = asyncio.ensure_future(consume())
        await asyncio.wait_for(first.wait(), 20)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await asyncio.to_thread(stub.state.abandoned.wait, 10)
        assert stub.state.streams_finished == 0


def test_summarize_stream_closed_early_hangs_up_on_the_model() -> None:
    config = StubConfig(chunk_chars=2, items=3, hold_after=120)  # held half-way
    with stub_server(config) as stub:
        events = summarize_stream(ARTICLE, settings=_stub_settings(stub))
        for event in events:
            if isinstance(event, ItemEvent) and event.origin == "model":
                break
        events.close()  # type: ignore[attr-defined]
        assert stub.state.abandoned.wait(10)
        assert stub.state.streams_finished == 0


def test_a_stream_cut_mid_way_is_retried_and_the_items_shown_stay() -> None:
    config = StubConfig(chunk_chars=4, script=["stream-cut"], items=3)
    with stub_server(config) as stub:
        events = list(summarize_stream(ARTICLE, settings=_stub_settings(stub, retry_max_wait=0.01)))
        assert stub.state.outcomes["stream-cut"] == 1
    brief = _assert_items_final(events)
    assert brief.metadata.attempts >= 2
    assert len(brief.key_developments) == 3


def test_streamed_usage_counts_every_request() -> None:
    with stub_server(StubConfig(chunk_chars=16)) as stub:
        streamed = list(summarize_stream(ARTICLE, settings=_stub_settings(stub)))[-1].brief
        plain = summarize(ARTICLE, settings=_stub_settings(stub))
    assert streamed.metadata.usage == plain.metadata.usage
    assert streamed.metadata.usage.completion_tokens > 0
    _same(streamed, plain)


def test_strict_holds_items_until_the_brief_stands() -> None:
    from summarizer.errors import GroundingError

    with stub_server(StubConfig(chunk_chars=4, script=[])) as stub:
        events: list[Any] = []
        with pytest.raises(GroundingError):
            for event in summarize_stream(ARTICLE, settings=_stub_settings(stub, strict=True, reasks=0)):
                events.append(event)
    assert [type(e) for e in events] == [CandidatesEvent], "nothing shown of a brief that fails"


# -- the parts --------------------------------------------------------------------------------


def test_a_development_counts_as_written_once_the_answer_moves_past_it() -> None:
    text = '{"developments": [{"sentence": 2, "what": "A did B."}, {"sentence": 1'
    assert [d.sentence for d in written_developments(text)] == [2]
    assert [d.sentence for d in written_developments(text + "2")] == [2]  # 12 may still grow
    closed = '{"developments": [{"sentence": 2, "what": "A did B."}, {"sentence": 12, "what": "C."}]'
    assert [d.sentence for d in written_developments(closed)] == [2]  # still the last key
    assert [d.sentence for d in written_developments(closed + ', "summary": [')] == [2, 12]
    assert written_developments("") == [] and written_developments("Sure! {") == []
    # A development that is not one (no words) is not shown; validation will re-ask.
    assert written_developments('{"developments": [{"sentence": 2}, {"sentence": 3, "what": "x"}, {') == [
        written_developments('{"developments": [{"sentence": 3, "what": "x"}, {')[0]
    ]


def test_emitted_developments_come_first_when_an_answer_changes() -> None:
    from summarizer.brief.draft import DevelopmentDraft as D

    a, b, c = D(sentence=1, what="a"), D(sentence=2, what="b"), D(sentence=3, what="c")
    assert keep_emitted([a, c], [a, b, c]) == [a, b, c]  # the same answer: untouched
    assert keep_emitted([], [b]) == [b]
    assert keep_emitted([a, c], [b, c]) == [a, c, b]  # a changed answer: the shown ones first
    assert keep_emitted([c, a], [a, b, c]) == [c, a, b]


async def test_a_re_asked_answer_keeps_the_developments_already_shown() -> None:
    from summarizer import Article
    from summarizer.brief import injection, net
    from summarizer.brief.draft import BriefDraft, Plan
    from summarizer.brief.sentences import split

    sentences = split(ARTICLE)
    found = net.find(sentences)
    plan = Plan.of(sentences, found, set())
    shown: list[ItemEvent] = []
    tracker = ItemTracker(
        Article(text=ARTICLE), sentences, found, injection.scan(sentences), None, shown.append
    )
    tracker.plans = [plan]
    tracker.start(plan)
    tracker.on_text("")
    tracker.on_text(
        '{"developments": [{"sentence": 2, "what": "The council voted to repair the bridge."}, {"sent'
    )
    await tracker.settle()
    await tracker.checking()  # the checks run in a worker thread; the item comes back here
    assert [e.item.evidence for e in shown] == [sentences[1].text]
    tracker.on_text("")  # re-asked: a new answer that does not hold the shown development
    final = BriefDraft.model_validate(
        {
            "developments": [{"sentence": 4, "what": "Buses will take a detour during the works."}],
            "summary": [{"text": "x.", "support": [3]}],
            "headline": "h",
        }
    )
    kept = await tracker.finish(final)
    assert [d.sentence for d in kept.developments] == [2, 4]
    assert [e.index for e in shown] == [0, 1]
    assert shown[1].item.evidence == sentences[3].text


def test_candidates_come_first_from_the_article_alone() -> None:
    with stub_server(StubConfig(latency=0.2)) as stub:
        events = summarize_stream(ARTICLE, settings=_stub_settings(stub))
        first = next(events)
        assert stub.state.requests == 0, "before any model call"
        rest = list(events)
    assert isinstance(first, CandidatesEvent)
    assert any(c.kind == "warning" and "Engineers warned" in c.text for c in first.candidates)
    for c in first.candidates:
        assert ARTICLE[c.start : c.end] == c.text
    assert isinstance(rest[-1], DoneEvent)


def test_asummarize_is_the_streams_done_brief() -> None:
    with stub_server(StubConfig()) as stub:
        done = list(summarize_stream(ARTICLE, settings=_stub_settings(stub), stream_model=False))[-1]
        brief = asyncio.run(asummarize(ARTICLE, settings=_stub_settings(stub)))
    _same(done.brief, brief)


def test_the_request_body_is_unchanged_without_streaming() -> None:
    with stub_server(StubConfig()) as stub:
        summarize(ARTICLE, settings=_stub_settings(stub))
        list(summarize_stream(ARTICLE, settings=_stub_settings(stub)))
        bodies = stub.state.bodies
        plain, streamed = bodies[0], bodies[len(bodies) // 2]
    assert "stream" not in plain and "stream_options" not in plain
    assert {k: v for k, v in streamed.items() if k not in ("stream", "stream_options")} == plain


def test_litellm_backend_streams_the_same_answer_with_usage() -> None:
    """A provider litellm serves (not the OpenAI-compatible fast path) streams too."""
    with stub_server(StubConfig(chunk_chars=5)) as stub:
        settings = _stub_settings(stub, model="hosted_vllm/stub")
        events = list(summarize_stream(ARTICLE, settings=settings))
        plain = summarize(ARTICLE, settings=settings)
        bodies = stub.state.bodies
    assert bodies[0]["stream"] is True and bodies[0]["stream_options"] == {"include_usage": True}
    assert "stream" not in bodies[-1]
    brief = _assert_items_final(events)
    assert brief.metadata.usage == plain.metadata.usage and brief.metadata.usage.completion_tokens > 0
    _same(brief, plain)


def test_a_streamed_answer_that_never_starts_times_out_and_is_retried() -> None:
    with stub_server(StubConfig(script=["hang"], hang_seconds=5, chunk_chars=8)) as stub:
        settings = stub.settings(timeout=1, retry_max_wait=0.01)
        events = list(summarize_stream(ARTICLE, settings=settings))
        assert stub.state.outcomes["hang"] == 1
    brief = _assert_items_final(events)
    assert brief.metadata.attempts >= 2


def test_a_trickling_stream_is_bounded_by_the_timeout_on_the_whole_answer() -> None:
    """Every chunk comes well within the read timeout, but the answer as a whole does not."""
    from summarizer.errors import ModelUnavailableError

    with stub_server(StubConfig(chunk_chars=1, chunk_delay=0.05)) as stub:
        settings = stub.settings(timeout=1, retry_max_wait=0.01, max_attempts=2)
        with pytest.raises(ModelUnavailableError, match="took longer than 1 s"):
            list(summarize_stream(ARTICLE, settings=settings))
        assert stub.state.abandoned.wait(5)
        assert stub.state.streams_started == 2 and stub.state.streams_finished == 0


def test_a_provider_batch_answer_streams_as_items_and_the_batch_gets_the_plain_request() -> None:
    """The batch interceptor answers without an HTTP request: its answer is read whole, and the
    request it is handed is the plain one (a provider batch does not stream)."""
    from openai.types.chat import ChatCompletion

    from summarizer.backends.client import intercepted
    from summarizer.settings import Settings
    from summarizer.testing.stub_server import brief_for

    handed: list[dict[str, Any]] = []

    def batch(endpoint: Any, request: dict[str, Any]) -> Any:
        handed.append(request)
        content = json.dumps(brief_for(request["messages"], 3))
        return ChatCompletion.model_validate(
            {
                "id": "batch-1", "object": "chat.completion", "created": 0, "model": "m",
                "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30},
            }
        )  # fmt: skip

    # Nothing listens there: every answer must come from the interceptor.
    settings = Settings(
        model="openai/m", api_base="http://127.0.0.1:9/v1", api_key="k-123456", max_attempts=1
    )

    async def brief() -> list[Any]:
        with intercepted(batch):
            return [e async for e in asummarize_stream(ARTICLE, settings=settings)]

    events = asyncio.run(brief())
    assert handed and all("stream" not in r and "stream_options" not in r for r in handed)
    brief_ = _assert_items_final(events)
    assert len([e for e in events if isinstance(e, ItemEvent) and e.origin == "model"]) == 3
    assert brief_.metadata.usage.completion_tokens == 20 * len(handed)


def test_after_a_re_ask_summarize_keeps_what_a_stream_showed_of_the_first_answer() -> None:
    """The first answer has a good development but an invalid summary (re-asked); the second
    answer cites another sentence. The stream showed the first answer's development, so it stays;
    ``asummarize`` (which works nothing out ahead) ends with the same brief."""
    from openai.types.chat import ChatCompletion

    from summarizer.backends.client import intercepted
    from summarizer.settings import Settings

    answers = [
        {
            "developments": [{"sentence": 2, "what": "The council voted to repair the Old Mill bridge."}],
            "summary": [{"text": "The council voted.", "support": [999]}],  # no such sentence: re-asked
            "headline": "Bridge repairs approved",
        },
        {
            "developments": [{"sentence": 4, "what": "Buses will take a detour during the works."}],
            "summary": [{"text": "Buses will take a detour during the works.", "support": [4]}],
            "headline": "Bridge repairs approved",
        },
    ]
    sent: list[int] = []

    def model(endpoint: Any, request: dict[str, Any]) -> Any:
        content = json.dumps(answers[min(len(sent), 1)])
        sent.append(1)
        return ChatCompletion.model_validate(
            {
                "id": "x", "object": "chat.completion", "created": 0, "model": "m",
                "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        )  # fmt: skip

    settings = Settings(
        model="openai/m", api_base="http://127.0.0.1:9/v1", api_key="k-123456", max_attempts=1, reasks=1,
        summary_style="extractive",
    )  # fmt: skip

    async def both() -> tuple[list[Any], Brief]:
        with intercepted(model):
            streamed = [e async for e in asummarize_stream(ARTICLE, settings=settings, stream_model=False)]
            sent.clear()
            return streamed, await asummarize(ARTICLE, settings=settings)

    events, plain = asyncio.run(both())
    brief = _assert_items_final(events)
    assert [d.evidence for d in brief.key_developments][:2] == [
        "The city council voted on Monday to repair the Old Mill bridge before the winter.",
        "Buses will take a detour through the town centre during the works.",
    ]
    assert brief.metadata.attempts == 2
    _same(brief, plain)
