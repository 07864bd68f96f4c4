"""Local fake LLM upstreams on 127.0.0.1 speaking each vendor's wire format, with faults.

They exist so that tests and benchmarks drive the *real* SDKs over real HTTP: the fake sits at
the network boundary, never inside our code. Each server runs in a thread on a free port::

    with FakeOpenAI() as server:                # or FakeAnthropic(), FakeGoogle()
        server.faults.append(Fault.status(429, retry_after=2))
        ... OPENAI_BASE_URL=server.base_url ...
        assert server.requests[-1].body["model"] == "gpt-4.1-mini"

What the model "says" is a function of the request (``script``); the default echoes the last
user text. Nothing here is used outside tests and benchmarks.
"""

from iza.llm.fakeservers._base import FakeServer, Fault, Reply, Seen, echo
from iza.llm.fakeservers.wire import FakeAnthropic, FakeGoogle, FakeOpenAI

__all__ = ["FakeAnthropic", "FakeGoogle", "FakeOpenAI", "FakeServer", "Fault", "Reply", "Seen", "echo"]
