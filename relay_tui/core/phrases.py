"""Wording catalogues for the AUTHORITY and INJECTION rules: normalization, loading, matching.

Design
======

Normalization (``normalize``). Patterns never see raw text. Each character is folded: NFKC
compatibility forms (fullwidth letters, ligatures, mathematical letters) become plain letters;
accents and other combining marks are dropped (NFKD, then marks removed, whenever that leaves
ASCII; otherwise NFKC), so an accent cannot split a word; the result is casefolded; curly
quotes, primes and guillemets become ``'`` or ``"``; dashes become ``-``; a handful of
Cyrillic and Greek look-alikes become their Latin twins; zero-width, bidi, tag and other
format characters are removed; every whitespace character other than a line break becomes a
space, and ``*`` (Markdown emphasis) reads as a space. Whitespace runs are collapsed
*logically*: a space in a catalogue pattern matches any run of whitespace. Doing it that way
keeps ASCII text at exactly the same offsets (the common case costs one ``str.lower``); where a
character's fold has another length, an edit is recorded, and ``NormalizedText.source_span``
maps every match back to the original text for the line, column and quoted words of a finding.

Catalogues (``load_catalogue``) are TOML package data in ``relay_tui/core/patterns/``; the
format is documented at the top of ``authority.toml``. Each entry has an id, a severity, a
``kind`` (what context silences or lowers it), a reason and advice for its message, patterns,
triggers and examples.

Matching (``Matcher``). Python's ``re`` pays for every position it tries, so scanning a 1 MiB
report with dozens of patterns would take a good fraction of a second. Instead: (1) the
normalized text becomes bytes in which every non-word character is a space, and one trie-shaped
regex with a literal space prefix finds every *trigger* (a word prefix such as ``approv`` or
``merg``) at a word start; symbol triggers such as ``![`` use ``bytes.find``; (2) at each
trigger, an entry is tried with ``regex.match`` at the trigger and at the few token starts
before it that its ``lookback`` allows, and a match must contain the trigger. Triggers are part
of the rule's definition; every entry's examples must fire, and a test shows that this scan
finds exactly what running every pattern over the whole text finds. (3) The work per report is
bounded (``SCAN_BUDGET``): text so dense in trigger words that the budget runs out gets an
``error`` finding (FAMILY-099) where the check stopped, so padding cannot hide a claim; it
fails closed.

Context (``kind``). A match counts only if it begins and ends on word edges. Then:

- ``claim``: a negator, modal or condition earlier in the same clause ("no approval was
  given", "requires human approval", "until the human approves", "only the human approves"),
  a question ("Is this approved?") or a trailing "is still required" make it descriptive.
- ``readiness``: the same with the readiness negators ("not ready to merge", "whether it is
  safe to deploy").
- ``imperative``: the verb must open its sentence, after at most a bullet and lead-ins
  ("please", "now", "you can go ahead and", "next step:"); "Should we merge?" is a question,
  "Do not deploy" has a lead that is not on the list, and a noun reading ("Release v2 is
  planned") is rejected by the word after the object.
- ``status``: a bare verdict that is its whole sentence ("Approved ✅", "Status: approved").
- ``instruction`` and ``marker``: no silencing (injection wording is the attack even when
  negated), ``phrase``: a project's extra phrase, silenced only by a plain negation.

A match inside quotes, a ``code span`` or a fenced code block is only mentioned: its severity
is lowered to ``warning``, never dropped, and its message says where it was mentioned.
"""

from __future__ import annotations

import bisect
import heapq
import re
import threading
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Any, Literal, Protocol

from relay_tui.core.models import Severity
from relay_tui.core.sanitize import sanitize_line

Kind = Literal[
    "claim", "readiness", "imperative", "status", "instruction", "marker", "phrase", "code"
]
KINDS: tuple[Kind, ...] = (
    "claim",
    "readiness",
    "imperative",
    "status",
    "instruction",
    "marker",
    "phrase",
    "code",
)
BUILTIN_CATALOGUES = ("authority", "injection")
RULE_ID = re.compile(r"[A-Z]+-[0-9]{3}")
QUOTE_LIMIT = 80
"""Longest quoted excerpt in a message, in characters."""
MAX_FINDINGS_PER_RULE = 50
"""Findings listed per rule and report; the rest are counted in one ``info`` finding."""
MAX_LOOKBACK = 16
"""The most tokens an entry may look back from its trigger for the start of a match."""
SCAN_BUDGET = 100_000
"""Work units per family and report: a trigger or a regex attempt costs 1, judging a match 10.

An ordinary 1 MiB report uses a few thousand. Text so dense in trigger words that it runs out
is not checked further: the family reports an ``error`` (FAMILY-099), so it fails closed.
"""
JUDGE_COST = 10
MATCH_REACH = 400
"""The longest match, in characters (no pattern needs more; it bounds the work per trigger)."""

# --------------------------------------------------------------------------------------------
# Normalization
# --------------------------------------------------------------------------------------------

_CHAR_MAP: dict[str, str] = {
    **dict.fromkeys("‘’‚‛′‵", "'"),
    **dict.fromkeys("“”„‟″‶«»", '"'),
    **dict.fromkeys("‐‑‒–—―−⁃﹘﹣", "-"),
    # Cyrillic and Greek letters that look Latin (lower case: folding happens first).
    "а": "a",
    "е": "e",
    "о": "o",
    "р": "p",
    "с": "c",
    "у": "y",
    "х": "x",
    "і": "i",
    "ј": "j",
    "ѕ": "s",
    "ԁ": "d",
    "һ": "h",
    "ɡ": "g",
    "α": "a",
    "ο": "o",
    "ι": "i",
    "κ": "k",
    "ν": "v",
    "ρ": "p",
    "τ": "t",
    "υ": "u",
    "χ": "x",
}
_ASCII_AS_SPACE = "\t\r\f\v*"
_REMOVED_CATEGORIES = frozenset({"Cf", "Cc", "Mn", "Me", "Cs", "Co", "Cn"})


