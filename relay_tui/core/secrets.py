"""Finding credentials in untrusted text, redacting them, and fingerprinting them for the audit."""

from __future__ import annotations

import base64
import binascii
import bisect
import functools
import hashlib
import json
import math
import operator
import re
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

CATALOGUE_PATH = Path(__file__).parent / "patterns" / "secrets.toml"

Boundary = Literal["alnum", "camel", "none"]
PlaceholderMode = Literal["token", "value", "none"]


@dataclass(frozen=True)
class SecretMatch:
    """One credential found in a text: its kind, its catalogue rule and its span."""

    kind: str
    rule: str
    start: int
    end: int


@dataclass(frozen=True)
class SecretPattern:
    """One catalogue entry (``patterns/secrets.toml`` says what each field means)."""

    id: str
    kind: str
    reason: str
    sources: tuple[str, ...]
    """The regex, or one regex per key, as written."""
    scan: str | None
    ignore_case: bool
    boundary: Boundary
    min_length: int
    min_entropy: float
    placeholders: PlaceholderMode
    assignment: bool
    check: str | None
    priority: int
    """Place in the catalogue; where matches overlap the lower one wins."""


@dataclass(frozen=True)
class _Member:
    """One catalogue regex inside a scan (its group names there carry a suffix)."""

    pattern: SecretPattern
    secret_groups: tuple[int, ...]
    """Groups holding the span to redact (the first that matched); without one, the match."""
    groups: dict[str, int]
    """The member's own group names -> their numbers in the scan regex."""


@dataclass(frozen=True)
class _Scan:
    """One regex pass over the text: a scan literal, then each member as a named alternative."""

    regex: re.Pattern[str]
    ignore_case: bool
    members: dict[str, _Member]
    """Outer group name (what ``match.lastgroup`` reports) -> the member that matched."""


_CHECKS = ("jwt", "url-password")
_GROUP = re.compile(r"\(\?P([<=])([A-Za-z_][A-Za-z0-9_]*)")


def _read_entry(entry: dict[str, Any], priority: int) -> SecretPattern:
    entry_id = str(entry.get("id", "?"))
    try:
        regex_text = str(entry["regex"])
        keys = [str(key) for key in entry.get("keys", [])]
        sources = tuple(regex_text.replace("{key}", key) for key in keys) or (regex_text,)
        scan = entry.get("scan")
        ignore_case = bool(entry.get("ignore_case", False))
        for source in sources:
            re.compile(source)
            unnamed = _GROUP.sub("", source)
            if ignore_case and unnamed != unnamed.lower():
                raise ValueError("an ignore_case entry must write its regex in lowercase")
            if scan is not None and not source.startswith(re.escape(scan)):
                raise ValueError(f"the regex must open with its scan literal {scan!r}")
        if scan is not None and keys:
            raise ValueError("an entry has keys or a scan literal, not both")
        boundary = entry.get("boundary", "alnum")
        if boundary not in ("alnum", "camel", "none"):
            raise ValueError(f"unknown boundary {boundary!r}")
        placeholders = entry.get("placeholders", "token")
        if placeholders not in ("token", "value", "none"):
            raise ValueError(f"unknown placeholders mode {placeholders!r}")
        check = entry.get("check")
        if check is not None and check not in _CHECKS:
            raise ValueError(f"unknown check {check!r}")
        return SecretPattern(
            id=entry_id,
            kind=str(entry["kind"]),
            reason=str(entry["reason"]),
            sources=sources,
            scan=None if scan is None else str(scan),
            ignore_case=ignore_case,
            boundary=boundary,
            min_length=int(entry.get("min_length", 1)),
            min_entropy=float(entry.get("min_entropy", 0.0)),
            placeholders=placeholders,
            assignment=bool(entry.get("assignment", False)),
            check=check,
            priority=priority,
        )
    except (KeyError, ValueError, re.error) as error:
        raise ValueError(f"secret catalogue entry {entry_id}: {error}") from error


