"""Subscribers choose URLs; the alerter must not be talked into posting inside our network."""

import pytest

from newswatch.alerter.addresses import AddressPolicy, AddressRefused


def no_dns(host: str) -> list[str]:
    raise AssertionError(f"resolved {host}")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:6379/",
        "http://localhost/hook",
        "http://10.1.2.3/",
        "http://192.168.0.10/",
        "http://172.16.5.5/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[fe80::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "ftp://93.184.215.14/",
    ],
)
def test_private_loopback_link_local_and_odd_addresses_are_refused(url):
    resolver = {"localhost": ["127.0.0.1", "::1"]}.__getitem__
    with pytest.raises(AddressRefused):
        AddressPolicy().check_url(url, resolver)


def test_public_addresses_pass_and_names_are_judged_by_every_address_they_resolve_to():
    policy = AddressPolicy()
    policy.check_url("https://93.184.215.14/hook", no_dns)
    policy.check_url("https://hooks.example/x", lambda _: ["93.184.215.14"])
    with pytest.raises(AddressRefused, match=r"10\.0\.0\.7"):
        policy.check_url("https://rebind.example/x", lambda _: ["93.184.215.14", "10.0.0.7"])


def test_an_operator_allowlist_opens_exactly_the_networks_it_names():
    policy = AddressPolicy.from_setting("127.0.0.0/8, 10.20.0.0/16")
    policy.check_url("http://127.0.0.1:8080/hook", no_dns)
    policy.check_url("http://10.20.3.4/hook", no_dns)
    with pytest.raises(AddressRefused):
        policy.check_url("http://10.21.3.4/hook", no_dns)


def test_names_that_do_not_resolve_are_refused_with_the_reason():
    def nxdomain(host: str) -> list[str]:
        raise AddressRefused(f"cannot resolve {host!r}")

    with pytest.raises(AddressRefused, match="cannot resolve"):
        AddressPolicy().check_url("https://nowhere.invalid/", nxdomain)


@pytest.mark.parametrize(
    ("url", "hosts"),
    [
        # Schemes whose URL names the host the plugin connects to.
        ("ntfy://10.0.0.5:8080/topic", ["10.0.0.5"]),
        ("ntfys://ntfy.example/topic", ["ntfy.example"]),
        ("gotify://169.254.169.254/AbCdEfGhIjKlMnO", ["169.254.169.254"]),
        ("rocket://user:pass@10.0.0.5/#alerts", ["10.0.0.5"]),
        ("mmost://127.0.0.1/abcdefghijklmnopqrstuvwxyz", ["127.0.0.1"]),
        ("ncloud://user:pass@127.0.0.1/admin", ["127.0.0.1"]),
        ("matrix://user:pass@127.0.0.1/#alerts", ["127.0.0.1"]),
        ("apprise://127.0.0.1/token", ["127.0.0.1"]),
        ("json://127.0.0.1:9/hook", ["127.0.0.1"]),
        ("xml://127.0.0.1/hook", ["127.0.0.1"]),
        ("form://127.0.0.1/hook", ["127.0.0.1"]),
        # Email connects to its SMTP server, not to the address's domain.
        ("mailto://user:pass@example.com?smtp=127.0.0.1", ["127.0.0.1"]),
        # Services with fixed hosts: the URL's host part is a credential.
        ("tgram://123456789:abcdefghijklmnopqrstuvwxyzABCDEFGHI/12345", []),
        ("discord://1234567/abcdefgh", []),
        ("ntfy://mytopic", []),  # ntfy.sh itself
    ],
)
def test_apprise_urls_name_the_hosts_their_plugin_connects_to(url, hosts):
    from newswatch.alerter.channels.apprise import _plugin, named_hosts

    assert named_hosts(_plugin(url)) == hosts


def test_only_well_formed_key_ids_are_counted_per_key():
    from newswatch.alerter.keys import key_id

    assert key_id("nwk_0123456789ab_secret") == "0123456789ab"
    assert key_id("nwk_../../x_secret") is None
    assert key_id("Bearer nonsense") is None
