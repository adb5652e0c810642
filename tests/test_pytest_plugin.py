"""summarizer's pytest plugin: a user's own test records its model traffic once (here from the
stub server, standing in for any model) and replays it after with no server, no key and no
network; a request that was never recorded fails the test instead of reaching a model."""

from __future__ import annotations

import json
import os
import shutil

from summarizer.testing.stub_server import stub_server

KEY = "sk-user-SECRET-key-for-the-plugin-0123456789"
USER_TEST = """
from summarizer import summarize

ARTICLE = "The council voted on Tuesday to close the old library. Mayor Ana Ruiz said the building was unsafe."


def test_my_brief(summarizer_cassette):
    brief = summarize(ARTICLE, settings=summarizer_cassette.settings)
    assert brief.key_developments
    print("RECORDED" if summarizer_cassette.recording else f"REPLAYED {summarizer_cassette.play_count}")
"""


def test_a_users_test_records_once_then_replays_offline(pytester, monkeypatch):
    pytester.makepyfile(test_user=USER_TEST)
    with stub_server() as stub:
        monkeypatch.setenv("SUMMARIZER_MODEL", "openai/stub")
        monkeypatch.setenv("SUMMARIZER_API_BASE", stub.api_base)
        monkeypatch.setenv("SUMMARIZER_API_KEY", KEY)
        first = pytester.runpytest_inprocess("-s")
        first.assert_outcomes(passed=1)
        assert stub.state.requests == 1 and stub.state.auth_headers == [f"Bearer {KEY}"]
    assert "RECORDED" in first.stdout.str()
    cassette = pytester.path / "cassettes" / "test_user" / "test_my_brief.yaml"
    recorded = cassette.read_text()
    assert "The council voted on Tuesday" in recorded, "the cassette holds the real request"
    assert KEY not in recorded and "authorization" not in recorded.lower(), "secrets are scrubbed"
    settings = json.loads(cassette.with_suffix(".settings.json").read_text())
    assert settings["model"] == "openai/stub" and KEY not in json.dumps(settings)

    for name in [n for n in os.environ if n.startswith("SUMMARIZER_")]:
        monkeypatch.delenv(name)
    # The stub is gone; a second user test sends a request that was never recorded.
    changed = pytester.path / "cassettes" / "test_changed"
    shutil.copytree(cassette.parent, changed)
    for path in changed.iterdir():
        path.rename(path.with_name(path.name.replace("test_my_brief", "test_changed_brief")))
    pytester.makepyfile(
        test_changed=USER_TEST.replace("old library", "new library").replace("test_my_", "test_changed_")
    )
    # A fresh process: pytest loads the plugin from its pytest11 entry point, as for a user.
    second = pytester.runpytest_subprocess("-s", "--summarizer-record=none")
    second.assert_outcomes(passed=1, failed=1)
    assert "REPLAYED 1" in second.stdout.str()
    assert (
        "test_changed.py::test_changed_brief FAILED" in second.stdout.str()
        or "FAILED test_changed.py" in second.stdout.str()
    )


STREAMED_USER_TEST = """
from summarizer import summarize_stream

ARTICLE = "The council voted on Tuesday to close the old library. The library will shut in May."


def test_my_streamed_brief(summarizer_cassette):
    events = list(summarize_stream(ARTICLE, settings=summarizer_cassette.settings))
    assert [e.event for e in events][0] == "candidates" and events[-1].event == "done"
    assert events[-1].brief.key_developments
    print("RECORDED" if summarizer_cassette.recording else f"REPLAYED {summarizer_cassette.play_count}")
"""


def test_a_streamed_brief_records_its_server_sent_events_and_replays_offline(pytester, monkeypatch):
    pytester.makepyfile(test_streamed=STREAMED_USER_TEST)
    with stub_server() as stub:
        monkeypatch.setenv("SUMMARIZER_MODEL", "openai/stub")
        monkeypatch.setenv("SUMMARIZER_API_BASE", stub.api_base)
        monkeypatch.setenv("SUMMARIZER_API_KEY", KEY)
        first = pytester.runpytest_inprocess("-s")
        first.assert_outcomes(passed=1)
        assert stub.state.streams_finished == stub.state.requests >= 1
    cassette = (pytester.path / "cassettes" / "test_streamed" / "test_my_streamed_brief.yaml").read_text()
    assert '"stream": true' in cassette and "data: {" in cassette and "data: [DONE]" in cassette
    assert KEY not in cassette
    for name in [n for n in os.environ if n.startswith("SUMMARIZER_")]:
        monkeypatch.delenv(name)
    second = pytester.runpytest_subprocess("-s", "--summarizer-record=none")
    second.assert_outcomes(passed=1)
    assert "REPLAYED" in second.stdout.str()
