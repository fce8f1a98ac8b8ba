"""Every command the README, and the pages its sections moved to, show in a shell block runs as printed and prints what it says
(issue 12, item 6): a newcomer's first hour is copying them.

The commands run in order, as a reader would, against the shared Kafka and Redis under this
test's own prefix. The README's only placeholders are words in capitals (``KEY_ID``,
``FEEDBACK_ID``), filled in here the way its comments tell the reader to; `make run`'s API
port (18787) becomes the port of the `newswatch api` the README starts. A command this file
does not know fails the test: whoever adds one to the README says here what it prints.
"""

import os
import re
import shlex
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
# The README and the pages its sections moved to (issue 12, item 7), in reading order: the
# feed commands, then the keys, API, subscriptions and feedback ones of the integrators' guide.
PAGES = ("README.md", "docs/operations/running.md", "docs/operations/feeds.md")
PAGES += ("docs/integrators.md", "docs/operations/delivery.md", "docs/console.md")
PAGES += ("docs/tags.md", "docs/command-line.md", "docs/operations/local-infrastructure.md")
PAGES += ("docs/how-it-works.md", "docs/contributing.md", "docs/operations/configuration.md")
VENV_BIN = ROOT / ".venv" / "bin"
pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.redis]

SERVE = "serve"  # a long-running server: started, seen answering, stopped at the end
ASSIGN = re.compile(r"^(?P<name>[A-Z_]+)=\$\((?P<command>.*)\)$", re.S)

# What each command prints (regular expressions, one line each), by the command's start; the
# longest start wins. Written from the README's text, not from running the commands.
EXPECTED: dict[str, list[str] | str] = {
    "newswatch feeds add": [r"^added example-org-0c87f88e$"],
    "newswatch feeds pause": [r"^paused example-org-0c87f88e$"],
    "newswatch feeds import-opml": [r"^imported 1 new feed\(s\); 0 already registered$"],
    "newswatch feeds export-opml": [r"^wrote 2 feed\(s\) to feeds\.opml$"],
    "newswatch feeds list": [r"^example-org-0c87f88e\s+paused", r"^example-net-\w+\s+active"],
    "newswatch feeds status": [r"^feed\s+state\s+last success", r"^errors by kind: "],
    "newswatch keys create": [r"^nwk_[0-9a-f]+_\S+$"],
    "newswatch keys list": [r"team=watch\s+active"],
    "newswatch keys revoke": [r"^revoked key [0-9a-f]+ of team watch$"],
    "newswatch api": SERVE,
    "curl": [r'"id":\s*"ua-strikes"', r'"kind":\s*"webhook"'],
    "newswatch subscriptions add": [r"^saved subscription watch/desk$"],
    "newswatch subscriptions update": [r"^saved subscription watch/desk$"],
    "newswatch subscriptions list": [r"^watch/desk\s+digest\s+tags=strike,arms_approval"],
    "newswatch subscriptions show": [r'"id": "desk"', r'"kind": "apprise"', r'"\*\*\*"'],
    "newswatch subscriptions deliveries": [],  # none yet: nothing, and exit 0
    "newswatch subscriptions remove": [r"^removed watch/desk$"],
    "newswatch feedback list": [r" missed_tag\s+sanctions\s+pending\s+EU adopts"],
    "newswatch feedback accept": [r"^accepted \S+ \(missed_tag sanctions, team watch\)$"],
    "newswatch feedback export": [r"^wrote 1 example\(s\) to feedback\.jsonl$"],
}
# Shown in the README, not run here, each with the reason.
NOT_RUN = {
    "make run": "tests/e2e/test_make_run.py runs it (its own Kafka and Redis)",
    "make test": "the suite this test is part of",
    "newswatch train": "minutes of CPU, and it rewrites the shipped model; "
    "tests/unit/test_train_command.py covers it",
    "newswatch eval": "half a minute per run over the 12,800 training items; "
    "tests/unit/test_evaluation.py and test_classifier_quality.py cover it",
}
# Commands that need Kafka or Redis: they get the shared servers and this test's prefix.
NEEDS_STACK = ("newswatch feeds", "newswatch keys", "newswatch subscriptions", "newswatch api")
NEEDS_STACK += ("newswatch feedback", "newswatch deliveries", "newswatch topics", "curl")
# The reader's own feed list, which `feeds import-opml subscriptions.opml` reads.
READERS_OPML = """<?xml version="1.0"?><opml version="2.0"><head><title>mine</title></head>
<body><outline text="Example Net" xmlUrl="https://example.net/feed.xml"/></body></opml>
"""


@dataclass
class Command:
    line: int  # where it starts in its page
    text: str
    page: str = "README.md"

    @property
    def key(self) -> str:
        match = ASSIGN.match(self.text)
        return match["command"] if match else self.text


