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
``merg``, or letters apart such as ``l g t m``, which is how "L.G.T.M." reads there) at a word
start; symbol triggers such as ``![`` use ``bytes.find``; (2) at each
trigger, an entry is tried with ``regex.match`` at the trigger and at the few token starts
before it that its ``lookback`` allows, and a match must contain the trigger. Triggers are part
of the rule's definition; every entry's examples must fire, and a test shows that this scan
finds exactly what running every pattern over the whole text finds. (3) The work per report is
bounded (``scan_budget``: a base plus an allowance per character, so an ordinary report of any
size is checked to its end): text so dense in trigger words that the budget runs out gets an
``error`` finding (FAMILY-099) where the check stopped, so padding cannot hide a claim; it
fails closed.

Step (2) runs for every trigger, so it is done in ``re`` as far as it can be (``_Plan``): the
token starts before a trigger are found by one regex over the reversed text; one *probe* regex
then steps over them and tries all the trigger's entries at each, behind *guards* that check
the first characters an entry can begin with (read from the patterns' parse trees); only where
the probe matches are the entries tried one by one. An imperative is refused before its
context is read when the words before it cannot end a lead-in (``imperative_lead_ends``). Tests
show that the probes find what trying every start finds, and that the guards and the quick
lead-in test refuse nothing the full test accepts.

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
import importlib
import itertools
import operator
import re
import threading
import tomllib
import unicodedata
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
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
"""Work units per family and report, before the allowance per character (see ``scan_budget``).

A unit is about a microsecond of work. Ordinary reports use far less than the allowance: the
benchmark's 1 MiB report about 0.03 units a character, prose that uses approve, merge, deploy
and release in every sentence about 0.2. Text so dense in trigger words, claims or quotations
that it runs out is not checked further: the family reports an ``error`` (FAMILY-099), so it
fails closed, after about a second per MiB at worst (see the tests and the benchmarks).
"""
SCAN_BUDGET_PER_CHAR = 0.5
"""Work units per character of the report's text, on top of ``SCAN_BUDGET``."""
HIT_COST = 1
"""Work units of a trigger occurrence examined."""
PROBE_COST = 1
"""Work units of a probe (one regex that tries every entry of a trigger at every start), plus
one per ``PROBE_TRIES_PER_UNIT`` (entry, start) pairs it may try."""
PROBE_TRIES_PER_UNIT = 8
JUDGE_COST = 10
"""Work units of judging a match's context (a regex attempt costs 1), plus what reading its
line for quotations and code spans costs (see ``_mention``); a match refused by the first,
cheap tests (word edges; an imperative that does not open its sentence) costs 1."""
MENTION_CHARS_PER_UNIT = 2048
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
    """Normalized text plus the edits that map its offsets back to the source text.

    An edit is a source character whose fold has another length (a zero-width character
    folds to nothing, a ligature to two letters): it is kept as three numbers in arrays, so
    text with a million of them stays small.
    """

    text: str
    source: str
    edit_starts: Sequence[int] = field(default=(), compare=False, repr=False)
    """Normalized offset where each edit's fold begins, in order."""
    edit_ends: Sequence[int] = field(default=(), compare=False, repr=False)
    """Normalized offset where each edit's fold ends."""
    edit_sources: Sequence[int] = field(default=(), compare=False, repr=False)
    """Source offset of each edited character (one character each)."""

    @property
    def edits(self) -> tuple[tuple[int, int, int, int], ...]:
        """``(norm_start, norm_end, source_start, source_end)`` where lengths differ, in order."""
        return tuple(
            (norm_start, norm_end, source, source + 1)
            for norm_start, norm_end, source in zip(
                self.edit_starts, self.edit_ends, self.edit_sources, strict=True
            )
        )

    def source_offset(self, offset: int) -> int:
        """Source offset of a normalized start offset (a folded character maps to its start)."""
        index = bisect.bisect_right(self.edit_starts, offset) - 1
        if index < 0:
            return offset
        norm_end = self.edit_ends[index]
        if offset < norm_end:
            return self.edit_sources[index]
        return self.edit_sources[index] + 1 + (offset - norm_end)

    def source_end(self, offset: int) -> int:
        """Source offset of a normalized end offset (exclusive)."""
        index = bisect.bisect_left(self.edit_starts, offset) - 1
        if index < 0:
            return offset
        norm_end = self.edit_ends[index]
        source_end = self.edit_sources[index] + 1
        if offset <= norm_end:
            return source_end
        return source_end + (offset - norm_end)

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """The source span of a normalized span."""
        return self.source_offset(start), max(self.source_offset(start), self.source_end(end))


def normalize(text: str) -> NormalizedText:
    """Fold ``text`` for matching (see the module docstring) and keep the way back.

    Every step runs at C speed: the distinct non-ASCII characters are found by deleting the
    ASCII bytes; characters folded to one character are replaced in place; the text is split
    around the characters whose fold has another length (zero-width characters, ligatures),
    and each of them leaves an edit for the offset map.
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
    # bytes.lower() touches ASCII letters only (no byte of a multi-byte character is ASCII),
    # and no fold has an upper-case ASCII letter: lowering first changes nothing else.
    lowered = encoded.lower()
    resized = sorted(char for char, fold in folds.items() if len(fold) != 1)
    retyped = {char: fold for char, fold in folds.items() if len(fold) == 1 and fold != char}
    # Characters folded to one other character are replaced after the resized ones (a
    # resized one may fold to one of them). When that cannot happen, they are replaced in the
    # bytes, before decoding, which is faster (UTF-8 cannot match inside another character).
    early = (
        len(retyped) <= 64
        and not any(fold in folds for char in resized for fold in folds[char])
        and not any(one in folds for one in retyped.values())
    )
    if early:
        for char, one in retyped.items():
            lowered = lowered.replace(
                char.encode("utf-8", "surrogatepass"), one.encode("utf-8", "surrogatepass")
            )
    folded = lowered.decode("utf-8", "surrogatepass")
    edit_starts = edit_ends = edit_sources = array("q")
    if resized:
        # The resized characters' offsets, then one substitution: every loop runs in C but
        # the one that lists the offsets, so a million zero-width characters cost little.
        pattern = re.compile("[" + "".join(re.escape(char) for char in resized) + "]")
        edit_sources = array("q", [found.start() for found in pattern.finditer(folded)])
        if all(not folds[char] for char in resized):  # deleted only: the common case
            edit_starts = edit_ends = array("q", map(operator.sub, edit_sources, itertools.count()))
            folded = pattern.sub("", folded)
        else:
            lengths = array("q", [len(folds[folded[source]]) for source in edit_sources])
            before = itertools.accumulate(lengths, initial=0)  # folded text before each one
            edit_starts = array(
                "q",
                map(operator.add, map(operator.sub, edit_sources, itertools.count()), before),
            )
            edit_ends = array("q", map(operator.add, edit_starts, lengths))
            folded = pattern.sub(lambda found: folds[found.group()], folded)
    if len(retyped) > 64:
        table: dict[int, str | int | None] = {ord(char): one for char, one in retyped.items()}
        folded = folded.translate(table)
    elif not early:
        for char, one in retyped.items():
            folded = folded.replace(char, one)
    for ascii_space in _ASCII_AS_SPACE:
        # No fold makes one of them, so the bytes tell (and ``bytes.find`` is fast).
        if ascii_space.encode() in encoded:
            folded = folded.replace(ascii_space, " ")
    return NormalizedText(folded, text, edit_starts, edit_ends, edit_sources)


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
    deferrable: bool = False
    """A readiness entry whose match is a description when its sentence waits on a human
    decision (``context.readiness_deferrals``): "once the human approves, it can be merged"."""
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
    readiness_deferrals: re.Pattern[str] | None = None
    """Anywhere in the sentence: the readiness waits on a human ("once the human approves")."""
    phrase_negators: re.Pattern[str] | None = None
    imperative_leads: re.Pattern[str] | None = None
    imperative_post_nouns: re.Pattern[str] | None = None
    imperative_lead_ends: re.Pattern[str] | None = None
    """Over the reversed text, at a verb: whether what precedes it could end a lead-in.

    A quick test that ``imperative_leads`` could hold (the words before a verb are rarely
    lead-ins); None when the lead-ins are not read (see ``_lead_ends``).
    """


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
    """A regex that finds whether one of ``words`` occurs as a whole word (with a word edge
    only where the word has a word character); it is only asked ``search``: is there one?

    The alternatives are grouped by first character, each group opening with that literal
    character, so ``re`` skips ahead to those characters and tries one group there; the left
    word edge is a lookbehind over two characters, just past the first.
    """
    groups: dict[str, dict[bool, list[str]]] = {}
    for word in sorted({normalize_phrase(word) for word in words if word.strip()}, key=len)[::-1]:
        body = r"\s+".join(re.escape(part) for part in word.split(" "))
        first = re.escape(word[0])
        # "n't" is a suffix ("isn't", "can't"): no word edge on its left.
        left = word[0].isalnum() and not word.startswith("n'")
        right = r"(?![a-z0-9_])" if word[-1].isalnum() else ""
        groups.setdefault(first, {}).setdefault(left, []).append(body[len(first) :] + right)
    alternatives = []
    for first, by_edge in groups.items():
        inner = [
            (f"(?<![a-z0-9_]{first})" if left else "") + "(?:" + "|".join(rests) + ")"
            for left, rests in by_edge.items()
        ]
        alternatives.append(first + (inner[0] if len(inner) == 1 else f"(?:{'|'.join(inner)})"))
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

    def anywhere(key: str) -> re.Pattern[str] | None:
        value = table.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise CatalogueError(f"context.{key} must be a regex")
        return re.compile(r"(?<![a-z0-9_])(?:" + compile_pattern(value, macros) + r")(?![a-z0-9_])")

    leads_value = table.get("imperative_leads", [])
    if not isinstance(leads_value, list) or not all(isinstance(item, str) for item in leads_value):
        raise CatalogueError("context.imperative_leads must be a list of regexes")
    leads = "|".join(compile_pattern(lead, macros) for lead in leads_value) or "(?!)"
    opener = r"(?:[-+>#]+|[0-9]+[.)]|\[[ x]?\]|[\"'`(\[])"
    imperative_leads = re.compile(rf"(?:{opener} ?)*(?:(?:{leads})[,:!]? )*")
    lead_ends = _lead_ends(leads)
    return ContextRules(
        claim_negators=words("claim_negators"),
        claim_post_negators=after("claim_post_negators"),
        readiness_negators=words("readiness_negators"),
        readiness_deferrals=anywhere("readiness_deferrals"),
        phrase_negators=words("phrase_negators") or _word_list_regex(DEFAULT_PHRASE_NEGATORS),
        imperative_leads=imperative_leads,
        imperative_post_nouns=after("imperative_post_nouns"),
        imperative_lead_ends=lead_ends,
    )


def _lead_ends(leads: str) -> re.Pattern[str] | None:
    """A regex over the reversed text, matched where a verb starts, that fails when no lead-in
    can end there: the sentence lead ``imperative_leads`` accepts is empty, or it ends with a
    bullet or an opener (``-+>#.)]"'`([``) or ``,:!``, or with the end of a lead-in phrase.

    Whitespace before the verb is skipped; a line break, a sentence break (``.!?;:``), a
    quotation mark or the start of the judgement's window (``\\Z``) may begin an empty lead.
    """
    ends = _edge_atoms(f"(?:{leads})", backwards=True)
    if ends is None:
        return None
    whitespace = " \n\x1c\x1d\x1e\x1f"
    tails = {
        () if any(re.match(atom, char) for atom in end[:1] for char in whitespace) else end
        for end in ends
    }
    return re.compile(r"[^\S\n]*+(?:\n|[-+>#.)\]\"'`(\[,:!?;]|\Z|" + _atoms_regex(tails) + ")")


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
    deferrable: bool = False,
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
        deferrable=deferrable,
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
                deferrable=bool(raw.get("deferrable", False)),
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
# Guards: what the first (or last) characters of a match can be
# --------------------------------------------------------------------------------------------

_GUARD_WIDTH = 5
"""Characters a guard checks (five tell "signed" from "signature")."""
_GUARD_LIMIT = 5000
"""The most different beginnings a guard lists before it gives up (then there is no guard)."""


class _Unreadable(Exception):
    """A regex the guard analysis does not read (it then does without a guard)."""


@lru_cache(maxsize=512)
def _edge_atoms(
    pattern: str, width: int = _GUARD_WIDTH, backwards: bool = False
) -> frozenset[tuple[str, ...]] | None:
    """The first (``backwards``: last) ``width`` characters a match of ``pattern`` can have.

    Each tuple lists one-character regexes (a literal or a class); a shorter tuple is a whole
    match. Assertions and anchors are left out, so the tuples describe a superset of what can
    match. None when the pattern uses what this does not read (flags, back-references) or has
    too many beginnings: the caller then does without a guard. It reads the parse tree of the
    standard library's ``re`` (a private module: any surprise there also gives None).
    """
    try:
        parser: Any = importlib.import_module("re._parser")
        tree = parser.parse(pattern, re.M)
        if tree.state.flags & ~(re.M | re.U):
            return None
        names = importlib.import_module("re._constants")
        return frozenset(_Edges(names, width, backwards).sequence(tree.data))
    except Exception:  # noqa: BLE001 - any surprise means "no guard", never a wrong one
        return None


class _Edges:
    def __init__(self, names: Any, width: int, backwards: bool) -> None:
        self.names = names
        self.width = width
        self.backwards = backwards
        self.categories = {
            names.CATEGORY_DIGIT: r"\d",
            names.CATEGORY_NOT_DIGIT: r"\D",
            names.CATEGORY_SPACE: r"\s",
            names.CATEGORY_NOT_SPACE: r"\S",
            names.CATEGORY_WORD: r"\w",
            names.CATEGORY_NOT_WORD: r"\W",
        }

    def sequence(self, items: Sequence[Any]) -> set[tuple[str, ...]]:
        width = self.width
        current: set[tuple[str, ...]] = {()}
        for op, value in reversed(items) if self.backwards else items:
            if all(len(edge) >= width for edge in current):
                break
            choices = self.item(op, value)
            current = {
                edge if len(edge) >= width else (edge + choice)[:width]
                for edge in current
                for choice in choices
            }
            if len(current) > _GUARD_LIMIT:
                raise _Unreadable("too many")
        return current

    def item(self, op: Any, value: Any) -> set[tuple[str, ...]]:
        names = self.names
        if op is names.LITERAL:
            return {(_class_char(value),)}
        if op is names.NOT_LITERAL:
            return {("[^" + _class_char(value) + "]",)}
        if op is names.ANY:
            return {(".",)}
        if op is names.IN:
            return {(self.char_class(value),)}
        if op is names.BRANCH:
            found: set[tuple[str, ...]] = set()
            for branch in value[1]:
                found |= self.sequence(branch.data)
            return found
        if op is names.SUBPATTERN:
            _group, add_flags, del_flags, sub = value
            if add_flags or del_flags:
                raise _Unreadable("flags")
            return self.sequence(sub.data)
        if op is names.ATOMIC_GROUP:
            return self.sequence(value.data)
        if op in (names.MAX_REPEAT, names.MIN_REPEAT, names.POSSESSIVE_REPEAT):
            return self.repeat(*value)
        if op in (names.AT, names.ASSERT, names.ASSERT_NOT):
            return {()}
        raise _Unreadable(str(op))

    def repeat(self, low: int, high: int, sub: Any) -> set[tuple[str, ...]]:
        # Past ``low + width`` copies nothing new can begin a match.
        body = self.sequence(sub.data)
        width = self.width
        found: set[tuple[str, ...]] = set()
        copies: set[tuple[str, ...]] = {()}
        for count in range(min(high, low + width) + 1):
            if count >= low:
                found |= copies
            copies = {
                edge if len(edge) >= width else (edge + choice)[:width]
                for edge in copies
                for choice in body
            }
            if len(copies) > _GUARD_LIMIT:
                raise _Unreadable("too many")
        return found

    def char_class(self, items: Sequence[tuple[Any, Any]]) -> str:
        names = self.names
        parts: list[str] = []
        negate = ""
        for op, value in items:
            if op is names.NEGATE:
                negate = "^"
            elif op is names.LITERAL:
                parts.append(_class_char(value))
            elif op is names.RANGE:
                parts.append(_class_char(value[0]) + "-" + _class_char(value[1]))
            elif op is names.CATEGORY and value in self.categories:
                parts.append(self.categories[value])
            else:
                raise _Unreadable(str(op))
        return "[" + negate + "".join(parts) + "]"


def _class_char(code: int) -> str:
    """One character, written so it means itself in or out of a character class."""
    char = chr(code)
    if char.isalnum() or char == "_":
        return char
    return "\\" + char if char.isascii() and char.isprintable() else f"\\U{code:08x}"


def _atoms_regex(edges: Iterable[tuple[str, ...]]) -> str:
    """A regex (shaped like a trie) that matches where one of ``edges`` begins."""
    trie: dict[str, Any] = {}
    for edge in edges:
        node = trie
        for atom in edge:
            node = node.setdefault(atom, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        if "" in node:
            return ""  # a whole match may end here: nothing more is required
        branches = [atom + emit(child) for atom, child in sorted(node.items())]
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return emit(trie)


# --------------------------------------------------------------------------------------------
# Triggers: the fast first pass
# --------------------------------------------------------------------------------------------

_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_")
_TO_WORD_SPACE = bytes(code if code in _WORD_BYTES else 32 for code in range(256))


_SPACED_LETTERS = re.compile(r"[a-z0-9]( [a-z0-9])+")
"""A word trigger may also be letters apart ("l g t m"): how ``word_bytes`` shows "L.G.T.M."."""
_SPACED_LETTERS_MAX = 8
"""The most letters such a trigger may have."""


def _is_word_trigger(trigger: str) -> bool:
    """A word prefix ("approv"), or single letters apart ("l g t m", see ``_SPACED_LETTERS``)."""
    return bool(trigger) and (
        all(char.isascii() and (char.isalnum() or char == "_") for char in trigger)
        or (
            _SPACED_LETTERS.fullmatch(trigger) is not None
            and len(trigger) < 2 * _SPACED_LETTERS_MAX
        )
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
    symbol_keys: tuple[tuple[bytes, tuple[bytes, ...]], ...] = ()
    """The symbols as hit keys (ASCII, ``?`` for any other character), by first byte (which
    ``bytes.find`` finds fastest)."""

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
        keys = sorted({symbol.encode("ascii", "replace") for symbol in symbols})
        by_first = tuple(
            (first, tuple(key for key in keys if key[:1] == first))
            for first in sorted({key[:1] for key in keys})
        )
        return cls(words, symbols, regex, by_first)


class _Hits:
    """Trigger occurrences in offset order, found a chunk of text at a time as scans need them.

    Both families walk the same hits; a scan that stops early (its budget spent) leaves the
    rest of the text unsearched.
    """

    def __init__(self, index: _Index, triggers: TriggerSet) -> None:
        self._index = index
        self._triggers = triggers
        self._chunks: list[list[tuple[int, bytes]]] = []
        self._scanned = 0
        """Offset in ``word_bytes`` up to which hits are found (always at a space)."""
        self._lock = threading.Lock()

    def chunks(self) -> Iterator[list[tuple[int, bytes]]]:
        """The hits, as lists in offset order (the next list is found when it is asked for)."""
        position = 0
        while True:
            if position < len(self._chunks):
                yield self._chunks[position]
                position += 1
                continue
            with self._lock:  # two threads may scan the same text
                if position == len(self._chunks) and not self._find_more():
                    return

    def _find_more(self) -> bool:
        index = self._index
        words = index.word_bytes
        begin = self._scanned
        if begin >= len(words):
            return False
        # A chunk ends at a space of ``word_bytes``, so no word is cut: every hit starts at a
        # space and ends before the next one. Nor does it end after a word of one letter (a
        # few times at most), so letters apart ("l g t m") are not cut either.
        end = words.find(b" ", begin + _HIT_CHUNK)
        for _ in range(_SPACED_LETTERS_MAX):
            if end == -1 or words[end - 1] == 32 or words[end - 2] != 32:
                break
            end = words.find(b" ", end + 1)
        end = len(words) if end == -1 else end
        regex = self._triggers.regex
        found = (
            [(match.start(), match.group()) for match in regex.finditer(words, begin, end)]
            if regex is not None
            else []
        )
        if self._triggers.symbol_keys:
            # A word hit at space ``o`` of ``word_bytes`` (which has one leading space) names the
            # word at normalized offset ``o``; symbols are found in ``bytes``, every occurrence
            # (overlapping ones too) that starts before ``end``.
            text = index.bytes
            for first, keys in self._triggers.symbol_keys:
                position = text.find(first, begin, end)
                while position != -1:
                    found.extend((position, key) for key in keys if text.startswith(key, position))
                    position = text.find(first, position + 1, end)
            found.sort()
        self._chunks.append(found)
        self._scanned = end
        return True


_HIT_CHUNK = 1 << 16
"""Hits are found this many characters at a time (a scan that stops early looks no further)."""


class _Index:
    """What every scan of one text shares: its normalized form, bytes views and hits."""

    def __init__(self, text: str) -> None:
        self.normalized = normalize(text)
        norm = self.normalized.text
        self.bytes = norm.encode("ascii", "replace")
        self.word_bytes = b" " + self.bytes.translate(_TO_WORD_SPACE)
        self._hits: dict[TriggerSet, _Hits] = {}
        self._fences: list[tuple[int, int]] | None = None
        self._reversed_bytes: bytes | None = None

    def hits(self, triggers: TriggerSet) -> _Hits:
        """``(offset, key)`` for every trigger occurrence, in normalized offsets.

        ``key`` is ``TriggerSet.key`` of the trigger found (a word hit is the longest trigger
        that starts the word).
        """
        found = self._hits.get(triggers)
        if found is None:
            found = self._hits.setdefault(triggers, _Hits(self, triggers))
        return found

    @property
    def reversed_bytes(self) -> bytes:
        """``bytes`` backwards: the tokens before an offset are read with a forward regex."""
        if self._reversed_bytes is None:
            self._reversed_bytes = self.bytes[::-1]
        return self._reversed_bytes

    def token_starts_before(self, offset: int, count: int) -> list[int]:
        """The starts of the ``count`` tokens before ``offset``, then ``offset`` itself.

        Only tokens that start at most ``_CHARS_PER_TOKEN * count`` characters before
        ``offset`` count. A token is a run of word characters, or a run of other characters
        that are not whitespace ("![", "<|", "###", "("); the runs are read backwards from
        ``offset`` in ``reversed_bytes``.
        """
        if count == 0:
            return [offset]
        floor = max(0, offset - _CHARS_PER_TOKEN * count)
        size = len(self.bytes)
        starts: list[int] = []
        text = self.bytes
        for run in _TOKEN_BACKWARDS.finditer(self.reversed_bytes, size - offset, size - floor):
            start = size - run.end()
            if start == floor > 0 and _TO_CLASS[text[floor - 1]] == _TO_CLASS[text[floor]]:
                break  # the window cuts this run: its start lies before the window
            starts.append(start)
            if len(starts) == count:
                break
        starts.reverse()
        starts.append(offset)
        return starts

    def fences(self) -> list[tuple[int, int]]:
        """Spans of fenced code blocks (fence lines included), computed once."""
        if self._fences is None:
            self._fences = _fence_ranges(self.normalized.text)
        return self._fences


_CHARS_PER_TOKEN = 24
_WHITESPACE_BYTES = b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f "
"""The ASCII characters ``\\s`` matches in a ``str`` pattern (normalized text has no other)."""
_TO_CLASS = bytes(
    ord("a") if code in _WORD_BYTES else ord(" ") if code in _WHITESPACE_BYTES else ord("!")
    for code in range(256)
)
"""A character's class: ``a`` a word character, space for whitespace, ``!`` any other."""
# In ``bytes`` read backwards, a token: the whitespace after it, then its run of word
# characters or of other characters ("![", "<|", "###", "(").
_TOKEN_BACKWARDS_SOURCE = (
    rb"[\t\n\x0b\x0c\r\x1c-\x1f ]*+(?:[a-z0-9_]++|[^\t\n\x0b\x0c\r\x1c-\x1f a-z0-9_]++)"
)
_TOKEN_BACKWARDS = re.compile(_TOKEN_BACKWARDS_SOURCE)
# One token and the whitespace after it, forwards in normalized text.
_SKIP_TOKEN = r"(?:[a-z0-9_]++|[^\sa-z0-9_]++)\s*+"


@cache
def _walk_regex(count: int) -> re.Pattern[bytes]:
    """Over ``reversed_bytes``: up to ``count`` tokens, so its end is where they begin."""
    return re.compile(rb"(?:%s){0,%d}" % (_TOKEN_BACKWARDS_SOURCE, count))


def _index(text: str) -> _Index:
    """The shared index of ``text`` (cached: both families, and the mention and reference checks,
    read the same texts). A report is one large segment and many small ones (its front matter
    values): small texts have a cache of their own, so they never push a large one out."""
    if len(text) < _SMALL_TEXT:
        return _small_index(text)
    return _large_index(text)


_SMALL_TEXT = 1 << 16
"""Texts shorter than this many characters are cached apart from the others."""


@lru_cache(maxsize=4)
def _large_index(text: str) -> _Index:
    return _Index(text)


@lru_cache(maxsize=512)
def _small_index(text: str) -> _Index:
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
            # A fence opens its line after at most three spaces: only a line break among the
            # four characters before it (or the text's start) can begin that line.
            newline = norm.rfind("\n", max(0, position - 4), position)
            line_start = newline + 1 if newline != -1 else 0 if position <= 3 else -1
            run = _FENCE_RUN.match(norm, position)
            run_end = run.end() if run else position + len(marker)
            if line_start >= 0 and not norm[line_start:position].strip(" "):
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


class _Plan:
    """How the hits of one trigger are tried: its entries and lookback, and their probe.

    The probe is one regex over every entry of the trigger: from the earliest start the
    lookback allows it steps token by token to the trigger and, at each token start whose
    first characters could begin one of the entries (a guard), tries them all, inside ``re``.
    A hit whose probe fails needs nothing more (the common case); where it matches, the
    entries are settled there one by one and the probe goes on from the next token start
    (``_settle``). Symbol triggers (which may sit inside a run of symbols, where no token
    starts) and entries with groups of their own are tried at every start at once.
    """

    __slots__ = (
        "_patterns",
        "cost",
        "seen",
        "entries",
        "lead_ends",
        "lookback",
        "probe",
        "single",
        "span",
        "walk",
    )

    def __init__(
        self, entries: list[tuple[Entry, int]], lookback: int, key: bytes, context: ContextRules
    ) -> None:
        self.entries = tuple(entries)
        self.single = entries[0][0] if len(entries) == 1 else None
        self.lead_ends: Callable[[str], re.Match[str] | None] | None = None
        """For a single imperative or status entry: ``imperative_lead_ends.match``, tried
        before judging a match at the trigger (see ``Matcher._may_lead``)."""
        if (
            self.single is not None
            and self.single.kind in _LEAD_KINDS
            and context.imperative_lead_ends is not None
        ):
            self.lead_ends = context.imperative_lead_ends.match
        self.lookback = lookback
        self.span = _CHARS_PER_TOKEN * lookback
        """How far back the lookback reaches, in characters."""
        self.walk = _walk_regex(lookback).match if lookback else None
        self.cost = HIT_COST + PROBE_COST + (lookback + 1) * len(entries) // PROBE_TRIES_PER_UNIT
        """Work units of a hit tried with the probe."""
        self.probe: Callable[[str, int, int], re.Match[str] | None] | None = None
        self.seen = 0
        """Hits tried start by start so far (see ``ready``)."""
        patterns = tuple(entry.regex.pattern for entry, _ in entries if entry.regex is not None)
        probe_ok = (
            key.startswith(b" ")
            and len(patterns) == len(entries)
            and all(entry.regex is not None and entry.regex.groups == 0 for entry, _ in entries)
        )
        self._patterns = patterns if probe_ok else None

    def ready(self) -> Callable[[str, int, int], re.Match[str] | None] | None:
        """The probe's ``match``; None while this trigger's hits are tried start by start.

        One entry without lookback is its own probe. Otherwise the probe is compiled (which
        takes milliseconds) once the trigger has been seen ``_PROBE_AFTER`` times, so a short
        report costs no compiling.
        """
        if self.probe is None and self._patterns is not None:
            if self.single is not None and not self.lookback:
                assert self.single.regex is not None
                self.probe = self.single.regex.match
                return self.probe
            self.seen += 1
            if self.seen < _PROBE_AFTER:
                return None
            compiled = _probe_regex(self._patterns, self.lookback)
            if compiled is None:
                self._patterns = None
            else:
                self.probe = compiled.match
        return self.probe


_PROBE_AFTER = 64
"""Hits of a trigger tried start by start before its probe is compiled."""


@lru_cache(maxsize=256)
def _probe_regex(patterns: tuple[str, ...], lookback: int) -> re.Pattern[str] | None:
    """``(?:token){0,lookback}?`` then each pattern as a group: the first start (in text
    order) where any pattern matches, and by ``lastindex`` the first pattern that does."""
    alternatives = "(?:" + "|".join(f"({pattern})" for pattern in patterns) + ")"
    if not lookback:
        try:
            return re.compile(alternatives, re.M)
        except re.error:
            return None
    # A guard before all the patterns, and one before each: most token starts fail the first.
    edges = [_edge_atoms(pattern) for pattern in patterns]
    if all(found is not None for found in edges):
        union: set[tuple[str, ...]] = set()
        guards: list[str] = []
        for found in edges:
            assert found is not None
            union |= found
            guards.append(f"(?={_atoms_regex(found)})")
        alternatives = (
            f"(?={_atoms_regex(union)})(?:"
            + "|".join(
                f"{guard}({pattern})" for guard, pattern in zip(guards, patterns, strict=True)
            )
            + ")"
        )
    try:
        return re.compile(f"(?:{_SKIP_TOKEN}){{0,{lookback}}}?{alternatives}", re.M)
    except re.error:  # e.g. a project's pattern with flags of its own: try it start by start
        return None


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
        self._groups: list[tuple[TriggerSet, dict[bytes, _Plan]]] = []
        if builtin:
            self._groups.append((_builtin_triggers(), _plans(_by_trigger(builtin), self.context)))
        if extra:
            triggers = TriggerSet.build(t for entry in extra for t in entry.triggers)
            self._groups.append((triggers, _plans(_by_trigger(extra), self.context)))

    # -- scanning ------------------------------------------------------------------------

    def scan(
        self,
        text: str,
        *,
        exhaustive: bool = False,
        budget: ScanBudget | None = None,
        probes: bool = True,
    ) -> list[PhraseMatch]:
        """Every judged match in ``text``, in order, one per place (the most severe wins).

        Each trigger occurrence is tried with ``regex.match`` at the trigger and at the few
        token starts before it that the entry's ``lookback`` allows; a match must contain its
        trigger. A probe (see ``_Plan``) first rules out the occurrences where nothing can
        match; ``probes=False`` tries every start instead (the tests show both find the same).
        ``exhaustive`` instead runs every entry over the whole text with ``finditer`` (slow;
        the tests use it to show that the triggers miss nothing). When ``budget`` (by default
        ``scan_budget`` of the text's length) runs out the scan stops; ``budget.stopped_at``
        says where.
        """
        budget = budget or ScanBudget(scan_budget(len(text)))
        index = _index(text)
        norm = index.normalized.text
        found: dict[tuple[str, int, int], PhraseMatch | None] = {}

        def consider(entry: Entry, start: int, end: int) -> None:
            key = (entry.id, start, end)
            if start < end and key not in found:
                budget.remaining -= 1
                found[key] = self._judge(entry, index, start, end, budget)

        if exhaustive:
            for entry in self.entries:
                assert entry.regex is not None
                for match in entry.regex.finditer(norm):
                    consider(entry, match.start(), match.end())
        else:
            # A start tried once for an entry is not tried again for a later trigger nearby:
            # its result is remembered (the end of the match there, or -1).
            tried: dict[tuple[str, int], int] = {}
            for triggers, plans in self._groups:
                if not _scan_hits(index, triggers, plans, budget, tried, consider, probes):
                    break
        return _most_severe_per_place([match for match in found.values() if match is not None])

    # -- context -------------------------------------------------------------------------

    def _judge(
        self, entry: Entry, index: _Index, start: int, end: int, budget: ScanBudget | None = None
    ) -> PhraseMatch | None:
        norm = index.normalized.text
        if start > 0 and _is_word_char(norm[start]) and _is_word_char(norm[start - 1]):
            return None
        if end < len(norm) and _is_word_char(norm[end - 1]) and _is_word_char(norm[end]):
            return None
        if entry.kind in _LEAD_KINDS and not self._may_lead(index, start):
            return None  # the cheap test first: most verbs do not open their sentence
        if budget is not None:
            budget.remaining -= JUDGE_COST - 1  # (the tests above cost one unit)
        mentioned, inner_start, inner_end = _mention(index, start, end, budget)
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

    def _may_lead(self, index: _Index, start: int) -> bool:
        """False when no sentence start the judgement could use leaves only lead-ins before
        ``start`` (so an imperative or a status there is rejected without more work).

        The judgement's sentence start is the last break before ``start``, unless the match is
        quoted or in a code span that opens after that break: then it is just after that
        quotation mark or backtick. (A fenced block always opens at or before that break.)
        """
        leads = self.context.imperative_leads
        if leads is None:
            return False
        norm = index.normalized.text
        window = max(0, start - _LOOK_BACK)
        before = norm[window:start][::-1]
        ends = self.context.imperative_lead_ends
        if ends is not None and ends.match(before) is None:
            return False
        sentence = _last_break(_SENTENCE_BREAKS, norm, 0, start)
        if _is_lead(leads, norm[sentence:start]):
            return True
        marks = [mark.end() for mark in _QUOTE_MARK.finditer(norm, sentence, start)]
        if len(marks) > _QUOTE_MARKS_TRIED:
            return True  # the judgement itself finds the quotation, if there is one
        return any(_is_lead(leads, norm[mark:start]) for mark in marks)

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
        if _is_question(norm, end, inner_end):
            return False
        if kind in ("imperative", "status"):
            sentence_start = _last_break(_SENTENCE_BREAKS, norm, inner_start, start)
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
        # Only the words before the match: a match may hold a negator of its own ("no blockers
        # remaining for deployment", "can be merged without risk").
        words = norm[clause_start:start]
        negators = context.claim_negators if kind == "claim" else context.readiness_negators
        if negators is not None and negators.search(words):
            return False
        deferrals = context.readiness_deferrals if entry.deferrable else None
        if deferrals is not None:
            sentence = _last_break(_SENTENCE_BREAKS, norm, inner_start, start)
            if deferrals.search(norm, sentence, _sentence_end(norm, end, inner_end)):
                return False
        post = context.claim_post_negators if kind == "claim" else None
        return not (post and post.match(norm, end, inner_end))


def _plans(
    table: dict[bytes, tuple[list[tuple[Entry, int]], int]], context: ContextRules
) -> dict[bytes, _Plan]:
    return {
        key: _Plan(entries, lookback, key, context) for key, (entries, lookback) in table.items()
    }


def _scan_hits(
    index: _Index,
    triggers: TriggerSet,
    plans: dict[bytes, _Plan],
    budget: ScanBudget,
    tried: dict[tuple[str, int], int],
    consider: Callable[[Entry, int, int], None],
    probes: bool,
) -> bool:
    """Try the entries at every hit of ``triggers``; False when the budget ran out.

    This loop runs for every trigger occurrence, so it is written for speed: the common case
    (the probe finds nothing) costs two ``re`` calls. Where hits of one trigger come close
    together, the probe starts where the last one left off: ``cleared`` holds, per plan, the
    offset before which every token start from the plan's earlier probes failed.
    """
    norm = index.normalized.text
    size = len(norm)
    reversed_bytes = index.reversed_bytes if any(plan.walk for plan in plans.values()) else b""
    get_plan = plans.get
    cleared: dict[_Plan, int] = {}
    remaining = budget.remaining  # kept here, and handed over around calls that spend it
    for chunk in index.hits(triggers).chunks():
        for offset, key in chunk:
            plan = get_plan(key)
            if plan is None:
                continue
            if remaining <= 0:
                budget.remaining = remaining
                budget.stopped_at = index.normalized.source_offset(offset)
                return False
            limit = offset + MATCH_REACH
            if limit > size:
                limit = size
            probe = plan.probe if probes else None
            if probe is None and (not probes or (probe := plan.ready()) is None):
                budget.remaining = remaining - HIT_COST
                _try_every_start(plan, index, offset, limit, budget, tried, consider)
                remaining = budget.remaining
                continue
            remaining -= plan.cost
            walk = plan.walk
            if walk is None:
                found = probe(norm, offset, limit)
                if found is None:
                    continue
                group = found.lastindex or 0  # 0: the one entry's own regex
                first = found.start(group)
            else:
                floor = offset - plan.span
                walked = walk(reversed_bytes, size - offset, size if floor < 0 else size - floor)
                start = offset if walked is None else size - walked.end()
                done = cleared.get(plan, 0)
                if done > start:
                    if done > offset:
                        continue
                    start = done
                found = probe(norm, start, limit)
                if found is None:
                    cleared[plan] = offset + 1
                    continue
                group = found.lastindex or 0
                first = cleared[plan] = found.start(group)
            if first == offset and plan.single is not None:
                # One entry, matching at the trigger: the only start left to try.
                memo = (plan.single.id, offset)
                end = tried.get(memo)
                if end is None:
                    end = tried[memo] = found.end(group)
                if end > offset and (
                    plan.lead_ends is None
                    or plan.lead_ends(norm[max(0, offset - _LOOK_BACK) : offset][::-1])
                ):
                    budget.remaining = remaining
                    consider(plan.single, offset, end)  # (an imperative needs a lead-in)
                    remaining = budget.remaining
            elif first <= offset:
                budget.remaining = remaining
                _settle(plan, index, offset, limit, probe, found, budget, tried, consider)
                remaining = budget.remaining
    budget.remaining = remaining
    return True


def _try_every_start(
    plan: _Plan,
    index: _Index,
    offset: int,
    limit: int,
    budget: ScanBudget,
    tried: dict[tuple[str, int], int],
    consider: Callable[[Entry, int, int], None],
) -> None:
    """Try each entry of ``plan`` with ``regex.match`` at each start its lookback allows."""
    norm = index.normalized.text
    starts = index.token_starts_before(offset, plan.lookback)
    for entry, lookback in plan.entries:
        regex = entry.regex
        assert regex is not None
        for start in starts[max(0, len(starts) - lookback - 1) :]:
            end = tried.get((entry.id, start))
            if end is None:
                budget.remaining -= 1
                anchored = regex.match(norm, start, limit)
                end = tried[(entry.id, start)] = -1 if anchored is None else anchored.end()
            if end > offset:
                consider(entry, start, end)


def _settle(
    plan: _Plan,
    index: _Index,
    offset: int,
    limit: int,
    probe: Callable[[str, int, int], re.Match[str] | None],
    found: re.Match[str],
    budget: ScanBudget,
    tried: dict[tuple[str, int], int],
    consider: Callable[[Entry, int, int], None],
) -> None:
    """Once the probe matched: at each start where it matches, try the entries there (those
    before its group fail there, its group's entry ends where the group does), then probe
    again from the next token start; before the first such start nothing matches."""
    norm = index.normalized.text
    entries = plan.entries
    starts = index.token_starts_before(offset, plan.lookback)
    count = len(starts)
    while True:
        group = found.lastindex or 0  # 0: the one entry's own regex
        first = found.start(group)
        if first > offset:
            return
        following = bisect.bisect_right(starts, first)
        if following and starts[following - 1] == first:  # a token start the lookback allows
            for number, (entry, lookback) in enumerate(entries, 1):
                if following - 1 < count - lookback - 1:
                    continue
                end = tried.get((entry.id, first))
                if end is None:
                    if number <= (group or 1):
                        end = found.end(group) if number == (group or 1) else -1
                    else:
                        budget.remaining -= 1
                        assert entry.regex is not None
                        anchored = entry.regex.match(norm, first, limit)
                        end = -1 if anchored is None else anchored.end()
                    tried[(entry.id, first)] = end
                if end > offset:
                    consider(entry, first, end)
        if following >= count:
            return
        budget.remaining -= plan.cost - HIT_COST
        again = probe(norm, starts[following], limit)
        if again is None:
            return
        found = again


def _is_lead(leads: re.Pattern[str], text: str) -> bool:
    """Whether ``text`` (before a verb, from its sentence start) is only bullets and lead-ins."""
    lead = " ".join(text.split())
    return leads.fullmatch(lead + " " if lead else "") is not None


_QUOTE_MARK = re.compile("[\"'`]")
_QUOTE_MARKS_TRIED = 8
_LEAD_KINDS = frozenset({"imperative", "status"})


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
    Only breaks wholly inside the window (``_LOOK_BACK`` characters before ``position``, not
    before ``floor``) count. The window is searched backwards, every break written backwards,
    so the first break found is the one that ends last.
    """
    start = max(floor, position - _LOOK_BACK)
    found = _backward_breaks(breaks).search(norm[start:position][::-1])
    if found is None:
        return start
    # ". " read backwards is " .": it ends one character later in the text, after the stop.
    return position - found.start() - (1 if _is_stop(found.group()[::-1]) else 0)


@cache
def _backward_breaks(breaks: tuple[str, ...]) -> re.Pattern[str]:
    """``breaks`` as one regex over reversed text. Every alternative opens with a literal
    character, so ``re`` skips ahead to those; ". " and the like come last (at one start,
    any other break ends further on)."""
    ordered = sorted(breaks, key=_is_stop)
    return re.compile("|".join(re.escape(text[::-1]) for text in ordered))


def _is_stop(text: str) -> bool:
    """A break such as ". " whose end is after its stop, not after its whitespace."""
    return text[0] in ".!?;:" and len(text) == 2


def _sentence_end(norm: str, position: int, ceiling: int) -> int:
    """Where the sentence holding ``position`` ends (at most ``_LOOK_BACK`` further)."""
    limit = min(ceiling, position + _LOOK_BACK)
    ends = [found for mark in _SENTENCE_BREAKS if (found := norm.find(mark, position, limit)) >= 0]
    return min(ends, default=limit)


def _clause_end(norm: str, position: int, ceiling: int) -> int:
    match = _CLAUSE_END.search(norm, position, min(ceiling, position + _LOOK_BACK))
    return match.start() if match else min(ceiling, position + _LOOK_BACK)


def _is_question(norm: str, position: int, ceiling: int) -> bool:
    match = _SENTENCE_END.search(norm, position, min(ceiling, position + _LOOK_BACK))
    return match is not None and match.group() == "?"


def _mention(
    index: _Index, start: int, end: int, budget: ScanBudget | None = None
) -> tuple[str | None, int, int]:
    """Where a match is only mentioned, and the bounds of that quotation (or of the text).

    The work grows with the line around the match (up to ``_MENTION_REACH`` characters each
    way): ``budget`` is charged one unit per ``MENTION_CHARS_PER_UNIT`` characters and one per
    run of backticks or quotation read.
    """
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
    work = len(line) // MENTION_CHARS_PER_UNIT
    if "`" in line:
        ticks = list(_CODE_TICKS.finditer(line))
        work += len(ticks)
        # For each run of backticks, the next run of the same length (found in one pass).
        following: list[int | None] = [None] * len(ticks)
        seen: dict[int, int] = {}
        for position in range(len(ticks) - 1, -1, -1):
            length = len(ticks[position].group())
            following[position] = seen.get(length)
            seen[length] = position
        used = -1
        for position, opening in enumerate(ticks):
            if position <= used:
                continue
            closing = following[position]
            if closing is None:
                continue
            used = closing
            inner_start = line_start + opening.end()
            inner_end = line_start + ticks[closing].start()
            if inner_start <= start and end <= inner_end:
                _charge(budget, work)
                return "a code span", inner_start, inner_end
    if '"' in line or "'" in line:
        for quoted in _QUOTED.finditer(line):
            work += 1
            inner_start = line_start + quoted.start() + 1
            inner_end = line_start + quoted.end() - 1
            if inner_start <= start and end <= inner_end:
                _charge(budget, work)
                return "quotes", inner_start, inner_end
    _charge(budget, work)
    return None, 0, len(norm)


def _charge(budget: ScanBudget | None, work: int) -> None:
    if budget is not None:
        budget.remaining -= work


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
    """Within overlapping matches, keep the most severe ones that do not overlap each other.

    Greedily, in order of severity (most severe first), then start, then rule id: a match is
    kept unless it overlaps one kept before. The kept matches do not overlap, so sorted by
    start their ends rise too, and one ``bisect`` tells whether a match overlaps any of them.
    """
    ordered = sorted(cluster, key=lambda item: (-item.severity, item.start, item.entry.id))
    if any(item.start >= item.end for item in cluster):  # (never for a match; kept exact)
        return _pick_one_by_one(ordered)
    chosen: list[PhraseMatch] = []  # in the order they were kept
    kept: list[PhraseMatch] = []  # the same, by start
    starts: list[int] = []
    ends: list[int] = []
    for _severity, group in itertools.groupby(ordered, key=lambda item: item.severity):
        # Within one severity the matches come in order of start: only the last one kept at
        # this severity can overlap the next.
        added: list[PhraseMatch] = []
        for candidate in group:
            before = bisect.bisect_left(starts, candidate.end) - 1
            if before >= 0 and ends[before] > candidate.start:
                continue
            last = added[-1] if added else None
            if last and candidate.start < last.end and last.start < candidate.end:
                continue
            added.append(candidate)
        chosen.extend(added)
        kept = sorted([*kept, *added], key=lambda item: (item.start, item.end))
        starts = [item.start for item in kept]
        ends = [item.end for item in kept]
    return sorted(chosen, key=lambda item: (item.start, item.entry.id))


def _pick_one_by_one(ordered: list[PhraseMatch]) -> list[PhraseMatch]:
    chosen: list[PhraseMatch] = []
    for candidate in ordered:
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


def scan_budget(characters: int) -> int:
    """The work budget of one family over text of this many characters (see SCAN_BUDGET)."""
    return SCAN_BUDGET + int(SCAN_BUDGET_PER_CHAR * characters)


def scan_segments(
    matcher: Matcher, segments: Sequence[SegmentLike], budget: int | None = None
) -> Iterator[SegmentMatch]:
    """Matches over all segments, at most MAX_FINDINGS_PER_RULE per rule, then a count.

    ``budget`` defaults to ``scan_budget`` of the segments' length. When the work budget runs
    out, the rest is not examined and an ``error`` finding of the catalogue's ``FAMILY-099``
    entry says where the check stopped (it fails closed).
    """
    listed: dict[str, int] = {}
    overflow: dict[str, int] = {}
    if budget is None:
        budget = scan_budget(sum(len(segment.text) for segment in segments))
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