@lru_cache(maxsize=8192)
def fold_character(char: str) -> str:
    """The normalized form of one non-ASCII character (possibly empty or several characters)."""
    if char in _CHAR_MAP:
        return _CHAR_MAP[char]
    if char.isspace():
        return " "
    if unicodedata.category(char) in _REMOVED_CATEGORIES:
        return ""
    base = "".join(
        part for part in unicodedata.normalize("NFKD", char) if not unicodedata.combining(part)
    )
    folded = base if base and base.isascii() else unicodedata.normalize("NFKC", char)
    folded = folded.casefold()
    folded = "".join(_CHAR_MAP.get(part, part) for part in folded)
    for ascii_space in _ASCII_AS_SPACE:
        folded = folded.replace(ascii_space, " ")
    return folded


@dataclass(frozen=True)
class NormalizedText:
    """Normalized text plus the edits that map its offsets back to the source text."""

    text: str
    source: str
    edits: tuple[tuple[int, int, int, int], ...] = ()
    """``(norm_start, norm_end, source_start, source_end)`` where lengths differ, in order."""
    _edit_starts: tuple[int, ...] = field(default=(), repr=False)

    def source_offset(self, offset: int) -> int:
        """Source offset of a normalized start offset (a folded character maps to its start)."""
        index = bisect.bisect_right(self._edit_starts, offset) - 1
        if index < 0:
            return offset
        _norm_start, norm_end, source_start, source_end = self.edits[index]
        if offset < norm_end:
            return source_start
        return source_end + (offset - norm_end)

    def source_end(self, offset: int) -> int:
        """Source offset of a normalized end offset (exclusive)."""
        index = bisect.bisect_left(self._edit_starts, offset) - 1
        if index < 0:
            return offset
        _norm_start, norm_end, _source_start, source_end = self.edits[index]
        if offset <= norm_end:
            return source_end
        return source_end + (offset - norm_end)

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """The source span of a normalized span."""
        return self.source_offset(start), max(self.source_offset(start), self.source_end(end))


def normalize(text: str) -> NormalizedText:
    """Fold ``text`` for matching (see the module docstring) and keep the way back.

    Every step runs at C speed: the distinct non-ASCII characters are found by deleting the
    ASCII bytes; characters folded to one character are replaced in place; only the
    occurrences of characters whose fold has another length (zero-width characters,
    ligatures) are visited one by one, and each leaves an edit for the offset map.
    """
    if text.isascii():
        folded = text.lower()
        for ascii_space in _ASCII_AS_SPACE:
            if ascii_space in folded:
                folded = folded.replace(ascii_space, " ")
        return NormalizedText(folded, text)
    encoded = text.encode("utf-8", "surrogatepass")
    distinct = set(encoded.translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass"))
    folds = {char: fold_character(char) for char in distinct}
    resized = sorted(char for char, fold in folds.items() if len(fold) != 1)
    edits: list[tuple[int, int, int, int]] = []
    folded = text
    if resized:
        pieces: list[str] = []
        position = 0
        shift = 0
        pattern = re.compile("[" + "".join(re.escape(char) for char in resized) + "]")
        for found in pattern.finditer(text):
            start = found.start()
            fold = folds[found.group()]
            pieces.append(text[position:start])
            pieces.append(fold)
            edits.append((start + shift, start + shift + len(fold), start, start + 1))
            shift += len(fold) - 1
            position = start + 1
        pieces.append(text[position:])
        folded = "".join(pieces)
    retyped = {char: fold for char, fold in folds.items() if len(fold) == 1 and fold != char}
    if len(retyped) > 64:
        table: dict[int, str | int | None] = {ord(char): one for char, one in retyped.items()}
        folded = folded.translate(table)
    else:
        for char, one in retyped.items():
            folded = folded.replace(char, one)
    # bytes.lower() touches ASCII letters only; what is left of non-ASCII is already folded.
    folded = folded.encode("utf-8", "surrogatepass").lower().decode("utf-8", "surrogatepass")
    for ascii_space in _ASCII_AS_SPACE:
        if ascii_space in folded:
            folded = folded.replace(ascii_space, " ")
    return NormalizedText(folded, text, tuple(edits), tuple(edit[0] for edit in edits))


_ASCII_BYTES = bytes(range(128))


def normalize_phrase(phrase: str) -> str:
    """A phrase as the matcher sees it, with whitespace runs collapsed to one space."""
    return " ".join(normalize(phrase).text.split())


# --------------------------------------------------------------------------------------------
# Catalogues
# --------------------------------------------------------------------------------------------


class CatalogueError(ValueError):
    """A catalogue file that does not follow the documented format."""


@dataclass(frozen=True)
class Entry:
    """One catalogue entry: a rule id with its patterns and how to judge their context."""

    id: str
    severity: Severity
    kind: Kind
    reason: str
    advice: str
    patterns: tuple[str, ...]
    triggers: tuple[str, ...]
    examples: tuple[str, ...] = ()
    lookback: int = 0
    """How many tokens before a trigger a match of this entry may begin."""
    lookback_by_trigger: tuple[tuple[str, int], ...] = ()
    """Per-trigger exceptions to ``lookback``."""
    quote_to: str | None = None
    """Optional regex that extends the quoted excerpt past the match (e.g. to a URL's end)."""
    regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)
    quote_regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def lookback_for(self, trigger: str) -> int:
        """How many tokens before this trigger (one of ``triggers``) a match may begin."""
        return dict(self.lookback_by_trigger).get(trigger, self.lookback)

    @property
    def family(self) -> str:
        """The rule family, e.g. ``AUTHORITY``."""
        return self.id.split("-", 1)[0]


