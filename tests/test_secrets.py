"""SECRET: planted credentials are found, placeholders and ordinary report text are not.

No real-looking token is written literally in this file (scanners and push protection would flag
it): every fake secret is built at run time from a split prefix and seeded random characters.
The factories and the clean-report generator are shared with benchmarks/bench_secrets.py.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import random
import string
import uuid
from collections.abc import Callable

import pytest

from relay_tui.core.models import Config, Finding, RuleSettings
from relay_tui.core.report import parse_report
from relay_tui.core.rules.base import RuleContext
from relay_tui.core.rules.secret import check_secrets
from relay_tui.core.secrets import (
    _read_entry,
    catalogue,
    find_secrets,
    redact_secrets,
    secret_fingerprint,
    shannon_entropy,
)

ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "_-"
UPPER_DIGITS = string.ascii_uppercase + string.digits


def chars(rng: random.Random, count: int, alphabet: str = ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(count))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# --- fake secrets: (text to plant, the exact substring that must be redacted, rule id) -------

Plant = tuple[str, str, str]


def fake_aws_key_id(rng: random.Random) -> Plant:
    prefix = rng.choice(["AK" + "IA", "AS" + "IA"])
    secret = prefix + chars(rng, 16, string.ascii_uppercase + "234567")
    return f"The deploy script exported {secret} before the upload.", secret, "SECRET-002"


def fake_aws_secret(rng: random.Random) -> Plant:
    secret = chars(rng, 40, ALNUM + "/+")
    key = rng.choice(["aws_secret_access_key = ", "AWS_SECRET_ACCESS_KEY=", "SecretAccessKey: "])
    return f"{key}{secret}", secret, "SECRET-003"


def _github(prefix: str, rule: str) -> Callable[[random.Random], Plant]:
    def make(rng: random.Random) -> Plant:
        secret = prefix[:2] + prefix[2:] + chars(rng, 36)
        return f"git push used the token {secret} from the keyring.", secret, rule

    return make


def fake_github_fine_grained(rng: random.Random) -> Plant:
    secret = "github" + "_pat_" + chars(rng, 22) + "_" + chars(rng, 59)
    return f"GH_TOKEN={secret} gh pr list", secret, "SECRET-009"


def fake_openai_project(rng: random.Random) -> Plant:
    middle = "T3Blbk" + "FJ"
    secret = "sk-" + "proj-" + chars(rng, 74, URLSAFE) + middle + chars(rng, 74, URLSAFE)
    return f'client = OpenAI(api_key="{secret}")', secret, "SECRET-011"


def fake_openai_legacy(rng: random.Random) -> Plant:
    secret = "sk-" + chars(rng, 20) + "T3Blbk" + "FJ" + chars(rng, 20)
    return f"The old key {secret} still worked.", secret, "SECRET-012"


def fake_anthropic(rng: random.Random) -> Plant:
    secret = "sk-" + "ant-" + "api03-" + chars(rng, 93, URLSAFE) + "AA"
    return f"ANTHROPIC_API_KEY: {secret}", secret, "SECRET-010"


def fake_slack_bot(rng: random.Random) -> Plant:
    kind = rng.choice(["b", "p", "a"])
    digits = string.digits
    secret = "xox" + kind + "-" + chars(rng, 11, digits) + "-" + chars(rng, 13, digits)
    secret += "-" + chars(rng, 24)
    return f"The bot posted with {secret}.", secret, "SECRET-013"


def fake_slack_app(rng: random.Random) -> Plant:
    secret = "xa" + "pp-1-A" + chars(rng, 10, UPPER_DIGITS) + "-" + chars(rng, 13, string.digits)
    secret += "-" + chars(rng, 64, "0123456789abcdef")
    return f"SLACK_APP_TOKEN={secret}", secret, "SECRET-014"


def fake_slack_webhook(rng: random.Random) -> Plant:
    secret = "https://hooks." + "slack.com/services/T" + chars(rng, 8, UPPER_DIGITS)
    secret += "/B" + chars(rng, 10, UPPER_DIGITS) + "/" + chars(rng, 24)
    return f"Notifications go to {secret} now.", secret, "SECRET-015"


def _stripe(prefix: str, rule: str) -> Callable[[random.Random], Plant]:
    def make(rng: random.Random) -> Plant:
        secret = prefix[:3] + prefix[3:] + chars(rng, rng.choice([24, 99]))
        return f"stripe.api_key = '{secret}'", secret, rule

    return make


def fake_google(rng: random.Random) -> Plant:
    secret = "AI" + "za" + chars(rng, 35, URLSAFE)
    return f"maps.js?key={secret}&callback=init", secret, "SECRET-018"


def fake_jwt(rng: random.Random) -> Plant:
    header = b64url(json.dumps({"alg": rng.choice(["HS256", "RS256"]), "typ": "JWT"}).encode())
    claims = {"sub": chars(rng, 12), "iat": rng.randrange(1_600_000_000, 1_800_000_000)}
    payload = b64url(json.dumps(claims).encode())
    secret = f"{header}.{payload}.{b64url(rng.randbytes(32))}"
    return f"The session cookie held {secret} during the test.", secret, "SECRET-019"


def fake_pem(rng: random.Random) -> Plant:
    label = rng.choice(["RSA ", "OPENSSH ", "EC ", "", "ENCRYPTED "])
    body = base64.b64encode(rng.randbytes(rng.choice([121, 300, 1190]))).decode()
    lines = "\n".join(body[index : index + 64] for index in range(0, len(body), 64))
    armor = "PRIVATE" + " KEY-----"
    secret = f"-----BEGIN {label}{armor}\n{lines}\n-----END {label}{armor}"
    return f"The fixture contained:\n\n```\n{secret}\n```\n", secret, "SECRET-001"


def fake_url_password(rng: random.Random) -> Plant:
    secret = chars(rng, rng.choice([10, 16, 24]), ALNUM + "!*")
    scheme = rng.choice(["postgres", "mysql", "redis", "https", "amqp"])
    return f"DATABASE_URL={scheme}://app_user:{secret}@db.internal:5432/app", secret, "SECRET-020"


def fake_password_assignment(rng: random.Random) -> Plant:
    secret = chars(rng, rng.choice([10, 14, 20]), ALNUM + "!@#%^&*")
    form = rng.choice(['password = "{}"', "DB_PASSWORD={}", "dbPassword: '{}'", '"password": "{}"'])
    return form.format(secret), secret, "SECRET-022"


def fake_api_key_assignment(rng: random.Random) -> Plant:
    secret = chars(rng, rng.choice([24, 32, 40]))
    form = rng.choice(["api_key: {}", "SECRET_TOKEN={}", "apiKey = '{}'", "client_secret: {}"])
    return form.format(secret), secret, "SECRET-022"


def fake_bearer(rng: random.Random) -> Plant:
    secret = chars(rng, rng.choice([32, 40, 64]), ALNUM + "._-")
    form = rng.choice(["Authorization: Bearer {}", 'curl -H "Authorization: Bearer {}" $URL'])
    return form.format(secret), secret, "SECRET-021"


FACTORIES: dict[str, Callable[[random.Random], Plant]] = {
    "aws access key id": fake_aws_key_id,
    "aws secret access key": fake_aws_secret,
    "github ghp_": _github("ghp_", "SECRET-004"),
    "github gho_": _github("gho_", "SECRET-005"),
    "github ghu_": _github("ghu_", "SECRET-006"),
    "github ghs_": _github("ghs_", "SECRET-007"),
    "github ghr_": _github("ghr_", "SECRET-008"),
    "github github_pat_": fake_github_fine_grained,
    "openai sk-proj-": fake_openai_project,
    "openai sk-": fake_openai_legacy,
    "anthropic sk-ant-": fake_anthropic,
    "slack xoxb/xoxp/xoxa": fake_slack_bot,
    "slack xapp-": fake_slack_app,
    "slack webhook": fake_slack_webhook,
    "stripe sk_live_": _stripe("sk_live_", "SECRET-016"),
    "stripe rk_live_": _stripe("rk_live_", "SECRET-017"),
    "google AIza": fake_google,
    "jwt": fake_jwt,
    "pem private key": fake_pem,
    "url with password": fake_url_password,
    "password assignment": fake_password_assignment,
    "api key / token assignment": fake_api_key_assignment,
    "authorization bearer": fake_bearer,
}

# --- clean report-like text -------------------------------------------------------------------

_WORDS = (
    "relay parser report card scope token budget secret audit chain verify rule finding message "
    "password hash key session state watcher debounce fixture snapshot widget screen binding "
    "credential label verdict outbox clipboard signature digest commit branch review"
).split()
_PATHS = (
    "relay_tui/core/report.py",
    "relay_tui/core/secrets.py",
    "relay_tui/core/rules/secret.py",
    "relay_tui/app/widgets/findings_table.py",
    "tests/test_secrets.py",
    "docs/secrets-decision.md",
    "sample_project/.relay/cards/WB-017.toml",
)
_PLACEHOLDER_LINES = (
    'api_key = os.environ["OPENAI_API_KEY"]',
    "password = os.getenv('DB_PASSWORD')",
    "token: ${GITHUB_TOKEN}",
    "SECRET_TOKEN=$SECRET_TOKEN",
    "api_key: <your-key>",
    "API_KEY=your_api_key_here",
    'password = "changeme"',
    "password: ********",
    "aws_secret_access_key = XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "token = process.env.SLACK_TOKEN",
    "DB_PASSWORD: ${{ secrets.DB_PASSWORD }}",
    "Authorization: Bearer $TOKEN",
    "Authorization: Bearer <token>",
    "postgres://user:password@localhost:5432/app",
    "redis://:changeme@localhost:6379/0",
    "client_secret = 'dummy-client-secret-value'",
    "OPENAI_API_KEY=sk-...",
    "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "api_key = 'redacted'",
    "password = 'aaaaaaaaaaaa'",
    "secret_key = settings.SECRET_KEY",
    "token = get_token(request)",
    "password_hash = '$2b$12$" + "Q" * 53 + "'",
    "max_tokens = 4096",
    'tokenizer = "cl100k_base"',
    "token_count: 123456789",
    "secret_name: prod-db-password-v2",
    "password_file = /run/secrets/db_password",
    "token_url = https://auth.example.org/oauth/token",
    "api_key: str = Field(default='', repr=False)",
    "password: SecretStr",
    "token: Optional[str] = None",
    "export GH_TOKEN=$(gh auth token)",
    "headers = {'Authorization': f'Bearer {token}'}",
    "The SECRET rule family now redacts values; secrets: 0.",
    "Token: the CLI reads GH_TOKEN from the environment.",
    "Password: none was needed.",
)


def _long_identifier(rng: random.Random) -> str:
    words = rng.sample(_WORDS, rng.randint(3, 6))
    if rng.random() < 0.5:
        return "_".join(words) + (f"_v{rng.randint(2, 9)}" if rng.random() < 0.3 else "")
    return "".join(word.capitalize() for word in words) + rng.choice(["", "V2", "Factory", "2"])


def _clean_line(rng: random.Random) -> str:
    path = rng.choice(_PATHS)
    start = rng.randint(1, 400)
    choice = rng.randrange(17)
    if choice == 0:
        end = start + rng.randint(1, 80)
        return f"- Edited `{path}` \u3010F:{path}\u2020L{start}-L{end}\u3011."
    if choice == 1:
        return f"sha256 of the report: {hashlib.sha256(rng.randbytes(16)).hexdigest()}"
    if choice == 2:
        return f"Rebased onto {rng.randbytes(20).hex()} (short {rng.randbytes(4).hex()[:7]})."
    if choice == 3:
        return f"session_id: {uuid.UUID(bytes=rng.randbytes(16))}"
    if choice == 4:
        small = json.dumps({"n": rng.randint(0, 99), "ok": True}).encode()
        return f'    payload = base64.b64decode("{base64.b64encode(small).decode()}")'
    if choice == 5:
        return f"Renamed `{_long_identifier(rng)}` to `{_long_identifier(rng)}`."
    if choice == 6:
        return rng.choice(_PLACEHOLDER_LINES)
    if choice == 7:
        return f"    {_long_identifier(rng)} = {_long_identifier(rng)}({path!r}, {start})"
    if choice == 8:
        return f"Tests: {rng.randint(10, 900)} passed, {rng.randint(0, 3)} skipped in 3.{start}s."
    if choice == 9:
        return f"See https://github.com/Textualize/textual/pull/{start * 7} and docs at https://textual.textualize.io/"
    if choice == 10:
        return f"docker pull ghcr.io/acme/relay@sha256:{hashlib.sha256(path.encode()).hexdigest()}"
    if choice == 11:
        return f"| {_long_identifier(rng)} | {rng.random():.3f} ms | {rng.randint(0, 9)} |"
    if choice == 12:
        return f"git diff {rng.randbytes(20).hex()}..HEAD -- {path}"
    if choice == 13:
        return f'"integrity": "sha512-{base64.b64encode(rng.randbytes(64)).decode()}"'
    if choice == 14:
        return f"The {rng.choice(_WORDS)} check compares the {rng.choice(_WORDS)} with the card."
    if choice == 15:
        digest = hashlib.sha256(path.encode()).hexdigest()
        return f"    assert parse_report(data, {path!r}).sha256 == {digest!r}"
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(6, 14))).capitalize() + "."


def clean_report(rng: random.Random) -> str:
    """A report-like Markdown text with no credential in it."""
    base = rng.randbytes(20).hex()
    files = ", ".join(f'"{path}"' for path in rng.sample(_PATHS, 3))
    lines = [
        "+++",
        f'workblock = "WB-{rng.randint(1, 999):03d}"',
        f'title = "{_long_identifier(rng)}"',
        'outcome = "completed"',
        f"state_revision = {rng.randint(1, 99)}",
        f'base_commit = "{base}"',
        f"files_changed = [{files}]",
        "+++",
        "",
    ]
    for section in ("Summary", "Changes", "Tests", "Open questions"):
        lines.append(f"## {section}")
        lines.append("")
        lines.extend(_clean_line(rng) for _ in range(rng.randint(3, 9)))
        if rng.random() < 0.3:
            lines.extend(["```python", *(_clean_line(rng) for _ in range(4)), "```"])
        lines.append("")
    return "\n".join(lines)


def planted_report(rng: random.Random, planted: str) -> str:
    """A clean report with ``planted`` inserted at a random line of its body."""
    lines = clean_report(rng).split("\n")
    lines.insert(rng.randint(10, len(lines)), planted)
    return "\n".join(lines)


# --- helpers ----------------------------------------------------------------------------------


def run_rule(data: bytes, name: str = "report.md", config: Config | None = None) -> list[Finding]:
    parsed = parse_report(data, name)
    ctx = RuleContext(parsed=parsed, config=config or Config(), now=dt.datetime.now(dt.UTC))
    return list(check_secrets(ctx))


def public_prefix(rule: str) -> str:
    """The fixed public prefix a message may name (``ghp_``), taken from the catalogue reason."""
    reason = next(pattern.reason for pattern in catalogue() if pattern.id == rule)
    return reason.split("(", 1)[1].split("\u2026", 1)[0] if "(" in reason else ""


def secret_windows(secret: str, rule: str, width: int = 6) -> list[str]:
    """Every ``width``-character piece of a secret that is not its public prefix or PEM armor."""
    prefix = public_prefix(rule)
    body = [line for line in secret.split("\n") if not line.startswith("-----")]
    compact = "".join("".join(body).split())
    start = len(prefix) if prefix and compact.startswith(prefix) else 0
    return [compact[index : index + width] for index in range(start, len(compact) - width + 1)]


# --- tests ------------------------------------------------------------------------------------


def test_catalogue_ids_are_unique_and_numbered() -> None:
    ids = [pattern.id for pattern in catalogue()]
    assert ids == [f"SECRET-{number:03d}" for number in range(1, len(ids) + 1)]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"regex": "ghp_("}, "SECRET-900"),
        ({"ignore_case": True, "regex": "Token=(?P<secret>.+)"}, "lowercase"),
        ({"scan": "gh", "regex": "xox-.+"}, "scan literal"),
        ({"boundary": "word"}, "boundary"),
        ({"check": "luhn"}, "check"),
    ],
)
def test_a_broken_catalogue_entry_is_named(changes: dict[str, object], problem: str) -> None:
    entry = {"id": "SECRET-900", "kind": "k", "reason": "A thing", "regex": "ghp_x+"} | changes
    with pytest.raises(ValueError, match=problem):
        _read_entry(entry, 0)


@pytest.mark.parametrize("label", list(FACTORIES))
def test_each_kind_is_found_and_redacted(label: str) -> None:
    rng = random.Random(f"plant-{label}")
    planted, secret, rule = FACTORIES[label](rng)
    text = planted_report(rng, planted)
    matches = [match for match in find_secrets(text) if text[match.start : match.end] == secret]
    assert [match.rule for match in matches] == [rule], (label, find_secrets(text))
    redacted = redact_secrets(text)
    assert secret not in redacted
    assert f"[REDACTED:{matches[0].kind}]" in redacted
    assert not any(piece in redacted for piece in secret_windows(secret, rule, width=8))


def test_recall_per_kind() -> None:
    """200 planted secrets per kind, each in its own report; every one must be found."""
    rows = []
    for label, factory in FACTORIES.items():
        rng = random.Random(f"recall-{label}")
        found = 0
        for _ in range(200):
            planted, secret, rule = factory(rng)
            text = f"Some context before.\n{planted}\nAnd after."
            found += any(
                match.rule == rule and text[match.start : match.end] == secret
                for match in find_secrets(text)
            )
        rows.append((label, found))
    print("\nrecall per kind (200 planted each)")
    for label, found in rows:
        print(f"  {label:<28} {found / 200:6.1%}")
    assert all(found == 200 for _, found in rows), rows


@pytest.mark.parametrize("line", _PLACEHOLDER_LINES)
def test_placeholders_and_descriptions_are_not_secrets(line: str) -> None:
    assert find_secrets(line) == []


@pytest.mark.parametrize(
    ("line", "flagged"),
    [
        ("token_count: a8Fk2mQ9zX4p", False),
        ("password_file: /run/s3cr3t/Pw4Xk9", False),
        ("secretsManager: arn-A8fK2mQ9zX4pL", False),
        ("api_key_env = OPENAI_KEY_2024_PROD", False),
        ("tokenizer: o200k_base_v2", False),
        ("db_password_prod = 'q8Fk2mQ9zX4p!'", True),
        ("githubToken: 'q8Fk2mQ9zX4pLr7T'", True),
        ("PASSWORD2=q8Fk2mQ9zX4p", True),
    ],
)
def test_key_names_about_a_credential_are_not_one(line: str, flagged: bool) -> None:
    assert bool(find_secrets(line)) is flagged


@pytest.mark.parametrize(
    "text",
    [
        "\u3010F:relay_tui/core/secrets.py\u2020L10-L42\u3011 and "
        "\u3010F:tests/test_secrets.py\u2020L1-L9\u3011",
        "sha256: " + hashlib.sha256(b"report").hexdigest(),
        "base_commit = '" + hashlib.sha1(b"commit").hexdigest() + "'",
        "id = " + str(uuid.UUID(int=2**127 + 12345)),
        'blob = "' + base64.b64encode(b'{"alg": "none"}').decode() + '"',
        "relay_tui/app/widgets/findings_table.py:128: FindingsTableRowFactoryV2",
        "task-" + "a1B2c3D4e5F6g7H8i9J0" * 2 + " risk-" + "Z9y8X7w6" * 5,
        "xoxo-hugs and kisses, " + "ghp_" + " is the GitHub token prefix",
        "-----BEGIN RSA PRIVATE" + " KEY-----\n...\n-----END RSA PRIVATE" + " KEY-----",
        "eyJhbGciOi is how a JWT starts; eyJ" + "x" * 10 + ".eyJ" + "y" * 10 + ".sig",
        "ssh://git@github.com:22/acme/relay.git and git@github.com:acme/relay.git",
        "http://localhost:8080/path?user=a&password=hunter2",
    ],
)
def test_ordinary_report_text_is_not_a_secret(text: str) -> None:
    assert find_secrets(text) == []


def test_false_positives_in_1000_clean_reports() -> None:
    rng = random.Random("clean-corpus")
    flagged = []
    for index in range(1000):
        text = clean_report(rng)
        for match in find_secrets(text):
            flagged.append((index, match.rule, text[match.start : match.end][:12]))
    print(f"\nfalse positives in 1,000 clean reports: {len(flagged)}")
    assert flagged == []


def test_redaction_leaves_no_secret_substring() -> None:
    rng = random.Random("redaction")
    plants = [factory(rng) for factory in FACTORIES.values()]
    text = clean_report(rng) + "\n" + "\n".join(planted for planted, _, _ in plants)
    redacted = redact_secrets(text)
    for _, secret, rule in plants:
        assert secret not in redacted
        leaked = [piece for piece in secret_windows(secret, rule, width=8) if piece in redacted]
        assert leaked == [], rule
    assert redacted.count("[REDACTED:") == len(plants)
    assert redact_secrets(redacted) == redacted


def test_findings_never_carry_the_secret() -> None:
    rng = random.Random("messages")
    for label, factory in FACTORIES.items():
        planted, secret, rule = factory(rng)
        text = planted_report(rng, planted)
        findings = run_rule(text.encode())
        assert [item.rule for item in findings] == [rule], label
        item = findings[0]
        assert item.severity.name == "block"
        assert "shown redacted and will never be copied, logged or relayed" in item.message
        assert not any(piece in item.message for piece in secret_windows(secret, rule)), label
        assert item.line is not None and item.column is not None
        line_text = text.split("\n")[item.line - 1]
        first_line = "".join(secret.split("\n")[:1])
        assert line_text[item.column - 1 :].startswith(first_line), label


def test_line_and_column_in_a_markdown_report() -> None:
    rng = random.Random("md-position")
    planted, secret, _ = fake_google(rng)
    text = "+++\ntitle = 'x'\n+++\n\n## Summary\n\nfirst line\n" + planted + "\n"
    (item,) = run_rule(text.encode())
    assert item.line == 8
    assert item.column == planted.index(secret) + 1


def test_json_segments_give_file_line_numbers() -> None:
    rng = random.Random("json")
    _, github, _ = _github("ghp_", "SECRET-004")(rng)
    _, stripe, _ = _stripe("sk_live_", "SECRET-016")(rng)
    escaped = "".join(f"\\u{ord(char):04x}" for char in stripe)
    report = {
        "workblock": "WB-001",
        "title": "t",
        "outcome": "completed",
        "state_revision": 1,
        "files_changed": ["a.py"],
    }
    head = json.dumps(report, indent=2)[:-2]
    data = (
        head + ',\n  "sections": {\n'
        '    "Summary": "all done",\n'
        f'    "Changes": "used {github} by mistake",\n'
        f'    "Tests": "key: {escaped} (escaped)"\n'
        "  }\n}\n"
    )
    lines = data.split("\n")
    changes_line = next(index for index, line in enumerate(lines, 1) if '"Changes"' in line)
    tests_line = next(index for index, line in enumerate(lines, 1) if '"Tests"' in line)
    findings = run_rule(data.encode(), "report.json")
    assert [(item.rule, item.line) for item in findings] == [
        ("SECRET-004", changes_line),
        ("SECRET-016", tests_line),
    ]
    assert findings[0].column == lines[changes_line - 1].index(github) + 1
    assert findings[1].column is None


def test_json_key_value_pair_and_pem_in_json() -> None:
    rng = random.Random("json-pairs")
    _, password, _ = fake_password_assignment(rng)
    _, pem, _ = fake_pem(rng)
    data = json.dumps({"config": {"api_key": "k" + chars(rng, 31)}, "key": pem, "p": password})
    rules = [item.rule for item in run_rule(data.encode(), "report.json")]
    assert rules == ["SECRET-022", "SECRET-001"] or sorted(rules) == ["SECRET-001", "SECRET-022"]


def test_unparseable_and_non_utf8_reports_are_still_scanned() -> None:
    rng = random.Random("broken")
    planted, _, rule = _github("gho_", "SECRET-005")(rng)
    assert [item.rule for item in run_rule(b"{ broken json " + planted.encode())] == [rule]
    assert [item.rule for item in run_rule(b"\xff\xfe" + planted.encode())] == [rule]


def test_disabled_rules_are_respected() -> None:
    rng = random.Random("disabled")
    planted_a, _, rule_a = fake_google(rng)
    planted_b, _, rule_b = fake_jwt(rng)
    data = f"{planted_a}\n{planted_b}\n".encode()
    assert [item.rule for item in run_rule(data)] == [rule_a, rule_b]
    only_b = Config(rules=RuleSettings(disabled=[rule_a]))
    assert [item.rule for item in run_rule(data, config=only_b)] == [rule_b]
    none = Config(rules=RuleSettings(disabled=["SECRET"]))
    assert run_rule(data, config=none) == []


def test_many_secrets_are_summed_up_after_the_first_fifty() -> None:
    rng = random.Random("many")
    lines = [_github("ghs_", "SECRET-007")(rng)[0] for _ in range(60)]
    findings = run_rule("\n".join(lines).encode())
    assert [item.rule for item in findings] == ["SECRET-007"] * 50 + ["SECRET-099"]
    assert findings[-1].message.startswith("10 more credentials follow")
    assert findings[-1].line == 51


def HOSTILE_REPETITIONS(size: int) -> tuple[str, ...]:  # noqa: N802 - a table, read as one
    """Texts of about ``size`` characters that repeat a secret's prefix without end."""
    return ("eyJ" * (size // 3), "sk-proj-" * (size // 8), "xoxb-" * (size // 5))


def test_hostile_repetitions_are_not_secrets() -> None:
    """Runs that would make a naive token regex rescan the rest of the text at every literal.

    Their speed is measured by ``benchmarks/bench_secrets.py`` (pathological inputs)."""
    size = 1 << 18
    for text in HOSTILE_REPETITIONS(size):
        assert find_secrets(text) == []


def test_overlapping_matches_keep_the_more_specific_rule() -> None:
    rng = random.Random("overlap")
    _, jwt, _ = fake_jwt(rng)
    _, github, _ = _github("ghp_", "SECRET-004")(rng)
    text = f"Authorization: Bearer {jwt}\napi_key = {github}\n"
    assert [match.rule for match in find_secrets(text)] == ["SECRET-019", "SECRET-004"]


def test_fingerprint_is_a_short_stable_hash() -> None:
    value = "ghp_" + "A1b2" * 9
    fingerprint = secret_fingerprint(value)
    assert fingerprint == secret_fingerprint(value.encode())
    assert fingerprint.startswith("sha256:") and len(fingerprint) == len("sha256:") + 16
    assert value not in fingerprint and fingerprint != secret_fingerprint(value + "x")


def test_entropy() -> None:
    assert shannon_entropy("") == 0.0
    assert shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("abcd") == pytest.approx(2.0)


def test_one_mebibyte_of_clean_text_has_no_secret() -> None:
    rng = random.Random("speed")
    parts: list[str] = []
    size = 0
    while size < 1 << 20:
        parts.append(clean_report(rng))
        size += len(parts[-1])
    text = "\n".join(parts)
    assert find_secrets(text) == []  # its speed: benchmarks/bench_secrets.py


@pytest.mark.parametrize(
    "text",
    [
        "AWS example key AKIA" + "IOSFODNN7EXAMPLE from the AWS docs.",
        "key = AKIA" + "1234567890ABCDEF",
        "token ghp_" + "1234567890abcdefghij1234567890abcdef",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUA\n"
        "-----END OPENSSH PRIVATE KEY-----",
    ],
)
def test_made_up_looking_credentials_are_still_credentials(text: str) -> None:
    """Only the contract's obvious placeholders are exempt; a documentation key, a sequential
    token or a short private key block is blocked (a false block costs a new report)."""
    assert find_secrets(text), text
    assert "IOSFODNN7" not in redact_secrets(text) and "b3BlbnNz" not in redact_secrets(text)
