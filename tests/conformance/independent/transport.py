"""HTTP in: the independent adapter's reading of a request — SOAP version from the Content-Type,
the bytes parsed (no DTD), the envelope split into the platform header and the body."""

from __future__ import annotations

from lxml import etree

from .standard import PFH, SOAP11, SOAP12, Answer, Refusal, _HtmlError

# SOAP 1.1 (4.2.2, 4.2.3) and SOAP 1.2 part 1 (5.2.2, 5.2.3): the roles this node plays as the
# ultimate receiver (no attribute: the ultimate receiver), and the true values of mustUnderstand
_MY_ROLES = {SOAP11: {"", "http://schemas.xmlsoap.org/soap/actor/next"},
             SOAP12: {"", "http://www.w3.org/2003/05/soap-envelope/role/next",
                      "http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver"}}
_TRUE = {SOAP11: {"1"}, SOAP12: {"1", "true"}}


class Transport:
    """Mixed into Adapter: ``handle`` is the one entry point of an HTTP POST."""

    # --- HTTP in, HTTP out ----------------------------------------------------------------------

    def handle(self, raw: bytes, content_type: str, soap_action: str | None = None) -> Answer:
        soap = SOAP12 if content_type.lower().startswith("application/soap+xml") else SOAP11
        message_id = None
        try:
            self._thirtyfourth_http(raw, content_type, soap_action)
            self._thirtyfifth_http()
            self._thirtysixth_http(content_type)
            self._thirtyseventh_http(raw, content_type)
            self._thirtyeighth_http(raw, content_type)
            self._thirtyninth_http(raw, content_type)
            self._fortieth_http(raw, content_type)
            self._fortyfirst_http(raw, content_type)
            self._fortysecond_http()
            self._fortythird_http(raw, content_type)
            self._fortyfourth_http()
            self._fortyseventh_http(raw, content_type)
            self._eleventh_raw(raw)
            raw = self._twelfth_raw(raw)
            raw = self._thirteenth_raw(raw)
            self._thirtyfirst_http(content_type)
            self._thirtysecond_http(raw, content_type)
            self._thirtythird_http(raw, content_type)
            self._fourteenth_content_type(content_type)
            self._fifteenth_content_type(content_type)
            self._sixteenth_content_type(content_type)
            self._seventeenth_raw(raw, content_type)
            self._eighteenth_raw(raw)
            self._nineteenth_raw(raw)
            self._twentieth_raw(raw, content_type)
            self._twentyfirst_raw(raw)
            self._twentythird_content_type(content_type)
            if self.defect == "soap-action-required" and soap == SOAP11 and not soap_action:
                raise Refusal("PF-SOAP-ENVELOPE", "client", "SOAPAction is required",
                              [("http:soapaction", "no SOAPAction header")])
            if self.defect == "utf8-bom-refused" and raw.startswith(b"\xef\xbb\xbf"):
                raise Refusal("PF-SOAP-ENVELOPE", "client", "a byte order mark is not allowed",
                              [("xml:bom", "the request starts with a BOM")])
            if self.defect == "utf16-request-refused" and raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
                raise Refusal("PF-SOAP-ENVELOPE", "client", "only UTF-8 is supported",
                              [("xml:encoding", "the request is not UTF-8")])
            if self.defect == "soap12-action-required" and soap == SOAP12 and \
                    "action=" not in content_type.lower():
                raise Refusal("PF-SOAP-ENVELOPE", "client", "the action parameter is required",
                              [("soap:action", "no action in the Content-Type")])
            if self.defect == "charset-quoted-refused" and 'charset="' in content_type.lower():
                raise Refusal("PF-CONTENT-TYPE", "client", "unsupported charset",  # '"utf-8"'
                              [("http:content-type", "charset must be utf-8")])
            media = content_type.split(";")[0].strip()
            if self.defect == "content-type-case-sensitive" and \
                    media not in ("text/xml", "application/soap+xml"):  # RFC 9110: no case
                raise Refusal("PF-CONTENT-TYPE", "client", "unsupported media type",
                              [("http:content-type", media)])
            if media.lower() not in ("text/xml", "application/soap+xml") and \
                    not self._fortysixth_media_taken(media):  # docs/faults.md
                raise Refusal("PF-CONTENT-TYPE", "client", "unsupported media type",
                              [("http:content-type", media or "(none)")])
            root, soap = self._parse(raw, content_type, soap)
            self._fortyfirst_envelope(root, soap)
            self._fortysixth_envelope(root, soap)
            self._thirtieth_envelope(root)
            self._tenth_envelope(root, soap)
            self._eleventh_envelope(root)
            self._sixteenth_envelope(root)
            self._seventeenth_envelope(root, soap)
            if self.defect == "deep-nesting-html-500" and \
                    max(len(list(el.iterancestors())) for el in root.iter()) > 50:
                raise _HtmlError()  # the vendor's recursive 外字 walker gives up
            self._fortysecond_envelope(root, soap)
            header, body = self._parts(root, soap)
            message_id = header.findtext(f"{{{PFH}}}MessageId") if header is not None else None
            self._thirtyfourth_envelope(header)
            self._twentyfirst_envelope(root, soap, message_id)
            self._twentysecond_envelope(root, soap, message_id)
            self._sixteenth_soap_action(soap, soap_action, header, message_id)
            caching = self.alternative == "cached-resend" and self.role == "provider"
            if caching:  # a resent notice must be receipted "duplicate": providers only
                cached = self.cache.get(raw)
                if cached is not None:
                    return cached
            response, header_out = self._serve(raw, header, body, soap)
            answer = self._envelope(soap, response, header_out, raw)
            answer = self._seventeenth_answer_kept(header, body, answer)
            self._twentysixth_framing(answer)
            self._twentyseventh_framing(body, answer)
            self._twentyninth_framing(body, answer)
            if self.defect == "content-length-counts-characters":  # len() of the text
                answer.content_length = len(answer.body.decode("utf-8"))
            if caching:
                self.cache[raw] = answer
            return answer
        except _HtmlError:
            return Answer(500, b"<html><body><h1>500 Internal Server Error</h1></body></html>",
                          "text/html; charset=utf-8")
        except Refusal as r:
            return self._fault(soap, r, r.message_id or message_id)

    def _parse(self, raw: bytes, content_type: str, soap: str):
        if self.defect == "charset-from-http":
            charset = next((p.split("=", 1)[1].strip().strip('"') for p in
                            content_type.split(";")[1:] if p.strip().lower().startswith(
                                "charset=")), "utf-8")
            try:
                text = raw.decode(charset)
            except (UnicodeDecodeError, LookupError):
                raise Refusal("PF-PROVIDER-INTERNAL", "provider", "cannot decode") from None
            raw = text.encode("utf-8", "surrogatepass")
        if b"<!DOCTYPE" in raw[:2048] and self.defect == "dtd-refused-as-malformed":
            raise Refusal("PF-SOAP-ENVELOPE", "client", "not well-formed XML",  # the parser's
                          [("xml:well-formed", "DOCTYPE is not allowed")])  # own refusal
        unseen = self._fortyeighth_dtd_unseen(raw)  # dtd-after-prolog-comment-answered
        if b"<!DOCTYPE" in raw[:2048] and self.defect not in ("dtd-expanded", "xxe-resolved") \
                and not unseen:
            raise Refusal("PF-XML-DTD", "client", "a DTD is not allowed in SOAP",
                          [("soap:no-dtd", "the message has a document type declaration")])
        parser = etree.XMLParser(resolve_entities=self.defect in ("dtd-expanded",
                                                                  "xxe-resolved"),
                                 load_dtd=self.defect == "xxe-resolved", no_network=True,
                                 huge_tree=False,
                                 # a value is its text without comments and PIs (XML 1.0;
                                 # README): dropped here, findtext reads it whole
                                 remove_comments=self.defect != "comment-in-body-refused",
                                 remove_pis=True)
        raw = self._fourteenth_parse_bytes(raw)
        raw = self._fifteenth_parse_bytes(raw)
        raw = self._eighteenth_parse_bytes(raw, content_type)
        raw = self._nineteenth_parse_bytes(raw)
        raw = self._thirtyfourth_parse_bytes(raw)
        raw = self._fortyfirst_parse_bytes(raw)
        raw = self._fortysecond_parse_bytes(raw)
        raw = self._fortythird_parse_bytes(raw)
        raw = self._fortyfourth_parse_bytes(raw)
        self._sixteenth_parse_bytes(raw)
        try:
            root = etree.fromstring(raw, parser)
        except etree.XMLSyntaxError as exc:
            if self.defect == "malformed-html":
                raise _HtmlError() from None
            raise Refusal("PF-SOAP-ENVELOPE", "client", "not well-formed XML",
                          [("xml:well-formed", str(exc))]) from None
        if root.getroottree().docinfo.doctype and self.defect not in (
                "dtd-expanded", "xxe-resolved") and not unseen:  # any encoding (security.md)
            raise Refusal("PF-XML-DTD", "client", "a DTD is not allowed in SOAP",
                          [("soap:no-dtd", "the message has a document type declaration")])
        if root.tag not in (f"{{{SOAP11}}}Envelope", f"{{{SOAP12}}}Envelope"):
            # SOAP 1.1 4.1.2, SOAP 1.2 Part 1 5.4.7, docs/faults.md: a version error
            raise Refusal("PF-SOAP-ENVELOPE", "client", "not a SOAP envelope",
                          [("soap:envelope", f"the root is {root.tag}")],
                          soap_code="VersionMismatch")
        if self.alternative == "processing-instruction-fault":
            self._refuse_processing_instructions(raw, root)
        return root, root.tag[1:].split("}")[0]

    def _refuse_processing_instructions(self, raw: bytes, root) -> None:
        """SOAP 1.2 Part 1 §5: a receiver SHOULD fault (env:Sender) on a message holding a
        processing instruction, and SOAP 1.1 §3 forbids one in a message: refused, with the
        code docs/faults.md recommends (the alternative README and P-EQUIV-01 allow)."""
        kept = etree.fromstring(raw, etree.XMLParser(resolve_entities=False, no_network=True,
                                                     load_dtd=False, huge_tree=False))
        found = kept.getroottree().xpath("//processing-instruction()")
        if found:
            raise Refusal("PF-SOAP-ENVELOPE", "client", "a SOAP message must not contain a "
                          "processing instruction",
                          [("soap:processing-instruction", f"<?{found[0].target} …?>")],
                          root.findtext(f".//{{{PFH}}}PlatformHeader/{{{PFH}}}MessageId"))

    def _parts(self, root, soap):
        body_el = root.find(f"{{{soap}}}Body")
        children = [c for c in (body_el if body_el is not None else []) if isinstance(c.tag, str)
                    or self.defect == "comment-in-body-refused"]  # len(body) counts comments
        self._thirtyninth_parts(children, root.iterfind(f"{{{soap}}}Header/*"))
        parts = [c.tag for c in root if isinstance(c.tag, str)]
        if parts not in ([f"{{{soap}}}Body"], [f"{{{soap}}}Header", f"{{{soap}}}Body"]) and \
                not self._fortythird_lax_envelope(parts, soap):
            # SOAP 1.1 §4, SOAP 1.2 Part 1 §5: an optional Header, then one Body, nothing else
            raise Refusal("PF-SOAP-ENVELOPE", "client", "an Envelope holds an optional Header "
                          "and one Body", [("soap:envelope", f"{len(parts)} parts")])
        if len(children) != 1:
            raise Refusal("PF-SOAP-ENVELOPE", "client", "soap:Body must hold one element",
                          [("soap:body", f"{len(children)} elements")])
        blocks = [c for c in root.iterfind(f"{{{soap}}}Header/*") if isinstance(c.tag, str)]
        if self.defect == "foreign-header-block-refused" and len(blocks) > 1:  # the header
            raise Refusal("PF-SOAP-ENVELOPE", "client", "unexpected header block",  # mapper's
                          [("soap:header", f"{len(blocks)} header blocks")])  # one class
        self._thirteenth_must_understand(blocks, soap)
        self._fourteenth_must_understand(blocks, soap)
        self._must_understand(blocks, soap)
        headers = root.findall(f"{{{soap}}}Header/{{{PFH}}}PlatformHeader")
        headers = self._seventeenth_headers(blocks, headers)
        headers = self._thirtieth_headers(root, headers)
        if self.defect == "header-prefix-assumed":  # the header found by its usual prefix
            headers = [h for h in headers if h.prefix == "pfh"]
        return (headers[0] if len(headers) == 1 else None), children[0]

    def _must_understand(self, blocks, soap) -> None:
        """SOAP's processing model: a header block addressed to this node with mustUnderstand
        true that it does not understand (anything but pfh:PlatformHeader) is refused before
        anything else, with SOAP's own MustUnderstand fault."""
        if self._twentyeighth_must_understand_skipped(soap) or \
                self._fortyfourth_must_understand_deferred(blocks, soap):
            return
        role = f"{{{soap}}}{'actor' if soap == SOAP11 else 'role'}"
        mid = next((b.findtext(f"{{{PFH}}}MessageId") for b in blocks
                    if b.tag == f"{{{PFH}}}PlatformHeader"), None)  # the fault names it
        roles = self._tenth_must_understand(blocks, soap, _MY_ROLES[soap], mid)
        for block in blocks:
            if block.tag != f"{{{PFH}}}PlatformHeader" and \
                    block.get(f"{{{soap}}}mustUnderstand", "").strip() in \
                    self._fifteenth_true(_TRUE[soap]) and \
                    block.get(role, "").strip() in roles:
                raise Refusal("PF-MUST-UNDERSTAND", "client", "a header block is not understood",
                              [("soap:mustUnderstand", f"{block.tag} is not understood")],
                              mid, soap_code="MustUnderstand", not_understood=block.tag)