@dataclass(frozen=True)
class ContextRules:
    """The catalogue's context data: negators and lead-ins, compiled."""

    claim_negators: re.Pattern[str] | None = None
    claim_post_negators: re.Pattern[str] | None = None
    readiness_negators: re.Pattern[str] | None = None
    phrase_negators: re.Pattern[str] | None = None
    imperative_leads: re.Pattern[str] | None = None
    imperative_post_nouns: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Catalogue:
    """A loaded catalogue of one rule family."""

    family: str
    advice: str
    entries: tuple[Entry, ...]
    context: ContextRules
    macros: dict[str, str] = field(default_factory=dict, compare=False)

    def entry(self, rule_id: str) -> Entry:
        """The entry with this id (KeyError when there is none)."""
        for entry in self.entries:
            if entry.id == rule_id:
                return entry
        raise KeyError(rule_id)


_MACRO = re.compile(r"\{:([a-z_]+)\}")


def compile_pattern(pattern: str, macros: dict[str, str] | None = None) -> str:
    """Expand ``{:macro}`` and turn each space outside a character class into ``\\s+``.

    `` ?`` and `` *`` become ``\\s*``; `` +`` becomes ``\\s+``; escaped characters are kept.
    """
    macros = macros or {}
    for _ in range(5):
        expanded = _MACRO.sub(lambda match: _macro(macros, match.group(1)), pattern)
        if expanded == pattern:
            break
        pattern = expanded
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            out.append(pattern[index : index + 2])
            index += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
            out.append(char)
        elif char == "[":
            in_class = True
            out.append(char)
            if pattern[index + 1 : index + 2] == "^":
                out.append("^")
                index += 1
            if pattern[index + 1 : index + 2] == "]":
                out.append("]")
                index += 1
        elif char == " ":
            following = pattern[index + 1 : index + 2]
            if following in ("?", "*"):
                out.append(r"\s*")
                index += 1
            elif following == "+":
                out.append(r"\s+")
                index += 1
            else:
                out.append(r"\s+")
        else:
            out.append(char)
        index += 1
    return "".join(out)


def _macro(macros: dict[str, str], name: str) -> str:
    if name not in macros:
        raise CatalogueError(f"unknown macro {{:{name}}}")
    return macros[name]


def _word_list_regex(words: Iterable[str]) -> re.Pattern[str] | None:
    """A regex finding any of ``words`` as whole words (word edges only where a word char is)."""
    alternatives = []
    for word in sorted({normalize_phrase(word) for word in words if word.strip()}, key=len)[::-1]:
        body = r"\s+".join(re.escape(part) for part in word.split(" "))
        # "n't" is a suffix ("isn't", "can't"): no word edge on its left.
        left = r"(?<![a-z0-9_])" if word[0].isalnum() and not word.startswith("n'") else ""
        right = r"(?![a-z0-9_])" if word[-1].isalnum() else ""
        alternatives.append(f"{left}{body}{right}")
    if not alternatives:
        return None
    return re.compile("|".join(alternatives))


def _context_rules(table: dict[str, Any], macros: dict[str, str]) -> ContextRules:
    def words(key: str) -> re.Pattern[str] | None:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise CatalogueError(f"context.{key} must be a list of phrases")
        return _word_list_regex(value)

    def after(key: str) -> re.Pattern[str] | None:
        value = table.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise CatalogueError(f"context.{key} must be a regex")
        return re.compile(r"\s*(?:" + compile_pattern(value, macros) + ")")

    leads_value = table.get("imperative_leads", [])
    if not isinstance(leads_value, list) or not all(isinstance(item, str) for item in leads_value):
        raise CatalogueError("context.imperative_leads must be a list of regexes")
    leads = "|".join(compile_pattern(lead, macros) for lead in leads_value) or "(?!)"
    opener = r"(?:[-+>#]+|[0-9]+[.)]|\[[ x]?\]|[\"'`(\[])"
    imperative_leads = re.compile(rf"(?:{opener} ?)*(?:(?:{leads})[,:!]? )*")
    return ContextRules(
        claim_negators=words("claim_negators"),
        claim_post_negators=after("claim_post_negators"),
        readiness_negators=words("readiness_negators"),
        phrase_negators=words("phrase_negators") or _word_list_regex(DEFAULT_PHRASE_NEGATORS),
        imperative_leads=imperative_leads,
        imperative_post_nouns=after("imperative_post_nouns"),
    )


DEFAULT_PHRASE_NEGATORS = ("not", "no", "never", "n't", "without")


# True between two characters that are not both word characters: matches begin and end there,
# so "deploy" in an alternation cannot stop inside "deployment". ``\b`` first: it is the cheap
# test, and it lets a scan skip the inside of words quickly.
_AT_WORD_EDGE = r"(?:\b|(?!\w))"
_AFTER_WORD_EDGE = r"(?:\b|(?<!\w))"