def _build_scan(parts: list[tuple[SecretPattern, str]], literal: str) -> _Scan:
    """One regex: ``literal`` then each part (its literal cut off) as a named alternative."""
    alternatives: list[str] = []
    named: list[tuple[str, SecretPattern, str, set[str]]] = []
    for index, (pattern, source) in enumerate(parts):
        suffix, outer = f"_{index}", f"m{index}"
        renamed = _GROUP.sub(rf"(?P\1\2{suffix}", source)
        alternatives.append(f"(?P<{outer}>{renamed[len(re.escape(literal)) :]})")
        named.append((outer, pattern, suffix, {found[2] for found in _GROUP.finditer(source)}))
    guard = ""
    if literal and all(pattern.boundary == "alnum" for pattern, _ in parts):
        # the boundary, checked in the regex: a literal inside a run fails in one step instead
        # of scanning the run again from each literal (quadratic on "eyJeyJeyJ…")
        guard = f"(?<![A-Za-z0-9]{re.escape(literal)})"
    regex = re.compile(re.escape(literal) + guard + "(?:" + "|".join(alternatives) + ")")
    members: dict[str, _Member] = {}
    for outer, pattern, suffix, names in named:
        numbers = {name: regex.groupindex[name + suffix] for name in names}
        secret_names = sorted(name for name in names if re.fullmatch(r"secret\d*", name))
        members[outer] = _Member(
            pattern=pattern,
            secret_groups=tuple(numbers[name] for name in secret_names),
            groups=numbers,
        )
    return _Scan(regex=regex, ignore_case=parts[0][0].ignore_case, members=members)


@functools.cache
def catalogue() -> tuple[SecretPattern, ...]:
    """The secret catalogue, read once; earlier entries win where matches overlap."""
    with CATALOGUE_PATH.open("rb") as handle:
        data = tomllib.load(handle)
    patterns = tuple(
        _read_entry(entry, priority) for priority, entry in enumerate(data.get("secret", []))
    )
    ids = [pattern.id for pattern in patterns]
    if len(set(ids)) != len(ids):
        raise ValueError("secret catalogue: rule ids must be unique")
    return patterns


@functools.cache
def _scans() -> tuple[_Scan, ...]:
    """The compiled regex passes: entries sharing a scan literal share one pass."""
    scans: list[_Scan] = []
    shared: dict[str, list[tuple[SecretPattern, str]]] = {}
    for pattern in catalogue():
        if pattern.scan is None:
            scans.extend(_build_scan([(pattern, source)], "") for source in pattern.sources)
        else:
            shared.setdefault(pattern.scan, []).append((pattern, pattern.sources[0]))
    for literal, parts in shared.items():
        if len({pattern.ignore_case for pattern, _ in parts}) > 1:
            raise ValueError(f"secret catalogue: scan {literal!r} mixes ignore_case")
        scans.append(_build_scan(parts, literal))
    return tuple(scans)


@functools.cache
def pattern_for(rule: str) -> SecretPattern:
    """The catalogue entry of a rule id such as ``SECRET-004``."""
    for pattern in catalogue():
        if pattern.id == rule:
            return pattern
    raise KeyError(rule)


#: ``c * log2(c)`` for small character counts, looked up instead of computed.
_COUNT_LOG = [0.0] + [count * math.log2(count) for count in range(1, 1024)]


def shannon_entropy(value: str) -> float:
    """Shannon entropy of ``value`` in bits per character."""
    if not value:
        return 0.0
    length = len(value)
    counts = Counter(value).values()
    # H = -sum(p log2 p) with p = count / length, rearranged to sum(count log2 count)
    if length < len(_COUNT_LOG):
        total = sum(map(_COUNT_LOG.__getitem__, counts))
    else:
        total = sum(count * math.log2(count) for count in counts)
    return max(0.0, math.log2(length) - total / length)


#: Words (any case) that mark a value a person wrote as a stand-in, not a credential.
PLACEHOLDER_WORDS = (
    "example",
    "dummy",
    "redacted",
    "placeholder",
    "changeme",
    "change_me",
    "change-me",
    "your_",
    "your-",
    "yourkey",
    "yourtoken",
    "yourpass",
    "_here",
    "-here",
    "os.environ",
    "getenv",
    "process.env",
    "import.meta.env",
    "12345678",
    "abcdefgh",
    "sample",
    "fake",
)

#: Stand-ins in a written value besides those words: runs of x in one case, masks, ellipses and
#: template syntax (``<key>``, ``${VAR}``, ``$(cmd)``, ``{{ secrets.X }}``, ``%(name)s``).
_VALUE_MARKS = re.compile(r"xxxx|XXXX|\*\*\*|\.\.\.|…|[<>]|\$\{|\$\(|\{\{|%\(")

#: A whole value that is a variable: ``%VAR%``, or ``$VAR`` in one case (``$TOKEN``, ``$db_pass``;
#: not ``$ecr3T``, which is a password).
_VALUE_VARIABLE = re.compile(r"%[A-Za-z_][A-Za-z0-9_]*%|\$(?:[A-Z_][A-Z0-9_]*|[a-z_][a-z0-9_]*)")

