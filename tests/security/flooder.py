"""A flooding adapter, run as its own process: ``python -m tests.security.flooder URL SECONDS
THREADS SYSTEM_ID [CERT KEY CA]``. Sends valid inquiries back to back from THREADS connections for
SECONDS, then prints ``{"status": {code: n}, "faults": {fault code: n}}``. With CERT KEY CA (PEM
files), over TLS with that client certificate, verifying the hub against CA."""

from __future__ import annotations

import collections
import json
import sys
import threading
import time

import requests
from lxml import etree

from adapters.sdk.consumer import tls_session
from bus.core.faults import FAULT_NS
from bus.core.header import Party, PlatformHeader

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
JUKI = "urn:pfbus:unit:juki:v1"


def inquiry(system_id: str, code: str = "131016") -> bytes:
    header = PlatformHeader.new(sender=Party(code, "07", system_id),
                                receiver=Party(code, "01", "vendor-a-juki"),
                                service_id="juki.ResidentInquiry", user_id="clerk-01")
    header_xml = etree.tostring(header.to_element()).decode()
    return (f'<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="{SOAP11}">'
            f'<soap:Header>{header_xml}</soap:Header><soap:Body>'
            f'<j:ResidentInquiryRequest xmlns:j="{JUKI}"><j:AddresseeNumber>0000000019'
            f'</j:AddresseeNumber></j:ResidentInquiryRequest></soap:Body></soap:Envelope>'
            ).encode()


def main() -> None:
    url, seconds, threads, system_id = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), \
        sys.argv[4]
    tls = sys.argv[5:8]
    status: collections.Counter = collections.Counter()
    codes: collections.Counter = collections.Counter()
    lock = threading.Lock()
    print(json.dumps({"started": True}), flush=True)
    deadline = time.monotonic() + seconds

    def run() -> None:
        with (tls_session(*tls) if tls else requests.Session()) as s:
            while time.monotonic() < deadline:
                try:
                    # a new message each time: a replayed MessageId would be refused as a
                    # duplicate, not counted against the limits this flood is about
                    r = s.post(url, data=inquiry(system_id),
                               headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=30)
                except requests.RequestException as exc:
                    with lock:
                        status[type(exc).__name__] += 1
                    continue
                code = None
                if r.status_code != 200:
                    try:
                        code = etree.fromstring(r.content).findtext(
                            f".//{{{FAULT_NS}}}FaultDetail/{{{FAULT_NS}}}Code")
                    except etree.XMLSyntaxError:
                        code = "not-xml"
                with lock:
                    status[str(r.status_code)] += 1
                    if code:
                        codes[code] += 1

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print(json.dumps({"status": status, "faults": codes}), flush=True)


if __name__ == "__main__":
    main()
