from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iza.errors import InputError
from iza.memory import MemoryRecord, parse_event_time
from iza.memory._records import parse_jsonl, record_from_mapping


def ts(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7:55 pm on 9 June, 2023", ts(2023, 6, 9, 19, 55)),
        ("1:56 pm on 8 May, 2023", ts(2023, 5, 8, 13, 56)),
        ("12:04 am on 1 January, 2024", ts(2024, 1, 1, 0, 4)),
        ("9 June 2023", ts(2023, 6, 9)),
        ("June 9, 2023 3pm", ts(2023, 6, 9, 15, 0)),
        ("2023-06-09T19:55:00Z", ts(2023, 6, 9, 19, 55)),
        ("2023-06-09", ts(2023, 6, 9)),
        (1686340500, 1686340500.0),
    ],
)
def test_parse_event_time(text, expected):
    assert parse_event_time(text) == expected


def test_parse_event_time_rejects_non_dates():
    assert parse_event_time("") is None
    with pytest.raises(ValueError, match="not a recognisable"):
        parse_event_time("sometime last week")
    with pytest.raises(ValueError):
        parse_event_time("7 Smarch 2023")


def test_jsonl_keys_map_to_fields_and_metadata():
    [rec] = parse_jsonl(
        [
            '{"id": "D3:7", "text": "Caroline: hi", "timestamp": "7:55 pm on 9 June, 2023",'
            ' "session": 3, "kind": "turn"}'
        ],
        "ns",
    )
    assert (rec.id, rec.kind, rec.namespace) == ("D3:7", "turn", "ns")
    assert rec.event_time == ts(2023, 6, 9, 19, 55)
    assert rec.metadata == {"session": 3}


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("{not json", "invalid JSON"),
        ('["a list"]', "expected a JSON object"),
        ('{"id": "x"}', "'text' is required"),
        ('{"text": "t", "timestamp": "whenever"}', "timestamp"),
    ],
)
def test_bad_line_names_its_number(line, needle):
    lines = ['{"text": "fine"}', "", line]
    with pytest.raises(InputError) as err:
        list(parse_jsonl(lines, "ns", source="f.jsonl"))
    assert "f.jsonl line 3" in err.value.message and needle in err.value.message
    assert err.value.fix


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=8),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
    max_leaves=6,
)


@settings(deadline=None)  # shared CI hosts stall; correctness, not speed, is tested here
@given(
    text=st.text(min_size=1).filter(str.strip),
    meta=st.dictionaries(st.text(min_size=1, max_size=6), _json, max_size=4),
    importance=st.floats(0, 1),
    when=st.one_of(st.none(), st.integers(0, 2 * 10**9)),
)
def test_export_line_round_trips(text, meta, importance, when):
    rec = MemoryRecord(
        namespace="n",
        text=text,
        metadata=meta,
        importance=importance,
        event_time=None if when is None else float(when),
        created_at=1_700_000_000.5,
    )
    back = record_from_mapping(rec.as_dict(), "n")
    assert (back.id, back.text, dict(back.metadata), back.importance, back.event_time) == (
        rec.id,
        rec.text,
        meta,
        importance,
        rec.event_time,
    )
    assert back.created_at == pytest.approx(rec.created_at, abs=1e-3)
