"""The audit verifier's fast path (orjson) decides exactly as the contract's serialization."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from relay_tui.core.audit import RECORD_FIELDS, _hash_matches, canonical_json, record_hash

plain_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(1 << 70), max_value=1 << 70),
    st.text(),
    st.floats(allow_nan=False),
    st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=4),
)


@settings(max_examples=300, deadline=None)
@given(values=st.dictionaries(st.sampled_from(RECORD_FIELDS), plain_values))
def test_fast_path_agrees_with_canonical_json(values: dict[str, object]) -> None:
    """A correct hash always verifies, a wrong one never does, whatever the values hold."""
    record = dict(values)
    record["hash"] = record_hash(record)
    assert _hash_matches(record)
    record["hash"] = "0" * 64
    assert not _hash_matches(record)


def test_tricky_text_serializes_identically() -> None:
    """Control characters, DEL, line separators, astral characters and escapes."""
    import orjson

    body = {"note": 'a"b\\c\x00\x1b\x7f\u2028\u2029\U0001f600é\t\n', "seq": 1, "findings": {"b": 1}}
    assert orjson.dumps(body, option=orjson.OPT_SORT_KEYS) == canonical_json(body).encode()
