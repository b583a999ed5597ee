"""Visible tokens for control, bidi, zero-width and tag characters in untrusted text."""

from __future__ import annotations

import re
import unicodedata

#: Characters the HIDDEN rule flags (contract section 5), as regex character-class ranges.
#: ``\t``, ``\n`` and a ``\r`` right before ``\n`` are allowed; U+FEFF only as the first char.
_HIDDEN_CLASS = (
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x9f"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
    "\U000e0000-\U000e007f"
)
HIDDEN_CHARACTERS = re.compile(f"[{_HIDDEN_CLASS}]|\r(?!\n)")

#: What the screen must never receive raw: the hidden set plus every carriage return, and lone
#: surrogates (from a ``\ud800`` JSON escape or a non-UTF-8 file name), which cannot be encoded.
_UNSAFE_FOR_DISPLAY = re.compile(f"[{_HIDDEN_CLASS}\r\ud800-\udfff]")

_C0_PICTURES = {code: chr(0x2400 + code) for code in range(0x20)}
_C0_PICTURES[0x1B] = "␛"
_C0_PICTURES[0x7F] = "␡"

DEFAULT_MAX_LINE = 2000


def describe_character(char: str) -> str:
    """A short visible token for one hidden character: ``␛`` or ``<U+202E>``."""
    code = ord(char)
    if code in _C0_PICTURES:
        return _C0_PICTURES[code]
    return f"<U+{code:04X}>"


def character_name(char: str) -> str:
    """A human description of a hidden character for a finding message."""
    code = ord(char)
    if code < 0x20 or code == 0x7F:
        return f"control character U+{code:04X} ({describe_character(char)})"
    if 0x80 <= code <= 0x9F:
        return f"C1 control character U+{code:04X}"
    if 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069:
        return f"bidirectional control U+{code:04X}, which can reorder what you read"
    if 0xE0000 <= code <= 0xE007F:
        return f"invisible Unicode tag character U+{code:04X}"
    return f"invisible character U+{code:04X}"


def _is_pictograph(char: str) -> bool:
    """True for an emoji-like symbol (the pieces a zero-width joiner glues into one emoji)."""
    code = ord(char)
    return 0x1F000 <= code <= 0x1FAFF or unicodedata.category(char) == "So"


def is_emoji_joiner(text: str, offset: int) -> bool:
    """True when U+200D at ``offset`` joins two emoji (``👨‍👩‍👧``): ordinary text, not hidden.

    A variation selector or skin tone modifier may sit between the first emoji and the joiner.
    """
    if text[offset] != "\u200d" or offset + 1 >= len(text):
        return False
    before = offset - 1
    while before >= 0 and (text[before] == "\ufe0f" or 0x1F3FB <= ord(text[before]) <= 0x1F3FF):
        before -= 1
    return before >= 0 and _is_pictograph(text[before]) and _is_pictograph(text[offset + 1])


def find_hidden(text: str, *, leading_bom_allowed: bool = True) -> list[tuple[int, str]]:
    """Offsets and characters of every hidden character.

    A BOM that opens the text is allowed when ``leading_bom_allowed`` (the start of a file),
    and a zero-width joiner inside an emoji sequence is ordinary text.
    """
    found: list[tuple[int, str]] = []
    for match in HIDDEN_CHARACTERS.finditer(text):
        offset, char = match.start(), match.group(0)
        if offset == 0 and char == "\ufeff" and leading_bom_allowed:
            continue
        if char == "\u200d" and is_emoji_joiner(text, offset):
            continue
        found.append((offset, char))
    return found


def _token(match: re.Match[str]) -> str:
    char = match.group(0)
    if char == "\u200d" and is_emoji_joiner(match.string, match.start()):
        return char
    return describe_character(char)


def sanitize(text: str, max_line: int | None = DEFAULT_MAX_LINE) -> str:
    """Untrusted text made safe to show: hidden characters as tokens, long lines capped.

    ``\\n`` and ``\\t`` stay; a ``\\r`` before ``\\n`` is dropped; every other carriage
    return, control, bidi, zero-width or tag character becomes a visible token (a joiner
    inside an emoji sequence stays, so the emoji still renders).
    """
    text = text.replace("\r\n", "\n")
    text = _UNSAFE_FOR_DISPLAY.sub(_token, text)
    if max_line is not None:
        text = "\n".join(_cap(line, max_line) for line in text.split("\n"))
    return text


def sanitize_line(text: str, max_length: int = 200) -> str:
    """One-line form of untrusted text (file names, list rows): newlines become ``␤``."""
    return _cap(sanitize(text, None).replace("\n", "␤").replace("\t", "␉"), max_length)


def strip_hidden(text: str) -> str:
    """Remove hidden characters entirely (a joiner inside an emoji sequence stays)."""
    text = text.replace("\r\n", "\n")
    return _UNSAFE_FOR_DISPLAY.sub(
        lambda match: match.group(0) if is_emoji_joiner(match.string, match.start()) else "",
        text,
    )


def _cap(line: str, limit: int) -> str:
    if len(line) <= limit:
        return line
    return line[: limit - 1] + "…"