#: Stand-in markers inside a generated token format (``ghp_`` + 36 characters): only the
#: contract's obvious placeholders (``xxxx``, ``<your-key>``, ``${VAR}``, ``changeme``, an
#: ellipsis). A token that merely looks made up (``AKIAIOSFODNN7EXAMPLE``, ``ghp_1234…``) is
#: still blocked: a false block costs a new report, a missed credential costs a leak.
TOKEN_PLACEHOLDER_MARKS = (
    *(
        form
        for word in ("redacted", "placeholder", "changeme")
        for form in (word, word.upper(), word.capitalize())
    ),
    "xxxx",
    "XXXX",
    "your_",
    "YOUR_",
    "_here",
    "_HERE",
    "...",
    "…",
    "<",
    ">",
    "${",
    "{{",
)

#: Whole values (case-insensitive) that are words standing for a credential, not one.
PLACEHOLDER_VALUES = frozenset(
    {
        "password",
        "passwd",
        "pass",
        "pwd",
        "secret",
        "token",
        "apikey",
        "api_key",
        "api-key",
        "changeit",
        "none",
        "null",
        "undefined",
        "required",
        "optional",
        "string",
    }
)


def is_placeholder(value: str, mode: PlaceholderMode = "value") -> bool:
    """True for obvious stand-ins: ``<your-key>``, ``xxxx``, ``changeme``, ``${VAR}``, ``$VAR``…

    ``mode="value"`` is for values a person writes (``password = …``): stand-in words in any
    case. ``mode="token"`` is for the body of a generated token format: words in one case only.
    Either way a value of one or two distinct characters is a stand-in.
    """
    if mode == "none":
        return False
    if len(set(value)) <= 2:
        return True
    if mode == "token":
        return any(mark in value for mark in TOKEN_PLACEHOLDER_MARKS)
    folded = value.casefold()
    if folded in PLACEHOLDER_VALUES or any(word in folded for word in PLACEHOLDER_WORDS):
        return True
    return _VALUE_MARKS.search(value) is not None or _VALUE_VARIABLE.fullmatch(value) is not None


#: Words that, starting the rest of a key name (after the keyword, or after a separator in it),
#: make the key describe a credential rather than hold one: ``token_count``, ``password_file``,
#: ``tokenizer``, ``secretsManager``, ``api_key_env``.
_METADATA_KEY = re.compile(
    r"(?:^s?|[_.\-])(?:file|path|dir|name|id|type|len|count|size|url|uri|hash|sha|digest"
    r"|fingerprint|env|var|ttl|expir|field|header|prefix|kind|format|limit|budget|usage|max|min"
    r"|num|polic|rule|regex|pattern|store|manager|service|provider|class|label|param|arg"
    r"|option|timeout|index|offset|scope|iz|endpoint|source|strength|reset|required|valid"
    r"|check|hint|mask|schema|location|lifetime|age|rotat|refresh_interval)"
)
#: A value that is a regular expression, not a credential: ``[a-z…``, ``\d``, ``(?:``.
_REGEX_VALUE = re.compile(r"\[(?:\^?[a-zA-Z0-9]-|:alnum)|\\[dwsDWSb]|\(\?[:=!<P]")

