"""Alert webhooks through a forward proxy (``CITYLINE_WEBHOOK_PROXY``, cityline.observations.webhook).

Real components: a forward proxy on 127.0.0.1 (absolute-URI requests and CONNECT tunnels, alert_world.ForwardProxy),
real receivers (plain and TLS), the database and the store. The receivers' address in the alerts is 192.0.2.10
(TEST-NET-1, RFC 5737: nothing answers there); only the proxy knows the way to them (its own resolution), so a
delivery that arrives went through it. Loopback receivers stay refused here, as in production: the proxy's own
address (127.0.0.1) is the operator's and is not checked.
"""

import base64
import ssl

import pytest

from cityline import cli
from cityline.observations import alertdata, alerts, webhook
from cityline.observations.models import Alert

from .alert_world import ForwardProxy, Receiver, certificate, make_alert_city, write

RECEIVER = "192.0.2.10"


@pytest.fixture(autouse=True)
def _fresh_alert_state(settings, tmp_path, monkeypatch):
    settings.CITYLINE_OBSERVATIONS_DIR = tmp_path / "observations"
    settings.CITYLINE_WEBHOOK_ALLOW_LOOPBACK = False
    settings.CITYLINE_WEBHOOK_PROXY = ""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setattr(webhook, "TIMEOUT", 2.0)  # a delivery that does not go through the proxy ends soon
    monkeypatch.setattr(webhook, "BACKOFF", 0.01)
    alerts.reset()
    yield
    webhook.drain(timeout=30)
    alertdata.drain()
    alerts.reset()


@pytest.mark.django_db(transaction=True)
def test_an_alert_is_delivered_through_the_proxy_the_setting_names(settings):
    with Receiver(status=204) as receiver, \
            ForwardProxy({(RECEIVER, 80): receiver.server.server_address}) as proxy:
        settings.CITYLINE_WEBHOOK_PROXY = f"http://alerts:s3cret@{proxy.address}"
        city, r = make_alert_city(webhook_url=f"http://{RECEIVER}/hook")
        write(city, "air-station", [(t, 30) for t in range(0, 70, 10)])
        assert webhook.drain(timeout=30)
    alert = Alert.objects.get(rule=r["rule"])
    assert (alert.webhook_status, alert.webhook_attempts, alert.webhook_error) == ("sent", 1, "")
    [(method, target, headers)] = proxy.requests
    assert (method, target) == ("POST", f"http://{RECEIVER}/hook")  # an absolute-URI request
    assert headers["Proxy-Authorization"] == "Basic " + base64.b64encode(b"alerts:s3cret").decode()
    [body] = receiver.bodies
    assert body["json"]["event"] == "opened" and body["json"]["rule"] == "pm25-high"
    assert body["headers"]["Host"] == RECEIVER and "Proxy-Authorization" not in body["headers"]


def test_https_goes_through_a_connect_tunnel_and_the_receivers_certificate_is_checked(settings, tmp_path,
                                                                                     monkeypatch):
    cert, key = certificate(tmp_path, RECEIVER)
    with Receiver(status=204, tls=(cert, key)) as receiver, \
            ForwardProxy({(RECEIVER, 443): receiver.server.server_address}) as proxy:
        settings.CITYLINE_WEBHOOK_PROXY = f"http://{proxy.address}"
        untrusted = webhook.post(f"https://{RECEIVER}/hook", {"event": "opened"}, attempts=1)
        monkeypatch.setattr(webhook, "_ssl_context", lambda: ssl.create_default_context(cafile=str(cert)))
        sent = webhook.post(f"https://{RECEIVER}/hook", {"event": "opened"}, attempts=1)
    assert untrusted[:2] == (False, 1) and "CERTIFICATE_VERIFY_FAILED" in untrusted[2]  # TLS from end to end
    assert sent == (True, 1, "")
    assert [(method, target) for method, target, _ in proxy.requests] == [("CONNECT", f"{RECEIVER}:443")] * 2
    assert [b["json"] for b in receiver.bodies] == [{"event": "opened"}]


@pytest.mark.parametrize("url", ["http://127.0.0.1:{port}/hook", "http://localhost:{port}/hook",
                                 "https://[::1]:{port}/hook", "http://169.254.169.254/latest/meta-data/",
                                 "http://0.0.0.0:{port}/hook"])
def test_a_refused_receiver_is_refused_as_without_a_proxy_and_the_proxy_never_hears_of_it(settings, url):
    with Receiver(status=204) as receiver, \
            ForwardProxy({(RECEIVER, 80): receiver.server.server_address}) as proxy:
        url = url.format(port=receiver.server.server_address[1])
        direct = webhook.post(url, {"event": "opened"})
        settings.CITYLINE_WEBHOOK_PROXY = f"http://{proxy.address}"
        through = webhook.post(url, {"event": "opened"})
        assert proxy.connections == 0 and receiver.bodies == []
        allowed = webhook.post(f"http://{RECEIVER}/hook", {"event": "opened"}, attempts=1)  # what it does carry
    assert through == direct and through[:2] == (False, 1)
    assert through[2].startswith("refused: ") and "where alerts are not posted" in through[2]
    assert allowed == (True, 1, "")
    assert proxy.connections == 1 and [target for _, target, _ in proxy.requests] == [f"http://{RECEIVER}/hook"]


