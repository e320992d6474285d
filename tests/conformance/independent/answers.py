"""Writing the independent adapter's answers: the reply header (docs/faults.md, README's header
rules), the SOAP envelope, its bytes and Content-Type, and SOAP Faults."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import uuid

from lxml import etree

from . import ninth
from .characters import _cesu8
from .seventh import surrogate_references
from .standard import CMN, JST, JUKI, PFF, PFH, PFR, SHA256, SOAP11, SOAP12, Answer, Refusal


class Writer:
    """Mixed into Adapter (its fields: alternative, defect, identity, first_pages, …)."""

    # --- writing answers ----------------------------------------------------------------------------

    def _nsmap(self) -> dict:
        if self.alternative == "other-prefixes":
            return {"r": JUKI, "c": CMN}
        if self.alternative == "default-namespace":
            return {None: JUKI, "c": CMN}
        return {"juki": JUKI, "cmn": CMN}

    @staticmethod
    def _copy(el, tag):
        out = etree.Element(tag)
        out.text = el.text
        for child in el:
            out.append(etree.fromstring(etree.tostring(child)))
        return out

    def _now(self) -> str:
        if (special := self._fortyfifth_now()) is not None:
            return special
        if (special := self._fortyfourth_now()) is not None:
            return special
        if (special := self._fortythird_now()) is not None:
            return special
        if (special := self._fortyfirst_now()) is not None:
            return special
        if (special := self._thirtyninth_now()) is not None:
            return special
        if (special := self._twelfth_now()) is not None:
            return special
        if (special := self._thirteenth_now()) is not None:
            return special
        if (special := self._fourteenth_now()) is not None:
            return special
        if (special := self._sixteenth_now()) is not None:
            return special
        if (special := self._seventeenth_now()) is not None:
            return special
        if (special := self._eighteenth_now()) is not None:
            return special
        if (special := self._nineteenth_now()) is not None:
            return special
        if (special := self._twentyseventh_now()) is not None:
            return special
        if (special := self._twentyeighth_now()) is not None:
            return special
        if (special := self._twentyninth_now()) is not None:
            return special
        now = dt.datetime.now(JST)
        if self.defect == "sent-at-utc-with-jst-suffix":
            now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=JST)
        elif self.defect == "sent-at-double-offset":
            now = now + dt.timedelta(hours=9)  # a JST clock converted to JST once more
        elif self.defect == "sent-at-one-hour-ahead":
            now = now + dt.timedelta(hours=1)
        elif self.defect == "sent-at-start-time":  # computed once, when the process started
            now = self.started
        elif self.defect == "sent-at-six-minutes-ahead":
            now = now + dt.timedelta(minutes=6)
        elif self.defect == "sent-at-host-timezone":  # the container's clock, its own offset
            return dt.datetime.now().astimezone().isoformat(timespec="seconds")
        elif self.defect == "sent-at-ten-minutes-behind":
            now = now - dt.timedelta(minutes=10)
        elif self.defect == "sent-at-no-seconds":
            return now.isoformat(timespec="minutes")
        elif self.defect == "receipt-sent-at-decimal-comma":  # a European locale's format
            return now.isoformat(timespec="milliseconds").replace(".", ",")
        elif self.defect == "sent-at-naive-local":
            return now.replace(tzinfo=None).isoformat(timespec="seconds")
        elif self.defect == "sent-at-lmt-offset":  # tzinfo=pytz.timezone("Asia/Tokyo"): LMT
            return now.replace(tzinfo=dt.timezone(dt.timedelta(hours=9, minutes=19))).isoformat(
                timespec="seconds")
        elif self.defect == "sent-at-utc-z":  # Instant.toString(): UTC with Z
            return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        elif self.defect == "sent-at-offset-without-colon":
            return now.strftime("%Y-%m-%dT%H:%M:%S%z")
        elif self.defect == "sent-at-utc-date-jst-time":  # LocalDate.now(UTC) + LocalTime (JST)
            return ninth.utc_date_jst_time(ninth.utc_now())
        return now.isoformat(timespec="seconds")

    def _message_id(self, body_el) -> str:
        if self.defect == "reply-id-per-page":
            page = body_el.findtext(f"{{{JUKI}}}Page") if body_el is not None else None
            return str(uuid.uuid5(uuid.NAMESPACE_URL, f"page-{page}"))
        return self._ninth_message_id() or self._fortieth_message_id() or str(uuid.uuid4())

    def _reply_header(self, soap, request_header, raw, response) -> etree._Element:
        def q(n):
            return f"{{{PFH}}}{n}"
        sender = [request_header.findtext(f"{q('Sender')}/{q(n)}")
                  for n in ("LocalGovCode", "BusinessUnit", "SystemId")]
        is_not_found = response.findtext(f"{{{JUKI}}}Status") == "not-found"
        later_page = (response.findtext(f"{{{JUKI}}}Page") or "1") != "1"
        h = etree.Element(q("PlatformHeader"), nsmap={"pfh": PFH})
        mid, sent_at = self._message_id(response), self._now()
        if self.defect == "later-pages-reuse-header" and response.find(
                f"{{{JUKI}}}ExtractId") is not None:  # the first page's header, kept
            mid, sent_at = self.first_pages.setdefault(
                response.findtext(f"{{{JUKI}}}ExtractId"), (mid, sent_at))
        extract_id = response.findtext(f"{{{JUKI}}}ExtractId")
        if self.defect == "extract-sent-at-snapshot-date" and extract_id is not None:
            sent_at = dt.datetime.now(JST).replace(hour=0, minute=0, second=0,
                                                   microsecond=0).isoformat()
        if self.defect == "duplicate-reply-id-is-notice-id" and \
                response.findtext(f"{{{PFR}}}Status") == "duplicate":  # the stored row's ID
            mid = request_header.findtext(q("MessageId"))
        etree.SubElement(h, q("MessageId")).text = mid
        if self.defect == "receipt-message-id-is-reply-id" and response.tag == \
                f"{{{PFR}}}NoticeReceipt":  # the receipt's ID field filled with its own
            response.find(f"{{{PFR}}}MessageId").text = mid
        relates = self._ninth_relates_to(request_header.findtext(q("MessageId")))
        relates = self._twelfth_relates_to(request_header, raw, relates)
        if self.defect == "later-pages-relates-to-first-request" and extract_id is not None:
            relates = self.first_requests.setdefault(extract_id, relates)  # the transfer's
        if self.defect == "soap12-relates-to-self" and soap == SOAP12:
            relates = mid
        relates = self._fortyeighth_relates_to(response, relates)
        duplicate = response.findtext(f"{{{PFR}}}Status") == "duplicate"
        if not ((self.defect == "not-found-relates-to-missing" and is_not_found)
                or (self.defect == "duplicate-receipt-relates-to-missing" and duplicate)):
            etree.SubElement(h, q("RelatesTo")).text = relates
        mine = [self.local_gov_code, self.business_unit, self.system_id]
        if self.defect == "receipt-sender-from-notice-receiver" and self.role == "subscriber":
            mine = [request_header.findtext(f"{q('Receiver')}/{q(n)}")  # "who it was sent to"
                    for n in ("LocalGovCode", "BusinessUnit", "SystemId")]
        if self.defect == "reply-receiver-system-id-lowercased":  # the routing table's key
            sender[2] = sender[2].lower()
        sender = self._fortysecond_reply_receiver(self._fifteenth_reply_receiver(sender))
        first, second = ("Sender", "Receiver")
        if self.defect == "later-pages-parties-echoed" and later_page:
            first, second = ("Receiver", "Sender")
        if self.defect == "receipt-receiver-hub" and self.role == "subscriber":
            sender = [self.local_gov_code, sender[1], "hub"]  # "the hub sent it"
        for name, party in ((first, mine), (second, sender)):
            p = etree.SubElement(h, q(name))
            for n, v in zip(("LocalGovCode", "BusinessUnit", "SystemId"), party, strict=True):
                etree.SubElement(p, q(n)).text = v
        if first == "Receiver":  # keep the XSD's order: Sender before Receiver
            h.insert(2, h[3])
        svc = etree.SubElement(h, q("Service"))
        etree.SubElement(svc, q("ServiceId")).text = request_header.findtext(
            f"{q('Service')}/{q('ServiceId')}")
        etree.SubElement(svc, q("Version")).text = request_header.findtext(
            f"{q('Service')}/{q('Version')}")
        if self.defect == "sent-at-echoes-request":  # the request's header copied over
            sent_at = request_header.findtext(q("SentAt"))
        sent_at = self._fortyeighth_sent_at(response, sent_at)
        etree.SubElement(h, q("SentAt")).text = sent_at
        if not (self.defect == "as-of-answers-no-user-id" and b"AsOf>" in raw):
            etree.SubElement(h, q("UserId")).text = \
                "山田太郎" if self.defect == "user-id-person-name" else \
                request_header.findtext(q("UserId")) if self.defect == "user-id-echoed" else \
                "indie-batch"
        etree.SubElement(h, q("LinkageKind")).text = "delta" \
            if self.defect == "extract-linkage-kind-delta" else request_header.findtext(
                q("LinkageKind"))
        etree.SubElement(h, q("StandardVersion")).text = "1.0" \
            if self.defect == "standard-version-not-echoed" else request_header.findtext(
                q("StandardVersion"))  # the version the vendor implements
        if not (self.defect == "not-found-no-request-hash" and is_not_found) and \
                not (self.defect == "duplicate-receipt-no-request-hash" and duplicate):
            hashed = raw
            if self.defect == "request-hash-utf16-reencoded" and raw[:2] in (b"\xff\xfe",
                                                                            b"\xfe\xff"):
                hashed = raw.decode("utf-16").encode("utf-8")  # hashed after decoding
            if self.defect == "request-hash-stripped":  # the framework strips the body
                hashed = raw.strip()
            if self.defect == "request-hash-without-bom" and raw.startswith(b"\xef\xbb\xbf"):
                hashed = raw[3:]  # read through a BOM-skipping reader
            if self.defect == "request-hash-crlf-normalised":  # read in text mode
                hashed = raw.replace(b"\r\n", b"\n")
            if self.defect == "later-pages-request-hash-of-first" and extract_id is not None:
                hashed = self.eighth.setdefault(("hashed", extract_id), hashed)
            if self.defect == "soap12-hash-of-body" and soap == SOAP12:
                hashed = etree.tostring(etree.fromstring(raw).find(f"{{{SOAP12}}}Body"))
            if self.defect == "by-individual-number-hash-without-declaration" and \
                    b"IndividualNumber>" in raw and raw.startswith(b"<?xml"):
                hashed = raw.split(b"?>", 1)[1].lstrip()
            hashed = self._thirtieth_hashed(raw, hashed)
            hashed = self._thirtyfifth_hashed(raw, hashed)
            hashed = self._thirtyninth_hashed(raw, hashed)
            hashed = self._fortieth_hashed(raw, hashed)
            hashed = self._fortyfirst_hashed(raw, hashed)
            hashed = self._fortythird_hashed(raw, hashed)
            hashed = self._fortyfourth_hashed(raw, hashed)
            digest = base64.b64encode(hashlib.sha256(hashed).digest()).decode()
            etree.SubElement(h, q("RequestHash"), algorithm=SHA256).text = digest
        self._thirteenth_reply_header(h, request_header, response, soap)
        self._fourteenth_reply_header(h)
        self._seventeenth_reply_header(h)
        self._eighteenth_reply_header(h, soap)
        self._nineteenth_reply_header(h, raw)
        self._twentieth_reply_header(h, response, soap)
        self._twentyfirst_reply_header(h, response, soap, raw)
        self._twentythird_reply_header(h, request_header, response, raw)
        self._twentyfourth_reply_header(h, response, raw)
        self._twentyseventh_reply_header(h, response)
        self._twentyninth_reply_header(h, response)
        self._thirtieth_reply_header(h, response)
        self._thirtyfirst_reply_header(h, response, raw, request_header)
        self._thirtysecond_reply_header(h, response, request_header)
        self._thirtythird_reply_header(h, response, request_header)
        self._thirtyfourth_reply_header(h, response, raw, request_header)
        self._thirtyfifth_reply_header(h, response, raw)
        self._thirtysixth_reply_header(h, response, request_header)
        self._thirtyseventh_reply_header(h, response)
        self._thirtyeighth_reply_header(h, response, request_header)
        self._fortyfourth_reply_header(h, response)
        self._tenth_reply_header(h, soap)
        return h

    def _envelope(self, soap, response, request_header, raw) -> Answer:
        if self.defect == "soap12-receipt-in-soap11-envelope" and self.role == "subscriber":
            soap = SOAP11  # the receipt writer knows one envelope
        soap = self._fortythird_soap(soap)
        soap = self._fortyfifth_soap(soap, response)
        prefix = "S" if self.alternative == "other-prefixes" else "soap"
        env = etree.Element(f"{{{soap}}}Envelope", nsmap={prefix: soap})
        head = etree.SubElement(env, f"{{{soap}}}Header")
        if self.alternative == "extra-header-block":
            extra = etree.SubElement(head, "{urn:example:vendor:trace}Trace",
                                     nsmap={"t": "urn:example:vendor:trace"})
            extra.text = "indie-1"
        reply_header = self._reply_header(soap, request_header, raw, response)
        reply_header = self._eleventh_reply_header(reply_header, response)
        if self.alternative == "header-must-understand":  # SOAP allows it on any block
            reply_header.set(f"{{{soap}}}mustUnderstand", "1" if soap == SOAP11 else "true")
        head.append(reply_header)
        etree.SubElement(env, f"{{{soap}}}Body").append(response)
        self._seventh_answer(response)
        self._eighth_answer(response)
        self._ninth_answer(response)
        self._tenth_answer(response)
        self._eleventh_answer(response)
        self._twelfth_answer(response)
        self._thirteenth_answer(response)
        self._fourteenth_answer(response)
        self._fifteenth_answer(response)
        self._sixteenth_answer(response)
        self._seventeenth_answer(response, soap)
        self._eighteenth_answer(response)
        self._nineteenth_answer(response)
        self._twentieth_answer(response)
        self._twentyfirst_answer(response)
        self._twentysecond_answer(response)
        self._twentythird_answer(response, soap)
        self._twentyfourth_answer(response)
        self._twentyfifth_answer(response)
        self._twentysixth_answer(response)
        self._twentyseventh_answer(response)
        self._twentyeighth_answer(response)
        self._twentyninth_answer(response)
        self._thirtyfirst_answer(response)
        self._thirtysecond_answer(response)
        self._thirtythird_answer(response)
        self._thirtyfourth_answer(response)
        self._thirtyfifth_answer(response)
        self._thirtysixth_answer(response)
        self._thirtyseventh_answer(response)
        self._thirtyeighth_answer(response)
        self._thirtyninth_answer(response, soap)
        self._fortieth_answer(response, soap)
        self._fortyfirst_answer(response, soap)
        self._fortysecond_answer(response)
        self._fortythird_answer(response)
        self._degrade_text(response)
        self._seventeenth_envelope_out(env, soap, response)
        self._eighteenth_envelope_out(env, soap)
        self._thirtysecond_envelope(env, soap)
        special = self._eleventh_answer_out(env, soap, response) or \
            self._twelfth_answer_out(env, soap, response) or \
            self._sixteenth_answer_out(env, soap, response)
        if special is not None:
            return special
        if self.defect == "not-found-charset-latin1" and \
                response.findtext(f"{{{JUKI}}}Status") == "not-found":
            return self._bytes(env, soap, 200, charset="iso-8859-1")
        if self.defect == "not-found-http-404" and \
                response.findtext(f"{{{JUKI}}}Status") == "not-found":
            return self._bytes(env, soap, 404)
        if self.defect == "utf16-answer-labelled-utf16" and raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return self._bytes(env, soap, 200, charset="utf-16")  # the request's charset echoed
        if self.defect == "receipt-http-202" and self.role == "subscriber":  # one-way: 202
            return self._bytes(env, soap, 202)
        if self.defect == "duplicate-receipt-http-409" and \
                response.findtext(f"{{{PFR}}}Status") == "duplicate":  # "a conflict"
            return self._bytes(env, soap, 409)
        if self.defect == "extract-pages-shift-jis" and response.tag == \
                f"{{{JUKI}}}ResidentFullExtractResponse":  # the batch exporter's code page
            return ninth.shift_jis_answer(env, soap, 200)
        return self._thirtyfourth_out(self._thirtythird_out(self._thirtysecond_out(
            self._thirtyfirst_out(self._eighteenth_out(self._seventeenth_out(
                self._bytes(env, soap, 200)), raw), env, raw), env, raw), env, raw), env, raw)

    def _bytes(self, env, soap, status, charset=None) -> Answer:
        self._eleventh_bytes(env, soap)
        media = "text/xml" if soap == SOAP11 or self.defect == "soap12-as-text-xml" \
            else "application/soap+xml"
        alt = self.alternative
        if alt == "utf-16":
            body = etree.tostring(env, encoding="UTF-16", xml_declaration=True)
            return Answer(status, body, f"{media}; charset=utf-16")
        if alt == "character-references":
            body = etree.tostring(env, encoding="US-ASCII", xml_declaration=True)
            return Answer(status, body, f"{media}; charset=us-ascii")
        if alt == "cdata":
            for el in env.iter():
                if isinstance(el.tag, str) and len(el) == 0 and el.text and \
                        not el.text.isascii():
                    el.text = etree.CDATA(el.text)
        body = etree.tostring(env, encoding="UTF-8", xml_declaration=alt != "no-declaration",
                              pretty_print=alt == "pretty-print")
        if self.defect == "nonbmp-surrogate-references":
            body = surrogate_references(body)
        if self.defect == "nonbmp-cesu8":  # Oracle's "UTF8": each surrogate in 3 bytes
            body = re.sub(rb"[\xf0-\xf4][\x80-\xbf]{3}", lambda m: _cesu8(m[0].decode()), body)
        body = self._thirtyseventh_body(body, soap)
        body = self._fortyfifth_answer_bytes(body)
        if charset is None and self.defect == "content-type-charset-utf8-label":
            charset = "utf8"  # the database's name for it
        ctype = media if alt == "no-charset" else f"{media}; charset={charset or 'utf-8'}"
        return self._fortyfirst_bytes(self._fortieth_bytes(self._thirtyninth_bytes(
            self._thirtyeighth_bytes(Answer(status, body, ctype)))), env)

    def _fault(self, soap, refusal: Refusal, message_id) -> Answer:
        if (page := self._thirtyninth_fault_page(refusal)) is not None:
            return page
        self._thirtyeighth_refusal(refusal)
        self._fortyfourth_refusal(refusal)
        self._seventeenth_fault(refusal)
        self._twentyseventh_fault(refusal)
        self._twentyninth_fault(refusal)
        self._nineteenth_refusal(refusal)
        self._thirtyfifth_fault(refusal)
        message_id = self._tenth_fault(soap, refusal, message_id)
        self._eleventh_fault(soap, refusal)
        message_id = self._twelfth_fault(soap, refusal, message_id)
        message_id = self._thirtyfourth_fault_message_id(message_id)
        message_id = self._thirtyseventh_fault_message_id(refusal, message_id)
        message_id = self._thirtyninth_fault_message_id(refusal, message_id)
        message_id = self._fortieth_fault_message_id(refusal, message_id)
        self._thirteenth_fault(soap, refusal)
        self._fourteenth_fault(refusal)
        client = refusal.party == "client" and self.defect != "client-faults-as-server"
        client = self._thirteenth_client(soap, refusal, client)
        if self.defect == "client-faults-as-server":  # one catch-all handler for every error
            refusal.party = "provider"
        if self.defect == "soap12-fault-in-soap11-envelope":  # one fault writer, SOAP 1.1
            soap = SOAP11
        soap = self._thirtysecond_fault_soap(soap, refusal)
        soap = self._thirtyfourth_fault_soap(soap)
        soap = self._thirtyfifth_fault_soap(soap, refusal)
        soap = self._fortythird_soap(soap)
        soap = self._fortyfifth_fault_soap(soap, refusal)
        prefix = "S" if self.alternative == "other-prefixes" else "soap"
        env = etree.Element(f"{{{soap}}}Envelope", nsmap={prefix: soap})
        body = etree.SubElement(env, f"{{{soap}}}Body")
        fault = etree.SubElement(body, f"{{{soap}}}Fault")
        reason = refusal.reason
        if self.defect == "fault-string-cp932-bytes":  # the message file is Shift_JIS
            reason = f"要求を処理できません（{refusal.code}）"
        if self.alternative == "japanese-fault-text":
            reason = {"client": "要求に誤りがあります", "provider": "処理できませんでした"}.get(
                refusal.party, "エラー") + f"（{refusal.code}）"
        if soap == SOAP11 and self.defect == "soap11-fault-children-qualified":
            for local in ("faultcode", "faultstring", "detail"):  # SOAP 1.1: unqualified
                etree.SubElement(fault, f"{{{soap}}}{local}")
            fault[0].text = f"{prefix}:{'Client' if client else 'Server'}"
            fault[1].text = reason
            holder, status = fault[2], 500
        elif soap == SOAP11:
            etree.SubElement(fault, "faultcode").text = \
                f"{prefix}:{refusal.soap_code or ('Client' if client else 'Server')}"
            if self.defect == "soap11-faultcode-unqualified":
                fault[0].text = "Client" if client else "Server"
            if self.defect == "fault-code-prefix-undeclared":  # a template's prefix
                fault[0].text = f"SOAP-ENV:{'Client' if client else 'Server'}"
            etree.SubElement(fault, "faultstring").text = reason
            holder = etree.SubElement(fault, "detail")
            status = 400 if client and self.defect == "soap11-fault-http-400" else 500
        else:
            code = etree.SubElement(fault, f"{{{soap}}}Code")
            etree.SubElement(code, f"{{{soap}}}Value").text = \
                f"{prefix}:{refusal.soap_code or ('Sender' if client else 'Receiver')}"
            if self.defect == "soap12-fault-code-client":  # SOAP 1.1's names in 1.2
                code[0].text = f"{prefix}:{'Client' if client else 'Server'}"
            if self.defect == "fault-code-prefix-undeclared":  # a template's prefix
                code[0].text = f"env:{'Sender' if client else 'Receiver'}"
            text = etree.SubElement(etree.SubElement(fault, f"{{{soap}}}Reason"),
                                    f"{{{soap}}}Text")
            if self.defect != "soap12-fault-reason-without-lang":  # SOAP 1.2: required
                text.set("{http://www.w3.org/XML/1998/namespace}lang",
                         "ja" if self.alternative == "japanese-fault-text" else "en")
            text.text = reason
            holder = etree.SubElement(fault, f"{{{soap}}}Detail")
            status = 400 if client else 500
            if self.defect == "soap12-rule-fault-500" and refusal.code == "PF-RULE-VIOLATION":
                status = 500
            if self.defect == "soap12-fault-http-200":  # the framework's default status
                status = 200
            if refusal.soap_code == "VersionMismatch":  # part 1, 5.4.7: with env:Upgrade
                status = 500  # part 2, 7.5.2.2
                head = etree.Element(f"{{{soap}}}Header")
                upgrade = etree.SubElement(head, f"{{{soap}}}Upgrade")
                etree.SubElement(upgrade, f"{{{soap}}}SupportedEnvelope").set(
                    "qname", f"{env.prefix}:Envelope")  # this envelope's own prefix
                etree.SubElement(upgrade, f"{{{soap}}}SupportedEnvelope",
                                 nsmap={"v11": SOAP11}).set("qname", "v11:Envelope")
                env.insert(0, head)
            if refusal.soap_code == "MustUnderstand":  # SOAP 1.2 part 2, 7.5.2.2: 500
                status = 500
                if refusal.not_understood:  # part 1, 5.4.8: the NotUnderstood block (optional)
                    ns, _, local = refusal.not_understood[1:].partition("}")
                    head = etree.Element(f"{{{soap}}}Header")
                    etree.SubElement(head, f"{{{soap}}}NotUnderstood", nsmap={"nu": ns},
                                     qname=f"nu:{local}")
                    env.insert(0, head)
        if self.defect == "misrouted-http-421" and refusal.code == "PF-PROVIDER-MISROUTED":
            status = 421  # RFC 9110 15.5.20: "not able to produce a response" for this target
        status = self._thirtysixth_fault_status(soap, refusal, client, status)
        status = self._thirtyninth_fault_status(soap, refusal, status)
        status = self._fortyfifth_fault_status(soap, refusal, status)
        status = self._fortysixth_fault_status(soap, refusal, status)
        detail = etree.SubElement(holder, f"{{{PFF}}}FaultDetail", nsmap={"pff": PFF})
        etree.SubElement(detail, f"{{{PFF}}}Code").text = refusal.code
        etree.SubElement(detail, f"{{{PFF}}}Party").text = "hub" if \
            self.defect == "rule-fault-party-hub" and refusal.code == "PF-RULE-VIOLATION" \
            else refusal.party
        if self.defect == "rule-fault-without-message-id" and refusal.code == "PF-RULE-VIOLATION":
            message_id = None
        if self.defect == "fault-message-id-fresh" and message_id:  # the fault's own ID
            message_id = str(uuid.uuid4())
        if message_id and message_id.strip():
            etree.SubElement(detail, f"{{{PFF}}}MessageId").text = message_id.strip()
        for rule, text in refusal.findings:
            finding = etree.SubElement(detail, f"{{{PFF}}}Finding")
            etree.SubElement(finding, f"{{{PFF}}}Rule").text = rule
            etree.SubElement(finding, f"{{{PFF}}}Message").text = str(text)
        if self.defect == "soap12-fault-no-detail" and soap == SOAP12:
            fault.remove(holder)  # the 1.2 writer never learnt the platform's detail
        self._thirtyfifth_fault_detail(fault, holder, soap, refusal)
        self._thirtysixth_fault_detail(detail, refusal)
        self._thirtyseventh_fault(fault, soap, refusal)
        self._thirtyninth_fault_detail(detail, refusal)
        self._fortieth_fault(fault, soap, refusal)
        self._fortyfirst_fault(env, fault, holder, detail, soap, refusal)
        self._fortysecond_fault(detail, refusal)
        self._fortythird_fault(detail, refusal)
        self._fortyfifth_fault(detail, refusal)
        self._fortysixth_fault(detail, refusal)
        self._fortyseventh_fault(detail, refusal)
        self._fifteenth_fault(fault, soap)
        self._eighteenth_fault(detail, refusal)
        self._twentyfifth_fault(detail, soap)
        self._twentyninth_fault_detail(detail, refusal)
        self._thirtieth_fault_envelope(env, soap, refusal)
        self._thirtyfirst_fault_envelope(env, soap)
        self._thirtysecond_fault(detail, refusal)
        self._thirtythird_fault(detail, soap)
        answer = self._bytes(env, soap, status)
        self._thirteenth_fault_answer(soap, answer)
        self._fourteenth_fault_answer(soap, refusal, answer)
        self._sixteenth_fault_answer(soap, answer)
        if self.defect == "fault-string-cp932-bytes":
            answer.body = answer.body.replace(reason.encode(), reason.encode("cp932"))
        self._twentythird_fault_answer(refusal, answer)
        self._twentysixth_fault_answer(soap, answer)
        self._thirtyfourth_fault_answer(soap, refusal, answer)
        self._fortyfirst_fault_answer(refusal, answer)
        self._fortythird_fault_answer(answer)
        return answer
