"""A faulty provider or subscriber whose ONE defect is SOAP's mustUnderstand: its SOAP stack
reads the platform header by name and never looks at the other header blocks' attributes, so a
block it cannot understand, addressed to it with mustUnderstand true, is ignored and the request
answered (P-SOAP-05). Made on the wire: the reference adapter is handed the request with the
attribute gone, and its reply's RequestHash is put back to the digest of what the suite sent."""

from __future__ import annotations

import base64
import hashlib
import re

from bus.core.header import HEADER_NS

from .proxy import Call, Reply, header_find, serialize, tree

_MUST_UNDERSTAND = re.compile(rb'\s[A-Za-z_][\w.-]*:mustUnderstand="[^"]*"')


def attribute_dropped(call: Call) -> bytes:
    return _MUST_UNDERSTAND.sub(b"", call.request)


def hash_of_what_was_sent(call: Call) -> Reply:
    if call.reply is None or call.forwarded == call.request:
        return call.reply
    root = tree(call.reply.body)
    el = header_find(root, f"/{{{HEADER_NS}}}RequestHash")
    if el is None:
        return call.reply
    el.text = base64.b64encode(hashlib.sha256(call.request).digest()).decode()
    return Reply(call.reply.status, serialize(root), call.reply.content_type)


MUST_UNDERSTAND = {
    "must-understand-ignored": {"on_request": attribute_dropped,
                                "on_reply": hash_of_what_was_sent},
}
