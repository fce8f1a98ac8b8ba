"""Channel secrets are write-only: no API response and no CLI output carries them once saved.

A subscription with a Slack webhook URL (its path is the secret), a webhook with a token
in its query and an HMAC secret, and two Apprise URLs (a Telegram bot token; a JSON
endpoint with a password and a token in its path) is saved, read, listed, patched and
echoed back through the API and the CLI, against a real Redis. Every secret stays in
Redis; none appears in any response or output; the echoed masks keep the stored values.
"""

import json
import os
import subprocess
import sys

import httpx
import pytest

from newswatch.alerter.api import create_app
from newswatch.alerter.keys import ApiKeyStore
from newswatch.alerter.settings import AlerterSettings
from newswatch.alerter.subscriptions import SubscriptionStore
from newswatch.shared.redis import create_redis

pytestmark = [pytest.mark.redis]

HOST = "93.184.215.14"  # public, so the address policy lets it through without DNS
SLACK = f"https://{HOST}/services/T0SLACKPART/B0SLACKPART/SLACKHOOKSECRET"
WEBHOOK = f"https://{HOST}/hook?token=QUERYTOKENSECRET"
TELEGRAM = "tgram://123456789:TELEGRAMBOTSECRET/-100200300"
APPRISE_JSON = f"json://svc:JSONPASSWORDSECRET@{HOST}/notify/JSONPATHSECRET"
HMAC = "HMACSECRETVALUE"
SECRETS = [
    "T0SLACKPART",
    "B0SLACKPART",
    "SLACKHOOKSECRET",
    "QUERYTOKENSECRET",
    "TELEGRAMBOTSECRET",
    "123456789",
    "JSONPASSWORDSECRET",
    "JSONPATHSECRET",
    HMAC,
]
# What a reader sees instead, written by hand from the masking rules.
SHOWN = [
    ("slack", f"https://{HOST}/…", {}),
    ("webhook", f"https://{HOST}/…", {"secret": "***"}),
    ("apprise", "tgram://…", {}),
    ("apprise", f"json://{HOST}/…", {}),
]


def channels() -> list[dict]:
    return [
        {"kind": "slack", "target": SLACK},
        {"kind": "webhook", "target": WEBHOOK, "options": {"secret": HMAC}},
        {"kind": "apprise", "target": TELEGRAM},
        {"kind": "apprise", "target": APPRISE_JSON},
    ]


def assert_no_secret(text: str, where: str) -> None:
    leaked = [s for s in SECRETS if s in text]
    assert not leaked, f"{where} shows {leaked}: {text}"


def assert_shown_masked(sub: dict) -> None:
    assert [(c["kind"], c["target"], c["options"]) for c in sub["channels"]] == SHOWN


async def assert_stored_in_full(redis_url_prefix: tuple, team: str, sub_id: str) -> None:
    store = SubscriptionStore(*redis_url_prefix)
    stored = await store.get(team, sub_id)
    assert stored is not None
    assert [c.target for c in stored.channels] == [SLACK, WEBHOOK, TELEGRAM, APPRISE_JSON]
    assert stored.channels[1].options == {"secret": HMAC}


@pytest.fixture
async def api(env_settings):
    settings = AlerterSettings()
    redis = create_redis(settings)
    app = create_app(settings, redis=redis)
    _, key = await ApiKeyStore(redis, settings.redis_prefix).create("ops", "test")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://api",
        headers={"Authorization": f"Bearer {key}"},
    ) as client:
        client.store_args = (redis, settings.redis_prefix)  # type: ignore[attr-defined]
        yield client
    await redis.aclose()


async def test_api_never_returns_channel_secrets_and_keeps_them_on_echo(api) -> None:
    body = {"id": "desk", "tags": ["strike"], "channels": channels()}
    responses = {"POST": await api.post("/v1/subscriptions", json=body)}
    responses["GET"] = await api.get("/v1/subscriptions/desk")
    responses["LIST"] = await api.get("/v1/subscriptions")
    responses["PATCH"] = await api.patch("/v1/subscriptions/desk", json={"min_confidence": 0.5})
    # A client that read the subscription and writes it back unchanged (masks included).
    echoed = responses["GET"].json() | {"name": "Desk"}
    responses["PUT"] = await api.put("/v1/subscriptions/desk", json=echoed)
    for what, response in responses.items():
        assert response.status_code in (200, 201), (what, response.text)
        assert_no_secret(response.text, what)
    for what in ("POST", "GET", "PATCH", "PUT"):
        assert_shown_masked(responses[what].json())
    assert_shown_masked(responses["LIST"].json()[0])
    assert responses["PUT"].json()["name"] == "Desk"
    await assert_stored_in_full(api.store_args, "ops", "desk")


async def test_a_masked_target_that_matches_nothing_stored_is_refused(api) -> None:
    body = {"id": "new", "tags": ["strike"], "channels": [{"kind": "slack", "target": SHOWN[0][1]}]}
    response = await api.post("/v1/subscriptions", json=body)
    assert response.status_code == 422, response.text
    assert "masked" in response.text and "give the full target" in response.text


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "newswatch.cli", "subscriptions", *args, "--team", "ops"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_cli_show_never_prints_channel_secrets(server_env, env_settings) -> None:
    lines = [f"slack:{SLACK}", f"webhook:{WEBHOOK};secret={HMAC}", f"apprise:{TELEGRAM}"]
    lines.append(f"apprise:{APPRISE_JSON}")
    added = cli(server_env, "add", "cli-desk", "--tags", "strike", *_channel_args(lines))
    assert added.returncode == 0, added.stderr
    shown = cli(server_env, "show", "cli-desk")
    assert shown.returncode == 0, shown.stderr
    assert_no_secret(shown.stdout + shown.stderr, "subscriptions show")
    sub = json.loads(shown.stdout)
    assert_shown_masked(sub)
    # The channels pasted back as `show` printed them keep the stored secrets.
    pasted = [
        f"{c['kind']}:{c['target']}" + "".join(f";{k}={v}" for k, v in c["options"].items())
        for c in sub["channels"]
    ]
    updated = cli(server_env, "update", "cli-desk", "--name", "CLI desk", *_channel_args(pasted))
    assert updated.returncode == 0, updated.stderr
    assert_no_secret(added.stdout + added.stderr + updated.stdout + updated.stderr, "add/update")
    settings = AlerterSettings()
    redis = create_redis(settings)
    try:
        await assert_stored_in_full((redis, settings.redis_prefix), "ops", "cli-desk")
    finally:
        await redis.aclose()


def _channel_args(lines: list[str]) -> list[str]:
    return [arg for line in lines for arg in ("--channel", line)]
