"""Small per-exchange costs cut in issue 13, each the same result as what it replaces: the
exchange ID (``new_uuid4``: ``str(uuid.uuid4())`` without the ``UUID`` object), the JIS X 0213
test (``in_jisx0213``: the codec looked up once), the reason phrase (``reason_phrase``: Twisted's
table read once) and the SOAP headers a request is handed on with (by ``bytes`` name: the last
value, as UTF-8 text)."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from unittest import mock

from hypothesis import given
from hypothesis import strategies as st
from twisted.internet.address import IPv4Address
from twisted.internet.testing import StringTransport
from twisted.web import http

from bus.core import header
from bus.core.characters import in_jisx0213
from bus.hub.exchange import HttpReply, new_uuid4
from bus.hub.http import HubSite
from bus.hub.http_answers import reason_phrase
from bus.hub.resource import HubResource


@given(st.binary(min_size=16, max_size=16))
def test_the_exchange_id_is_uuid4s_text(random):
    with mock.patch.object(header, "os", SimpleNamespace(urandom=lambda n: random)):
        made = new_uuid4()
    assert made == str(uuid.UUID(bytes=random, version=4))
    assert uuid.UUID(made).version == 4 and uuid.UUID(made).variant == uuid.RFC_4122


def test_exchange_ids_differ():
    assert len({new_uuid4() for _ in range(1000)}) == 1000


def _by_name(text: str) -> bool:
    try:
        text.encode("euc_jis_2004")
    except UnicodeEncodeError:
        return False
    return True


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=12))
def test_jisx0213_as_encoding_by_name(text):
    assert in_jisx0213(text) == _by_name(text)


def test_jisx0213_known_answers():
    assert in_jisx0213("千代田　太郎") and in_jisx0213("か\u309a") and in_jisx0213("")
    assert not in_jisx0213("\ue000") and not in_jisx0213("😀")  # 外字; outside JIS X 0213


def test_reason_phrases():
    assert reason_phrase(200) == http.RESPONSES[200] and reason_phrase(503) == http.RESPONSES[503]
    assert reason_phrase(413) == b"Content Too Large" and reason_phrase(599) == b"Error"


class _Seen:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    async def handle(self, raw, endpoint_service=None, soap_action=None, peer=None,
                     content_type=None, remote=None) -> HttpReply:
        self.calls.append((soap_action, content_type))
        return HttpReply(200, "text/xml; charset=utf-8", b"<ok/>")


def test_the_soap_headers_handed_on_are_the_last_values_as_text():
    seen = _Seen()
    channel = HubSite(HubResource(seen, publisher=None)).buildProtocol(  # type: ignore[arg-type]
        IPv4Address("TCP", "127.0.0.1", 40000))
    transport = StringTransport()
    channel.makeConnection(transport)
    body = b"<x/>"
    channel.dataReceived(
        b"POST /services/a.B HTTP/1.1\r\nHost: h\r\nContent-Type: text/xml; charset=utf-8\r\n"
        b"SOAPAction: \"first\"\r\nSOAPAction: \"\xe7\xac\xac\"\r\nContent-Length: %d\r\n\r\n%s"
        % (len(body), body))
    assert seen.calls == [('"第"', "text/xml; charset=utf-8")]
    assert transport.value().startswith(b"HTTP/1.1 200 OK\r\n")
    channel.dataReceived(
        b"POST /services/a.B HTTP/1.1\r\nHost: h\r\nContent-Type: text/xml\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    assert seen.calls[-1] == (None, "text/xml")
