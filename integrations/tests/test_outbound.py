"""integrations.outbound against real HTTP servers on 127.0.0.1: the SSRF guard at save and at send (on
the address actually connected to), no redirects, timeouts, the answer size limit."""

import socket
import threading
import time

import httpx
import pytest
from django.core.exceptions import ImproperlyConfigured
from pytest_httpserver import HTTPServer
from werkzeug import Response

from integrations import outbound

PUBLIC_IP = "93.184.215.14"
LOOPBACK = ["127.0.0.0/8"]


@pytest.fixture(scope="module")
def server():
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def fresh(server, settings):
    server.clear()
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    settings.OUTBOUND_TIMEOUT_SECONDS = 5.0
    settings.OUTBOUND_MAX_ANSWER_BYTES = 1_048_576


def url(server, path="/hook", host="127.0.0.1"):
    return f"http://{host}:{server.port}{path}"


class FakeResolver:
    """Answers chosen addresses for chosen names (in turn, the last one repeating); the real resolver otherwise."""

    def __init__(self, real):
        self.real, self.answers, self.asked = real, {}, []

    def getaddrinfo(self, host, port, *args, **kwargs):
        if host not in self.answers:
            return self.real(host, port, *args, **kwargs)
        self.asked.append(host)
        queue = self.answers[host]
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        family = {True: socket.AF_INET6, False: socket.AF_INET}
        return [(family[":" in a], socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]


@pytest.fixture
def resolver(monkeypatch):
    fake = FakeResolver(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", fake.getaddrinfo)
    return fake


def test_loopback_is_refused_without_the_setting_and_nothing_reaches_the_server(server):
    server.expect_request("/hook").respond_with_data("ok")
    with pytest.raises(outbound.OutboundRefused, match=r"127\.0\.0\.1 is loopback"):
        outbound.post(url(server), content=b"{}", headers={})
    assert server.log == []


def test_loopback_is_allowed_by_the_setting(server, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = LOOPBACK
    server.expect_request("/hook", method="POST", data=b'{"a": 1}', headers={"X-Test": "yes"}).respond_with_data(
        "received", status=202
    )
    answer = outbound.post(url(server), content=b'{"a": 1}', headers={"X-Test": "yes"})
    assert (answer.status_code, answer.text, answer.content) == (202, "received", b"received")
    assert answer.elapsed_ms >= 0
    assert len(server.log) == 1
    assert server.log[0][0].headers["User-Agent"] == "Plum-Outbound/1"


def test_get_sends_parameters_and_reads_json(server, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = LOOPBACK
    server.expect_request("/people", method="GET", query_string="page=2").respond_with_json({"people": [1, 2]})
    answer = outbound.get(url(server, "/people"), params={"page": 2}, headers={"Accept": "application/json"})
    assert (answer.status_code, answer.json()) == (200, {"people": [1, 2]})
    assert answer.headers["content-type"] == "application/json"


def test_a_name_resolving_to_loopback_is_refused(server):
    with pytest.raises(outbound.OutboundRefused, match="localhost resolves to 127.0.0.1, which is loopback"):
        outbound.check_url(url(server, host="localhost"))
    with pytest.raises(outbound.OutboundRefused):
        outbound.post(url(server, host="localhost"), content=b"{}", headers={})
    assert server.log == []


def test_a_name_that_resolves_elsewhere_at_send_than_at_save_is_refused_at_send(server, resolver):
    resolver.answers["rebind.example"] = [[PUBLIC_IP], ["127.0.0.1"]]  # public when saved, loopback when sent
    server.expect_request("/hook").respond_with_data("ok")
    outbound.check_url(url(server, host="rebind.example"))  # saved: fine
    with pytest.raises(outbound.OutboundRefused, match="rebind.example resolves to 127.0.0.1, which is loopback"):
        outbound.post(url(server, host="rebind.example"), content=b"{}", headers={})
    assert resolver.asked == ["rebind.example", "rebind.example"]
    assert server.log == []


def test_naive_variant_a_client_that_checks_only_when_saved_reaches_loopback(server, resolver):
    """The same rebinding against plain httpx after check_url: the request lands on 127.0.0.1. So the test
    above fails for any client that does not check the address it connects to."""
    resolver.answers["rebind.example"] = [[PUBLIC_IP], ["127.0.0.1"]]
    server.expect_request("/hook").respond_with_data("reached")
    outbound.check_url(url(server, host="rebind.example"))
    with httpx.Client(trust_env=False) as naive:
        assert naive.post(url(server, host="rebind.example"), content=b"{}").text == "reached"
    assert len(server.log) == 1


def test_one_refused_address_among_several_refuses_the_name(resolver):
    resolver.answers["mixed.example"] = [[PUBLIC_IP, "10.0.0.7"]]
    with pytest.raises(outbound.OutboundRefused, match="10.0.0.7, which is private"):
        outbound.check_url("https://mixed.example/hook")


def test_the_connection_goes_to_the_checked_address_and_keeps_the_host_name(server, settings, resolver):
    settings.OUTBOUND_ALLOWED_NETWORKS = LOOPBACK
    resolver.answers["receiver.test"] = [["127.0.0.1"]]
    server.expect_request("/hook").respond_with_data("ok")
    answer = outbound.post(url(server, host="receiver.test"), content=b"{}", headers={})
    assert answer.status_code == 200
    assert server.log[0][0].headers["Host"] == f"receiver.test:{server.port}"
    assert resolver.asked == ["receiver.test"]  # resolved once, by the guard: the socket took its address


def test_redirects_are_answers_never_followed(server, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = LOOPBACK
    server.expect_request("/hook").respond_with_data("", status=302, headers={"Location": url(server, "/elsewhere")})
    server.expect_request("/elsewhere").respond_with_data("followed")
    answer = outbound.post(url(server), content=b"{}", headers={})
    assert answer.status_code == 302
    assert [entry[0].path for entry in server.log] == ["/hook"]


def test_a_server_slower_than_the_timeout_fails_the_call(server, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = LOOPBACK
    settings.OUTBOUND_TIMEOUT_SECONDS = 0.2
    release = threading.Event()

    def slow(request):
        release.wait(10)  # held until the client has given up
        return Response("late")

    server.expect_request("/slow").respond_with_handler(slow)
    try:
        with pytest.raises(outbound.OutboundFailed, match="timed out"):
            outbound.post(url(server, "/slow"), content=b"{}", headers={})
    finally:
        release.set()


def test_an_answer_larger_than_the_limit_fails_the_call(server, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = LOOPBACK
    settings.OUTBOUND_MAX_ANSWER_BYTES = 1000
    server.expect_request("/declared").respond_with_data("x" * 5000)
    server.expect_request("/streamed").respond_with_response(Response(iter([b"x" * 600] * 10)))  # chunked
    server.expect_request("/fits").respond_with_data("y" * 1000)
    for path in ("/declared", "/streamed"):
        with pytest.raises(outbound.OutboundFailed, match="answer larger than 1000 bytes"):
            outbound.post(url(server, path), content=b"{}", headers={})
    answer = outbound.post(url(server, "/fits"), content=b"{}", headers={})
    assert (answer.status_code, len(answer.content), answer.text) == (200, 1000, "y" * 1000)


def test_the_text_is_the_first_1000_characters(server, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = LOOPBACK
    server.expect_request("/long").respond_with_data("é" * 1500, content_type="text/plain; charset=utf-8")
    answer = outbound.post(url(server, "/long"), content=b"{}", headers={})
    assert answer.text == "é" * 1000
    assert len(answer.content) == 3000


def test_a_refused_connection_is_a_failure_not_a_refusal(server, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = LOOPBACK
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(outbound.OutboundFailed, match="ConnectError"):
        outbound.post(f"http://127.0.0.1:{port}/", content=b"{}", headers={})


def test_proxies_from_the_environment_are_ignored(server, settings, monkeypatch):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8", "10.0.0.0/8"]  # a new client, built with these variables
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://10.255.255.1:3128")
    server.expect_request("/hook").respond_with_data("direct")
    assert outbound.post(url(server), content=b"{}", headers={}).text == "direct"


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.254", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local (cloud metadata lives there)"),
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("fd00::1", "private"),
        ("fe80::1", "link-local (cloud metadata lives there)"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "link-local (cloud metadata lives there)"),
        ("100.64.0.1", "shared address space (CGNAT)"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("2002:7f00:1::", "loopback"),  # 6to4 around 127.0.0.1
        ("64:ff9b::a9fe:a9fe", "reserved"),  # NAT64 (around 169.254.169.254): not globally routable
        ("192.0.0.192", "reserved"),  # Oracle Cloud's metadata
        ("fec0::1", "reserved"),  # IPv6 site-local
    ],
)
def test_addresses_that_are_refused(address, reason):
    assert outbound.refusal(address) == reason
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(outbound.OutboundRefused, match=f"is {reason.split(' ')[0]}"):
        outbound.check_url(f"https://{host}/hook")


@pytest.mark.parametrize("target", ["https://93.184.215.14/hook", "http://[2606:4700:4700::1111]:8080/x"])
def test_a_public_ip_literal_is_allowed_without_connecting(target, monkeypatch):
    def no_connection(*args, **kwargs):
        raise AssertionError("check_url connected")

    monkeypatch.setattr(socket.socket, "connect", no_connection)
    assert outbound.check_url(target) is None


def test_the_setting_allows_exactly_its_networks(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["10.20.0.0/16", "fd12:3456::/48"]
    assert outbound.refusal("10.20.1.2") is None
    assert outbound.refusal("fd12:3456::9") is None
    assert outbound.refusal("10.21.0.1") == "private"
    assert outbound.refusal("169.254.169.254") == "link-local (cloud metadata lives there)"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("ftp://93.184.215.14/x", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("http://metadata.google.internal/computeMetadata/v1/", "cloud metadata service"),
        ("http://METADATA.GOOGLE.INTERNAL./", "cloud metadata service"),
        ("http://name.invalid/", "does not resolve"),
    ],
)
def test_other_urls_that_are_refused(target, message):
    with pytest.raises(outbound.OutboundRefused, match=message):
        outbound.check_url(target)


def test_the_metadata_name_is_refused_at_send_too(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["0.0.0.0/0"]
    with pytest.raises(outbound.OutboundRefused, match="cloud metadata service"):
        outbound.get("http://metadata.google.internal/computeMetadata/v1/")


def test_an_entry_that_is_not_a_cidr_is_a_configuration_error(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["10.0.0.0/8", "not-a-network"]
    with pytest.raises(ImproperlyConfigured, match="'not-a-network' is not a network in CIDR notation"):
        outbound.check_url("https://93.184.215.14/")


def test_the_system_check_names_a_bad_entry(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["10.0.0.0/33"]
    [error] = outbound.check_allowed_networks()
    assert (error.id, "'10.0.0.0/33' is not a network" in error.msg) == ("integrations.E001", True)
    settings.OUTBOUND_ALLOWED_NETWORKS = ["10.0.0.0/8", " fd00::/8 "]
    assert outbound.check_allowed_networks() == []


def test_an_answer_that_drips_in_fails_when_the_whole_exchange_takes_too_long(settings):
    """A receiver sending a byte now and then stays under every read timeout: the exchange has a deadline
    of twice the timeout all the same (or it would hold a worker, and its deliveries' locks, for days)."""
    settings.OUTBOUND_ALLOWED_NETWORKS, settings.OUTBOUND_TIMEOUT_SECONDS = LOOPBACK, 0.5
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def drip():
        connection, _ = listener.accept()
        connection.recv(65536)
        connection.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        while not stop.wait(0.2):
            try:
                connection.sendall(b"a")
            except OSError:
                break
        connection.close()

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    started = time.monotonic()
    try:
        with pytest.raises(outbound.OutboundFailed, match="timed out"):
            outbound.post(f"http://127.0.0.1:{listener.getsockname()[1]}/hook", content=b"{}", headers={})
        assert time.monotonic() - started < 3
    finally:
        stop.set()
        listener.close()
        thread.join(5)


def test_a_nul_in_the_answer_is_kept_as_text_a_database_stores(server, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = LOOPBACK
    server.expect_request("/hook").respond_with_data(b"ok\x00\xff", status=200)

    assert outbound.post(url(server), content=b"{}", headers={}).text == "ok\ufffd\ufffd"