def build_entry(
    *,
    rule_id: str,
    severity: Severity,
    kind: Kind,
    reason: str,
    advice: str,
    patterns: Sequence[str],
    triggers: Sequence[str],
    examples: Sequence[str] = (),
    lookback: int = 0,
    lookback_by_trigger: dict[str, int] | None = None,
    quote_to: str | None = None,
    macros: dict[str, str] | None = None,
) -> Entry:
    """Check and compile one entry (raises CatalogueError with the reason when it is wrong)."""
    if not RULE_ID.fullmatch(rule_id):
        raise CatalogueError(f"{rule_id!r} is not a rule id of the form FAMILY-NNN")
    if kind not in KINDS:
        raise CatalogueError(f"{rule_id}: kind {kind!r} is not one of {', '.join(KINDS)}")
    if kind != "code" and (not patterns or not triggers):
        raise CatalogueError(f"{rule_id}: an entry needs patterns and triggers")
    by_trigger = dict(lookback_by_trigger or {})
    for value in (lookback, *by_trigger.values()):
        if not 0 <= value <= MAX_LOOKBACK:
            raise CatalogueError(f"{rule_id}: lookback must be 0 to {MAX_LOOKBACK}")
    if not set(by_trigger) <= set(triggers):
        raise CatalogueError(f"{rule_id}: lookback_by_trigger names a trigger it does not have")
    for pattern in patterns:
        if re.search(r"(?<!\\)[A-Z]", re.sub(r"\\.", "", pattern)):
            raise CatalogueError(f"{rule_id}: patterns see lower-case text; {pattern!r}")
    try:
        compiled = [compile_pattern(pattern, macros) for pattern in patterns]
        body = "|".join(f"(?:{part})" for part in compiled)
        regex = (
            re.compile(f"{_AT_WORD_EDGE}(?:{body}){_AFTER_WORD_EDGE}", re.M) if compiled else None
        )
        quote_regex = re.compile(compile_pattern(quote_to, macros)) if quote_to else None
    except re.error as error:
        raise CatalogueError(f"{rule_id}: a pattern does not compile: {error}") from error
    return Entry(
        id=rule_id,
        severity=severity,
        kind=kind,
        reason=reason,
        advice=advice,
        patterns=tuple(patterns),
        triggers=tuple(trigger.lower() for trigger in triggers),
        examples=tuple(examples),
        lookback=lookback,
        lookback_by_trigger=tuple(sorted(by_trigger.items())),
        quote_to=quote_to,
        regex=regex,
        quote_regex=quote_regex,
    )


def parse_catalogue(text: str, name: str = "catalogue") -> Catalogue:
    """Parse and compile a catalogue from TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CatalogueError(f"{name}: not valid TOML: {error}") from error
    family = data.get("family")
    if not isinstance(family, str) or not family.isupper():
        raise CatalogueError(f"{name}: 'family' must be an upper-case family name")
    macros = {str(key): str(value) for key, value in data.get("macros", {}).items()}
    default_advice = str(data.get("advice", ""))
    entries: list[Entry] = []
    seen: set[str] = set()
    for raw in data.get("entry", []):
        rule_id = str(raw.get("id", ""))
        if rule_id in seen:
            raise CatalogueError(f"{name}: {rule_id} appears twice")
        seen.add(rule_id)
        if not RULE_ID.fullmatch(rule_id):
            raise CatalogueError(f"{name}: {rule_id!r} is not a rule id of the form FAMILY-NNN")
        if not rule_id.startswith(family + "-"):
            raise CatalogueError(f"{name}: {rule_id} does not belong to family {family}")
        severity_name = raw.get("severity")
        if severity_name not in ("block", "error"):
            raise CatalogueError(f"{name}: {rule_id}: severity must be 'block' or 'error'")
        reason = raw.get("reason")
        if not isinstance(reason, str) or not reason or "\n" in reason:
            raise CatalogueError(f"{name}: {rule_id}: 'reason' must be one line")
        entries.append(
            build_entry(
                rule_id=rule_id,
                severity=Severity[severity_name],
                kind=raw.get("kind", "claim"),
                reason=reason,
                advice=str(raw.get("advice", default_advice)),
                patterns=[str(pattern) for pattern in raw.get("patterns", [])],
                triggers=[str(trigger) for trigger in raw.get("triggers", [])],
                examples=[str(example) for example in raw.get("examples", [])],
                lookback=int(raw.get("lookback", 0)),
                lookback_by_trigger={
                    str(key): int(value)
                    for key, value in raw.get("lookback_by_trigger", {}).items()
                },
                quote_to=raw.get("quote_to"),
                macros=macros,
            )
        )
    context = _context_rules(data.get("context", {}), macros)
    return Catalogue(family, default_advice, tuple(entries), context, macros)


@cache
def load_catalogue(name: str) -> Catalogue:
    """A catalogue shipped as package data, e.g. ``load_catalogue("authority")``."""
    resource = resources.files("relay_tui.core").joinpath("patterns", f"{name}.toml")
    return parse_catalogue(resource.read_text(encoding="utf-8"), f"{name}.toml")


# --------------------------------------------------------------------------------------------
# Triggers: the fast first pass
# --------------------------------------------------------------------------------------------

_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_")
_TO_WORD_SPACE = bytes(code if code in _WORD_BYTES else 32 for code in range(256))


def _is_word_trigger(trigger: str) -> bool:
    return bool(trigger) and all(
        char.isascii() and (char.isalnum() or char == "_") for char in trigger
    )


def _trie_regex(words: Iterable[str]) -> str:
    """A regex alternation shaped like a trie (fast in ``re``: one branch per first letter)."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + emit(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


@dataclass(frozen=True)
class TriggerSet:
    """Compiled triggers: word prefixes found at word starts, and literal symbols."""

    words: tuple[str, ...]
    symbols: tuple[str, ...]
    regex: re.Pattern[bytes] | None

    @staticmethod
    def key(trigger: str) -> bytes:
        """How a hit of ``trigger`` is named: a word after its leading space, or the symbol."""
        if _is_word_trigger(trigger):
            return b" " + trigger.encode()
        return trigger.encode("ascii", "replace")

    @classmethod
    def build(cls, triggers: Iterable[str]) -> TriggerSet:
        """Split triggers into word prefixes and symbols and compile the word trie."""
        unique = sorted({trigger for trigger in triggers if trigger})
        words = tuple(trigger for trigger in unique if _is_word_trigger(trigger))
        symbols = tuple(trigger for trigger in unique if not _is_word_trigger(trigger))
        regex = re.compile((" " + _trie_regex(words)).encode()) if words else None
        return cls(words, symbols, regex)