def test_a_receiver_whose_name_does_not_resolve_here_is_not_sent_to_the_proxy(settings):
    """The check needs the name resolved on this server: one it cannot resolve is not handed to the proxy."""
    with Receiver(status=204) as receiver, \
            ForwardProxy({("alerts.invalid", 80): receiver.server.server_address}) as proxy:
        settings.CITYLINE_WEBHOOK_PROXY = f"http://{proxy.address}"
        sent = webhook.post("http://alerts.invalid/hook", {"event": "opened"}, attempts=2)
    assert sent[:2] == (False, 2) and sent[2].startswith("ConnectError: alerts.invalid: ")
    assert proxy.connections == 0 and receiver.bodies == []


def test_without_the_setting_deliveries_connect_directly_whatever_the_environment_says(settings, monkeypatch):
    settings.CITYLINE_WEBHOOK_ALLOW_LOOPBACK = True  # the receiver is on 127.0.0.1, reached directly
    with Receiver(status=204) as receiver, ForwardProxy({}) as proxy:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy"):
            monkeypatch.setenv(name, f"http://{proxy.address}")
        sent = webhook.post(receiver.url, {"event": "opened"}, attempts=1)
    assert sent == (True, 1, "") and len(receiver.bodies) == 1 and proxy.connections == 0


BAD = [("proxy.internal:3128", "is not an http:// or https:// address of a proxy"),
       ("socks5://127.0.0.1:1080", "is not an http:// or https:// address of a proxy"),
       ("http://", "is not an http:// or https:// address of a proxy"),
       ("http://proxy.internal:99999", "is not a proxy address (its port is not a number from 0 to 65535"),
       ("http://proxy.internal:31a8", "is not a proxy address (its port is not a number from 0 to 65535"),
       ("http://proxy.internal:3128/squid", "a proxy address has no path, query or fragment")]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("value, problem", BAD)
def test_a_bad_proxy_setting_fails_the_delivery_at_once_naming_the_setting(settings, value, problem):
    settings.CITYLINE_WEBHOOK_ALLOW_LOOPBACK = True  # the receiver would take it, were it sent
    with Receiver(status=204) as receiver:
        settings.CITYLINE_WEBHOOK_PROXY = value
        city, r = make_alert_city(webhook_url=receiver.url)
        write(city, "air-station", [(t, 30) for t in range(0, 70, 10)])
        assert webhook.drain(timeout=30)
    alert = Alert.objects.get(rule=r["rule"])
    assert (alert.webhook_status, alert.webhook_attempts) == ("failed", 1)
    assert alert.webhook_error.startswith(f"opened: CITYLINE_WEBHOOK_PROXY={webhook._without_password(value)!r}")
    assert problem in alert.webhook_error
    assert "give it as http://host:port or https://host:port" in alert.webhook_error
    assert receiver.bodies == []


@pytest.mark.django_db
def test_cityline_check_names_a_bad_proxy_setting_without_its_password(settings, capsys):
    settings.CITYLINE_WEBHOOK_PROXY = "http://alerts:s3cret@proxy.internal:99999"
    assert cli.main(["check"]) == 1
    out = capsys.readouterr().out
    assert ("observations.E001 [error] CITYLINE_WEBHOOK_PROXY='http://alerts:***@proxy.internal:99999' is not a "
            "proxy address (its port is not a number from 0 to 65535") in out
    assert "fix: Set CITYLINE_WEBHOOK_PROXY to the forward proxy's address" in out and "s3cret" not in out
    # a password holding '/', '?', '#' or '@' unencoded makes the setting wrong: its error never shows the password
    for secret in ("pa/ss3cret", "pa#ss3cret", "pa?ss3cret", "pa@ss3cret", "pa/s#s@3cret"):
        settings.CITYLINE_WEBHOOK_PROXY = f"http://alerts:{secret}@proxy.internal:3128"
        webhook._proxy.cache_clear()
        sent = webhook.post("http://192.0.2.10/hook", {"event": "opened"}, attempts=1)
        assert cli.main(["check"]) in (0, 1)
        out = capsys.readouterr().out + sent[2]
        for part in ("ss3cret", "s3cret", "3cret"):
            assert part not in out, (secret, out)
    settings.CITYLINE_WEBHOOK_PROXY = "https://alerts:s3cret@proxy.internal:3128"
    cli.main(["check"])
    assert "observations.E001" not in capsys.readouterr().out