def readme_commands(markdown: str, page: str = "README.md") -> list[Command]:
    """The commands of the fenced sh/bash blocks: continuation lines and quoted strings that
    span lines joined, comments and blank lines left out."""
    commands: list[Command] = []
    in_block, pending, start, continued = False, "", 0, False
    for number, raw in enumerate(markdown.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("```"):
            in_block = not in_block and line[3:].strip() in {"sh", "bash", "shell"}
            continue
        if not in_block or (not pending and (not line or line.startswith("#"))):
            continue
        if not pending:
            start = number
        pending = f"{pending}{line}" if continued or not pending else f"{pending}\n{line}"
        continued = line.endswith("\\")
        if continued:
            pending = pending[:-1].rstrip() + " "
            continue
        try:
            shlex.split(pending, comments=True)
        except ValueError:  # a quoted string goes on to the next line
            continue
        commands.append(Command(start, pending.strip(), page))
        pending = ""
    return commands


def shown_commands() -> list[Command]:
    return [c for page in PAGES for c in readme_commands((ROOT / page).read_text("utf-8"), page)]


def _rule(command: Command, table: dict) -> str | None:
    starts = [s for s in table if command.key == s or command.key.startswith(s + " ")]
    return max(starts, key=len) if starts else None


def test_the_readme_commands_are_all_known_here():
    unknown = [
        f"{c.page} line {c.line}: {c.text}"
        for c in shown_commands()
        if not c.text.startswith("export ")
        and _rule(c, EXPECTED) is None
        and _rule(c, NOT_RUN) is None
    ]
    assert unknown == [], "say in EXPECTED or NOT_RUN what these print:\n" + "\n".join(unknown)


def test_commands_are_read_whole_from_their_blocks():
    text = "```sh\na --x \\\n  --y 1   # c\ncurl -d '{\n  \"k\": 1}'\n# note\n```\n```text\nno\n```"
    assert [(c.line, c.text) for c in readme_commands(text)] == [
        (2, "a --x --y 1   # c"),
        (4, "curl -d '{\n\"k\": 1}'"),
    ]


@dataclass
class Reader:
    """A reader at a shell: the environment they export, the servers they started."""

    env: dict[str, str]
    cwd: Path
    api_port: int
    servers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    last_key: str = ""
    feedback_id: str = ""

    def shell(self, text: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-c", text],
            env=self.env,
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def serve(self, text: str) -> None:
        log = (self.cwd / "api.log").open("w")
        # It stands in for `make run`'s API on 18787, which the curl example talks to; that
        # one lets subscribers reach the demo receivers on localhost.
        env = {**self.env, "NEWSWATCH_ALERTER_ALLOWED_NETWORKS": "127.0.0.0/8"}
        server = subprocess.Popen(
            ["bash", "-c", f"exec {text}"], env=env, cwd=self.cwd, stdout=log, stderr=log
        )
        self.servers.append(server)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert server.poll() is None, (self.cwd / "api.log").read_text()
            try:
                if httpx.get(self.url("/v1/health"), timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"`{text}` never answered: {(self.cwd / 'api.log').read_text()}")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.api_port}{path}"

    def report_a_missed_tag(self) -> str:
        """What an officer does before an administrator reviews: one feedback record."""
        response = httpx.post(
            self.url("/v1/feedback"),
            headers={"Authorization": f"Bearer {self.env['KEY']}"},
            json={
                "kind": "missed_tag",
                "tag": "sanctions",
                "item_id": "readme-item-1",
                "item": {"title": "EU adopts new sanctions on shipping firms", "language": "en"},
            },
            timeout=30,
        )
        assert response.status_code in (200, 201), response.text
        return response.json()["id"]

    def fill_in(self, text: str) -> str:
        """The placeholders, as the README's comments tell the reader to fill them in."""
        if "KEY_ID" in text:
            text = text.replace("KEY_ID", self.last_key.split("_")[1])
        if "FEEDBACK_ID" in text:
            text = text.replace("FEEDBACK_ID", self.feedback_id)
        return text.replace("127.0.0.1:18787", f"127.0.0.1:{self.api_port}")


@pytest.fixture
def reader(server_env: dict[str, str], tmp_path: Path) -> Iterator[Reader]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWATCH_")}
    api_port = free_port()
    env = {
        **inherited,
        **server_env,
        "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}",
        "NEWSWATCH_ALERTER_API_PORT": str(api_port),
        "NEWSWATCH_HEALTH_PORT": "0",
    }
    (tmp_path / "subscriptions.opml").write_text(READERS_OPML)
    reader = Reader(env, tmp_path, api_port)
    try:
        yield reader
    finally:
        for server in reader.servers:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()


def test_every_readme_command_runs_as_printed_and_prints_what_it_says(reader: Reader):
    ran: list[str] = []
    for command in shown_commands():
        where = f"{command.page} line {command.line}: {command.text}"
        if command.text.startswith("export "):
            name, _, value = shlex.split(command.text, comments=True)[1].partition("=")
            reader.env[name] = value
            continue
        if _rule(command, NOT_RUN):
            continue
        rule = _rule(command, EXPECTED)
        assert rule is not None, f"unknown command, {where}"
        assert any(rule.startswith(s) for s in NEEDS_STACK) or rule in EXPECTED
        if EXPECTED[rule] == SERVE:
            reader.serve(command.key)
            ran.append(command.text)
            continue
        if rule.startswith("newswatch feedback") and not reader.feedback_id:
            reader.feedback_id = reader.report_a_missed_tag()
        assigned = ASSIGN.match(command.text)
        done = reader.shell(reader.fill_in(command.key))
        output = done.stdout
        assert done.returncode == 0, f"{where}\nexit {done.returncode}\n{done.stderr}"
        assert "Traceback" not in done.stderr + output, f"{where}\n{done.stderr}"
        for expected in EXPECTED[rule]:
            assert re.search(expected, output, re.M), (
                f"{where}\nexpected {expected!r} in:\n{output}"
            )
        if rule == "newswatch keys create":
            reader.last_key = output.strip()
        if assigned:
            reader.env[assigned["name"]] = output.strip()
        ran.append(command.text)
    # The README's examples are all there: none was dropped without this test noticing.
    assert len(ran) >= 20, ran