class _Hits:
    """Trigger occurrences in offset order, found as they are needed and kept for reuse.

    Both families walk the same hits; a scan that stops early (its budget spent) leaves the
    rest of the text unsearched.
    """

    def __init__(self, source: Iterator[tuple[int, bytes]]) -> None:
        self._source = source
        self._seen: list[tuple[int, bytes]] = []
        self._lock = threading.Lock()

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        position = 0
        while True:
            if position < len(self._seen):
                yield self._seen[position]
                position += 1
                continue
            with self._lock:  # two threads may scan the same text
                if position == len(self._seen):
                    following = next(self._source, None)
                    if following is None:
                        return
                    self._seen.append(following)


class _Index:
    """What every scan of one text shares: its normalized form, bytes views and hits."""

    def __init__(self, text: str) -> None:
        self.normalized = normalize(text)
        norm = self.normalized.text
        self.bytes = norm.encode("ascii", "replace")
        self.word_bytes = b" " + self.bytes.translate(_TO_WORD_SPACE)
        self._hits: dict[TriggerSet, _Hits] = {}
        self._fences: list[tuple[int, int]] | None = None
        self._token_chunks: dict[int, list[int]] = {}

    def hits(self, triggers: TriggerSet) -> _Hits:
        """``(offset, key)`` for every trigger occurrence, in normalized offsets.

        ``key`` is ``TriggerSet.key`` of the trigger found (a word hit is the longest trigger
        that starts the word).
        """
        found = self._hits.get(triggers)
        if found is None:
            symbols: list[tuple[int, bytes]] = []
            for symbol in triggers.symbols:
                encoded = symbol.encode("ascii", "replace")
                position = self.bytes.find(encoded)
                while position != -1:
                    symbols.append((position, encoded))
                    position = self.bytes.find(encoded, position + 1)
            symbols.sort()
            words: Iterator[tuple[int, bytes]] = iter(())
            if triggers.regex is not None:
                words = (
                    (match.start(), match.group())
                    for match in triggers.regex.finditer(self.word_bytes)
                )
            found = self._hits[triggers] = _Hits(heapq.merge(words, symbols))
        return found

    def token_starts_before(self, offset: int, count: int) -> list[int]:
        """The starts of the ``count`` tokens before ``offset``, then ``offset`` itself."""
        if count == 0:
            return [offset]
        floor = max(0, offset - _CHARS_PER_TOKEN * count)
        starts: list[int] = []
        for chunk in range(floor // _TOKEN_CHUNK, offset // _TOKEN_CHUNK + 1):
            starts.extend(self._chunk_token_starts(chunk))
        low = bisect.bisect_left(starts, floor)
        high = bisect.bisect_left(starts, offset)
        return [*starts[max(low, high - count) : high], offset]

    def _chunk_token_starts(self, chunk: int) -> list[int]:
        cached = self._token_chunks.get(chunk)
        if cached is None:
            begin = chunk * _TOKEN_CHUNK
            end = min(len(self.normalized.text), begin + _TOKEN_CHUNK)
            cached = [
                match.start() for match in _TOKEN_START.finditer(self.normalized.text, begin, end)
            ]
            self._token_chunks[chunk] = cached
        return cached

    def fences(self) -> list[tuple[int, int]]:
        """Spans of fenced code blocks (fence lines included), computed once."""
        if self._fences is None:
            self._fences = _fence_ranges(self.normalized.text)
        return self._fences


# Token starts are found a chunk at a time, and only where triggers ask.
_TOKEN_CHUNK = 1024
_CHARS_PER_TOKEN = 24
# Where a token begins: a word after a non-word character, or a run of symbols after a
# word character or whitespace ("![", "<|", "###", "(").
_TOKEN_START = re.compile(r"(?<![a-z0-9_])[a-z0-9_]|(?<=[a-z0-9_\s])[^\sa-z0-9_]|\A[^\sa-z0-9_]")


@lru_cache(maxsize=4)
def _index(text: str) -> _Index:
    return _Index(text)


def normalized(text: str) -> NormalizedText:
    """``normalize(text)``, shared with the scans of the same text (cached)."""
    return _index(text).normalized


def mention_at(text: str, start: int, end: int) -> str | None:
    """Where the normalized span ``start:end`` of ``text`` is only mentioned, if it is.

    ``"a code block"``, ``"a code span"`` or ``"quotes"``; None when it is plain text.
    """
    return _mention(_index(text), start, end)[0]


_FENCE_RUN = re.compile(r"`+|~+")


def _fence_ranges(norm: str) -> list[tuple[int, int]]:
    """Fenced code blocks: a run of 3+ backticks or tildes opening a line, to a closing run."""
    markers: list[tuple[int, str, int]] = []
    for marker in ("```", "~~~"):
        position = norm.find(marker)
        while position != -1:
            line_start = norm.rfind("\n", 0, position) + 1
            run = _FENCE_RUN.match(norm, position)
            run_end = run.end() if run else position + len(marker)
            if position - line_start <= 3 and not norm[line_start:position].strip(" "):
                markers.append((line_start, marker[0], run_end - position))
            position = norm.find(marker, run_end)
    markers.sort()
    ranges: list[tuple[int, int]] = []
    opened: tuple[int, str, int] | None = None
    for line_start, char, length in markers:
        if opened is None:
            opened = (line_start, char, length)
        elif char == opened[1] and length >= opened[2]:
            line_end = norm.find("\n", line_start)
            ranges.append((opened[0], len(norm) if line_end == -1 else line_end))
            opened = None
    if opened is not None:
        ranges.append((opened[0], len(norm)))
    return ranges


# --------------------------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------------------------

# What ends a sentence or a clause, searched backwards with ``str.rfind`` (normalized text has
# only " " and "\n" for whitespace): (text, how much of it belongs to the break).
_SENTENCE_BREAKS = (". ", "! ", "? ", "; ", ": ", ".\n", "!\n", "?\n", ";\n", ":\n", "\n")
_CLAUSE_BREAKS = (
    *_SENTENCE_BREAKS,
    ",",
    "(",
    ") ",
    " - ",
    " -- ",
    " but ",
    " so ",
    " because ",
    " although ",
    " though ",
    " whereas ",
    " while ",
    " however ",
)
_CLAUSE_END = re.compile(r"[,;:.!?](?=\s|\Z)|\n")
_SENTENCE_END = re.compile(r"[.!?](?=\s|\Z|[\"')\]`])|\n")
_CODE_TICKS = re.compile(r"`+")
_QUOTED = re.compile(r"\"[^\"\n]*\"|(?<![a-z0-9_])'[^'\n]*'(?![a-z0-9_])")
_URL_TAIL = re.compile(r"(//[^/\s?#)\"'>\]]+)[^\s)\"'>\]]+")
_LOOK_BACK = 300
_MENTION_REACH = 2000


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


@dataclass
class ScanBudget:
    """Work left for the scans of one report (see SCAN_BUDGET)."""

    remaining: int = SCAN_BUDGET
    stopped_at: int | None = None
    """Source offset (in the segment's text) of the first trigger left unexamined."""


@dataclass(frozen=True)
class PhraseMatch:
    """One judged match in one text."""

    entry: Entry
    severity: Severity
    start: int
    """Offset in the source text (the segment's text) where the match begins."""
    end: int
    mentioned: str | None = None
    """Where the phrase was only mentioned ("quotes", "a code span", "a code block")."""
    source: str = field(default="", repr=False)
    """The text the offsets refer to."""
    quote_end: int = -1
    """Where the quoted excerpt ends (past ``end`` when the entry has ``quote_to``)."""

    @property
    def quote(self) -> str:
        """The matched words as written, sanitized, capped, URLs cut after the host."""
        end = self.quote_end if self.quote_end >= 0 else self.end
        return quote_excerpt(self.source[self.start : end])

    @property
    def message(self) -> str:
        """The finding message: reason, quoted words, advice."""
        return finding_message(self.entry, self.quote, self.mentioned)


def finding_message(entry: Entry, quote: str, mentioned: str | None = None) -> str:
    """``<reason>: "<quote>" — <advice>.``, saying where a phrase was only mentioned."""
    reason = entry.reason
    if mentioned:
        reason = f"{reason} (only mentioned, in {mentioned})"
    advice = f" — {entry.advice}." if entry.advice else "."
    return f'{reason}: "{quote}"{advice}'


def quote_excerpt(text: str, limit: int = QUOTE_LIMIT) -> str:
    """Untrusted words made safe to quote: one line, sanitized, capped, URLs cut after host."""
    text = text[: limit * 8]
    text = re.sub(r"[ \t\n]+", " ", text).strip(" ")
    text = _URL_TAIL.sub(r"\1/…", text)
    return sanitize_line(text, limit)


class Matcher:
    """Applies catalogue entries to text and judges each match's context."""

    def __init__(
        self,
        catalogue: Catalogue,
        *,
        extra_entries: Sequence[Entry] = (),
        disabled: Iterable[str] = (),
    ) -> None:
        skip = set(disabled)
        self.catalogue = catalogue
        self.context = catalogue.context
        self.entries: tuple[Entry, ...] = tuple(
            entry
            for entry in (*catalogue.entries, *extra_entries)
            if entry.regex is not None and entry.id not in skip and entry.family not in skip
        )
        builtin = [entry for entry in self.entries if entry in catalogue.entries]
        extra = [entry for entry in self.entries if entry not in catalogue.entries]
        self._groups: list[tuple[TriggerSet, dict[bytes, tuple[list[tuple[Entry, int]], int]]]] = []
        if builtin:
            self._groups.append((_builtin_triggers(), _by_trigger(builtin)))
        if extra:
            triggers = TriggerSet.build(t for entry in extra for t in entry.triggers)
            self._groups.append((triggers, _by_trigger(extra)))

    # -- scanning ------------------------------------------------------------------------

    def scan(
        self, text: str, *, exhaustive: bool = False, budget: ScanBudget | None = None
    ) -> list[PhraseMatch]:
        """Every judged match in ``text``, in order, one per place (the most severe wins).

        Each trigger occurrence is tried with ``regex.match`` at the trigger and at the few
        token starts before it that the entry's ``lookback`` allows; a match must contain its
        trigger. ``exhaustive`` instead runs every entry over the whole text with
        ``finditer`` (slow; the tests use it to show that the triggers miss nothing).
        When ``budget`` runs out the scan stops; ``budget.stopped_at`` says where.
        """
        budget = budget or ScanBudget()
        index = _index(text)
        norm = index.normalized.text
        found: dict[tuple[str, int, int], PhraseMatch | None] = {}

        def consider(entry: Entry, start: int, end: int) -> None:
            key = (entry.id, start, end)
            if start < end and key not in found:
                budget.remaining -= JUDGE_COST
                found[key] = self._judge(entry, index, start, end)

        # A start tried once for an entry is not tried again for a later trigger nearby: its
        # result is remembered (the end of the match there, or -1).
        tried: dict[tuple[str, int], int] = {}
        if exhaustive:
            for entry in self.entries:
                assert entry.regex is not None
                for match in entry.regex.finditer(norm):
                    consider(entry, match.start(), match.end())
        else:
            for triggers, by_trigger in self._groups:
                for offset, trigger in index.hits(triggers):
                    runs = by_trigger.get(trigger)
                    if runs is None:
                        continue
                    if budget.remaining <= 0:
                        budget.stopped_at = index.normalized.source_offset(offset)
                        return _most_severe_per_place(
                            [match for match in found.values() if match is not None]
                        )
                    budget.remaining -= 1
                    entries, lookback = runs
                    starts = index.token_starts_before(offset, lookback)
                    limit = min(len(norm), offset + MATCH_REACH)
                    for entry, entry_lookback in entries:
                        assert entry.regex is not None
                        for start in starts[max(0, len(starts) - entry_lookback - 1) :]:
                            end = tried.get((entry.id, start))
                            if end is None:
                                budget.remaining -= 1
                                anchored = entry.regex.match(norm, start, limit)
                                end = tried[(entry.id, start)] = (
                                    -1 if anchored is None else anchored.end()
                                )
                            if end > offset:
                                consider(entry, start, end)
        return _most_severe_per_place([match for match in found.values() if match is not None])

    # -- context -------------------------------------------------------------------------

    def _judge(self, entry: Entry, index: _Index, start: int, end: int) -> PhraseMatch | None:
        norm = index.normalized.text
        if start > 0 and _is_word_char(norm[start]) and _is_word_char(norm[start - 1]):
            return None
        if end < len(norm) and _is_word_char(norm[end - 1]) and _is_word_char(norm[end]):
            return None
        mentioned, inner_start, inner_end = _mention(index, start, end)
        if not self._context_allows(entry, norm, start, end, inner_start, inner_end):
            return None
        severity = Severity.warning if mentioned else entry.severity
        source_start, source_end = index.normalized.source_span(start, end)
        quote_end = source_end
        if entry.quote_regex is not None:
            extension = entry.quote_regex.match(norm, end, min(len(norm), end + 300))
            if extension:
                quote_end = index.normalized.source_end(extension.end())
        return PhraseMatch(
            entry=entry,
            severity=severity,
            start=source_start,
            end=source_end,
            mentioned=mentioned,
            source=index.normalized.source,
            quote_end=quote_end,
        )

    def _context_allows(
        self, entry: Entry, norm: str, start: int, end: int, inner_start: int, inner_end: int
    ) -> bool:
        kind = entry.kind
        if kind in ("instruction", "marker", "code"):
            return True
        context = self.context
        if kind == "phrase":
            clause = norm[_last_break(_CLAUSE_BREAKS, norm, inner_start, start) : start]
            return not (context.phrase_negators and context.phrase_negators.search(clause))
        sentence_start = _last_break(_SENTENCE_BREAKS, norm, inner_start, start)
        if _is_question(norm, end, inner_end):
            return False
        if kind in ("imperative", "status"):
            lead = " ".join(norm[sentence_start:start].split())
            leads = context.imperative_leads
            if leads is None or not leads.fullmatch(lead + " " if lead else ""):
                return False
            if kind == "status":
                rest = norm[end : _clause_end(norm, end, inner_end)]
                return not any(_is_word_char(char) for char in rest)
            post = context.imperative_post_nouns
            return not (post and post.match(norm, end, inner_end))
        clause_start = _last_break(_CLAUSE_BREAKS, norm, inner_start, start)
        words = norm[clause_start:end]
        negators = context.claim_negators if kind == "claim" else context.readiness_negators
        if negators is not None and negators.search(words):
            return False
        post = context.claim_post_negators if kind == "claim" else None
        return not (post and post.match(norm, end, inner_end))


def _builtin_triggers() -> TriggerSet:
    """One trigger set over every built-in catalogue, so one pass serves both families."""
    return _builtin_trigger_set(BUILTIN_CATALOGUES)


@cache
def _builtin_trigger_set(names: tuple[str, ...]) -> TriggerSet:
    triggers = [
        trigger
        for name in names
        for entry in load_catalogue(name).entries
        for trigger in entry.triggers
    ]
    return TriggerSet.build(triggers)


def _by_trigger(entries: Sequence[Entry]) -> dict[bytes, tuple[list[tuple[Entry, int]], int]]:
    """Trigger found -> ([(entry, lookback)], the largest lookback).

    A word found also serves every trigger that is a prefix of it ("okay" serves "ok").
    """
    builtin = _builtin_triggers()
    found_keys = {t for entry in entries for t in entry.triggers}
    found_keys.update(builtin.words, builtin.symbols)
    owners: dict[str, list[Entry]] = {}
    for entry in entries:
        for trigger in entry.triggers:
            owners.setdefault(trigger, []).append(entry)
    table: dict[bytes, tuple[list[tuple[Entry, int]], int]] = {}
    for found in found_keys:
        if _is_word_trigger(found):
            prefixes = [found[:length] for length in range(1, len(found) + 1)]
        else:
            prefixes = [found]
        lookbacks: dict[Entry, int] = {}
        for prefix in prefixes:
            if prefix != found and not _is_word_trigger(prefix):
                continue
            for entry in owners.get(prefix, ()):
                lookbacks[entry] = max(lookbacks.get(entry, 0), entry.lookback_for(prefix))
        if lookbacks:
            table[TriggerSet.key(found)] = (list(lookbacks.items()), max(lookbacks.values()))
    return table


def _last_break(breaks: tuple[str, ...], norm: str, floor: int, position: int) -> int:
    """Where the sentence or clause holding ``position`` starts (not before ``floor``).

    A break ends after its punctuation; a word break (" but ") ends after its trailing space.
    """
    start = max(floor, position - _LOOK_BACK)
    found = start
    for text in breaks:
        index = norm.rfind(text, start, position)
        if index != -1:
            end = index + (1 if text[0] in ".!?;:" and len(text) == 2 else len(text))
            found = max(found, end)
    return found


def _clause_end(norm: str, position: int, ceiling: int) -> int:
    match = _CLAUSE_END.search(norm, position, min(ceiling, position + _LOOK_BACK))
    return match.start() if match else min(ceiling, position + _LOOK_BACK)


def _is_question(norm: str, position: int, ceiling: int) -> bool:
    match = _SENTENCE_END.search(norm, position, min(ceiling, position + _LOOK_BACK))
    return match is not None and match.group() == "?"


def _mention(index: _Index, start: int, end: int) -> tuple[str | None, int, int]:
    """Where a match is only mentioned, and the bounds of that quotation (or of the text)."""
    norm = index.normalized.text
    fences = index.fences()
    nearest = bisect.bisect_right(fences, (start, len(norm))) - 1
    if nearest >= 0 and fences[nearest][0] <= start and end <= fences[nearest][1]:
        return "a code block", fences[nearest][0], fences[nearest][1]
    # Quotes and code spans are looked for on the match's line, within reach of the match.
    floor = max(0, start - _MENTION_REACH)
    line_start = norm.rfind("\n", floor, start) + 1 or floor
    line_end = norm.find("\n", end, end + _MENTION_REACH)
    line_end = min(len(norm), end + _MENTION_REACH) if line_end == -1 else line_end
    line = norm[line_start:line_end]
    if "`" in line:
        ticks = list(_CODE_TICKS.finditer(line))
        used = -1
        for position, opening in enumerate(ticks):
            if position <= used:
                continue
            closing = next(
                (
                    later
                    for later in range(position + 1, len(ticks))
                    if len(ticks[later].group()) == len(opening.group())
                ),
                None,
            )
            if closing is None:
                continue
            used = closing
            inner_start = line_start + opening.end()
            inner_end = line_start + ticks[closing].start()
            if inner_start <= start and end <= inner_end:
                return "a code span", inner_start, inner_end
    if '"' in line or "'" in line:
        for quoted in _QUOTED.finditer(line):
            inner_start = line_start + quoted.start() + 1
            inner_end = line_start + quoted.end() - 1
            if inner_start <= start and end <= inner_end:
                return "quotes", inner_start, inner_end
    return None, 0, len(norm)


def _most_severe_per_place(candidates: list[PhraseMatch]) -> list[PhraseMatch]:
    """Drop a match that overlaps one at least as severe (ties: the lower rule id wins)."""
    kept: list[PhraseMatch] = []
    cluster: list[PhraseMatch] = []
    cluster_end = -1
    for candidate in sorted(candidates, key=lambda item: (item.start, item.end)):
        if cluster and candidate.start >= cluster_end:
            kept.extend(_pick(cluster))
            cluster = []
        cluster.append(candidate)
        cluster_end = max(cluster_end, candidate.end) if len(cluster) > 1 else candidate.end
    kept.extend(_pick(cluster))
    return kept


def _pick(cluster: list[PhraseMatch]) -> list[PhraseMatch]:
    """Within overlapping matches, keep the most severe ones that do not overlap each other."""
    chosen: list[PhraseMatch] = []
    for candidate in sorted(cluster, key=lambda item: (-item.severity, item.start, item.entry.id)):
        if not any(candidate.start < other.end and other.start < candidate.end for other in chosen):
            chosen.append(candidate)
    return sorted(chosen, key=lambda item: (item.start, item.entry.id))


# --------------------------------------------------------------------------------------------
# Extra phrases from the project's config
# --------------------------------------------------------------------------------------------


def phrase_entry(
    rule_id: str, severity: Severity, phrases: Sequence[str], reason: str, advice: str
) -> Entry | None:
    """An entry matching plain phrases literally (normalized, whole words, any spacing)."""
    patterns: list[str] = []
    triggers: list[str] = []
    for phrase in phrases:
        folded = normalize_phrase(phrase)
        if not folded:
            continue
        patterns.append(" ".join(re.escape(word) for word in folded.split(" ")))
        first = folded.split(" ")[0]
        prefix = re.match(r"[a-z0-9_]+", first)
        if prefix:
            triggers.append(prefix.group())
        else:
            triggers.append(first if first.isascii() else first[:1])
    if not patterns:
        return None
    return build_entry(
        rule_id=rule_id,
        severity=severity,
        kind="phrase",
        reason=reason,
        advice=advice,
        patterns=patterns,
        triggers=triggers,
    )


class SegmentLike(Protocol):
    """What the matcher needs of a report segment (``report.TextSegment`` fits)."""

    @property
    def text(self) -> str: ...


@dataclass(frozen=True)
class SegmentMatch:
    """A judged match together with the segment it was found in."""

    rule: str
    severity: Severity
    message: str
    segment_index: int
    offset: int
    """Offset of the match in the segment's text; -1 (and segment_index -1) for a count."""


def scan_segments(
    matcher: Matcher, segments: Sequence[SegmentLike], budget: int = SCAN_BUDGET
) -> Iterator[SegmentMatch]:
    """Matches over all segments, at most MAX_FINDINGS_PER_RULE per rule, then a count.

    When the work budget runs out, the rest is not examined and an ``error`` finding of the
    catalogue's ``FAMILY-099`` entry says where the check stopped (it fails closed).
    """
    listed: dict[str, int] = {}
    overflow: dict[str, int] = {}
    work = ScanBudget(remaining=budget)
    for segment_index, segment in enumerate(segments):
        for match in matcher.scan(segment.text, budget=work):
            rule = match.entry.id
            if listed.get(rule, 0) >= MAX_FINDINGS_PER_RULE:
                overflow[rule] = overflow.get(rule, 0) + 1
                continue
            listed[rule] = listed.get(rule, 0) + 1
            yield SegmentMatch(rule, match.severity, match.message, segment_index, match.start)
        if work.stopped_at is not None:
            entry = matcher.catalogue.entry(f"{matcher.catalogue.family}-099")
            message = finding_message(
                entry, quote_excerpt(segment.text[work.stopped_at : work.stopped_at + QUOTE_LIMIT])
            )
            yield SegmentMatch(entry.id, entry.severity, message, segment_index, work.stopped_at)
            break
    for rule, count in sorted(overflow.items()):
        yield SegmentMatch(
            rule,
            Severity.info,
            f"{count} more matches of {rule} are not listed (the first "
            f"{MAX_FINDINGS_PER_RULE} are).",
            -1,
            -1,
        )