#: Each ASCII character as its class: lowercase ``l``, uppercase ``U``, digit ``d``, other ``o``;
#: the separators ``_ - . /`` are dropped (they join words, they do not make a value random).
_CHARACTER_CLASSES = str.maketrans(
    {
        **{chr(code): "o" for code in range(128)},
        **dict.fromkeys("abcdefghijklmnopqrstuvwxyz", "l"),
        **dict.fromkeys("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "U"),
        **dict.fromkeys("0123456789", "d"),
        **dict.fromkeys("_-./", None),
    }
)
_CONSONANT_RUN = re.compile(r"[b-df-hj-np-tv-xz]{5}", re.IGNORECASE)


def looks_random(value: str) -> bool:
    """True when a value reads like a generated string or a password, not a word or a name.

    Words, identifiers (``cl100k_base``, ``ConfigLoader``, ``DB_PASSWORD``) and paths switch
    rarely between lowercase, uppercase, digits and symbols; generated tokens and real passwords
    (``Tr0ub4dor&3``) switch often. One capital before lowercase letters starts a word
    (CamelCase) and is not a switch. Random letters alone are caught by a run of five
    consonants, which words and names almost never have.
    """
    classes = value.translate(_CHARACTER_CLASSES)
    if len(classes) < 6:
        return False
    changes = sum(map(operator.ne, classes, classes[1:]))
    camel_steps = classes.count("Ul") - classes.count("UUl")
    if (changes - camel_steps) / (len(classes) - 1) >= 0.2:
        return True
    return _CONSONANT_RUN.search(value) is not None


def _jwt_header_is_json(value: str) -> bool:
    header = value.split(".", 1)[0]
    try:
        decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except (ValueError, binascii.Error):
        return False
    return isinstance(decoded, dict)


def _boundary_ok(pattern: SecretPattern, text: str, start: int) -> bool:
    if pattern.boundary == "none" or start == 0:
        return True
    before = text[start - 1]
    if pattern.boundary == "alnum":
        return not before.isalnum()
    return not before.isalpha() or (before.islower() and text[start].isupper())


def _group_span(match: re.Match[str], member: _Member, name: str) -> tuple[int, int] | None:
    """The span of a member's named group, or None when the group did not take part."""
    number = member.groups.get(name)
    if number is None:
        return None
    start, end = match.span(number)
    return None if start < 0 else (start, end)


def _accepted(text: str, match: re.Match[str], member: _Member, span: tuple[int, int]) -> bool:
    """Whether a regex match is a credential and not a placeholder, a word or metadata."""
    pattern = member.pattern
    if pattern.assignment:
        rest = _group_span(match, member, "rest")
        key_rest = match.string[rest[0] : rest[1]] if rest else ""
        if key_rest and _METADATA_KEY.search(key_rest):
            return False  # token_count, password_file: a name about the credential
    body = _group_span(match, member, "body")
    checked = text[body[0] : body[1]] if body else text[span[0] : span[1]]
    compact = "".join(checked.split())
    if len(compact) < pattern.min_length:
        return False
    if pattern.check == "url-password":
        user = _group_span(match, member, "user")
        if user is not None and text[user[0] : user[1]] == checked:
            return False  # postgres:postgres@ - a default account, not a secret
    if pattern.assignment and (
        "://" in compact or not looks_random(compact) or _REGEX_VALUE.search(compact)
    ):
        return False
    if is_placeholder(compact, pattern.placeholders):
        return False
    if pattern.check == "jwt" and not _jwt_header_is_json(text[span[0] : span[1]]):
        return False
    if pattern.min_entropy:
        # a short random value cannot reach a long one's entropy: scale the bar with the length
        threshold = min(pattern.min_entropy, 0.7 * math.log2(len(compact)))
        if shannon_entropy(compact) < threshold:
            return False
    return True


def _ascii_copy(text: str) -> str:
    """``text`` with each non-ASCII character as ``?``: the same offsets, one byte a character,
    which the regex engine scans several times faster than text holding wider characters."""
    if text.isascii():
        return text
    return text.encode("ascii", "replace").decode("ascii")


def find_secrets(text: str) -> list[SecretMatch]:
    """Every credential in ``text``: non-overlapping (earlier catalogue entries win), sorted."""
    plain = _ascii_copy(text)
    lowered = plain.lower()
    candidates: list[tuple[int, int, int, SecretPattern]] = []
    for scan in _scans():
        for match in scan.regex.finditer(lowered if scan.ignore_case else plain):
            member = scan.members[str(match.lastgroup)]
            span = match.span()
            for number in member.secret_groups:
                if match.start(number) >= 0:
                    span = match.span(number)
                    break
            if span[0] == span[1] or not _boundary_ok(member.pattern, text, match.start()):
                continue
            if _accepted(text, match, member, span):
                candidates.append((member.pattern.priority, span[0], span[1], member.pattern))
    starts: list[int] = []
    chosen: list[SecretMatch] = []
    for _, start, end, pattern in sorted(candidates, key=lambda item: (item[0], item[1])):
        index = bisect.bisect_left(starts, start)
        if index > 0 and chosen[index - 1].end > start:
            continue
        if index < len(chosen) and chosen[index].start < end:
            continue
        starts.insert(index, start)
        chosen.insert(index, SecretMatch(kind=pattern.kind, rule=pattern.id, start=start, end=end))
    return chosen


def redact_secrets(text: str) -> str:
    """``text`` with every credential replaced by ``[REDACTED:<kind>]``."""
    matches = find_secrets(text)
    if not matches:
        return text
    pieces: list[str] = []
    position = 0
    for found in matches:
        pieces.append(text[position : found.start])
        pieces.append(f"[REDACTED:{found.kind}]")
        position = found.end
    pieces.append(text[position:])
    return "".join(pieces)


def secret_fingerprint(value: str | bytes) -> str:
    """A short sha256 prefix of a secret, so the audit can keep its kind and hash, never it."""
    data = value.encode("utf-8") if isinstance(value, str) else value
    return "sha256:" + hashlib.sha256(data).hexdigest()[:16]
