"""The thirty-seventh blind batch of defects (issue 11): plausible single mistakes of a vendor's
code path, written from the public documents only (README, docs/notices.md, docs/faults.md,
docs/characters.md, docs/adapter-sdk.md, docs/glossary.md, the XSDs and WSDLs, the code lists,
../shared/docs/platform.md, and the standards: SOAP 1.1/1.2, XML 1.0, Namespaces in XML, XML
Schema, HTTP/1.1, Unicode) and this independent adapter's code, by a helper engineer (session
b37) who has not read the suite, and committed before the suite was run on it. None repeats a
defect of the earlier batches (seventh … thirty-sixth, and variants.py's DEFECTS), which were
read for the mechanics and to stay clear of them; none is a behaviour those documents permit or
leave open. Most are combinations of two inputs a suite may well send apart (a rule fault × SOAP
1.1, an inquiry by 個人番号 × a 旧氏 or × the clock, a not-found answer × the clock, an unknown
ExtractId × the fault's MessageId, a C09 × a 旧氏 still carried, a tab × the Content-Type, a
Sender × the provider's own SystemId, 丁目 × a lexical form, a 世帯番号 × a change, UTF-16 × no XML
declaration, a 旧氏 × half-width katakana, SOAP 1.2 × a character beyond the BMP, a 消除 or a
resident not held × the name's characters, a 生年月日 before 1950, a 個人番号 × a change dated
before 2015-10-05, an old 異動年月日 × a restart, a 異動連番 beyond 2⁵³ × a restart, a kill × a
旧氏・通称 change). ``ThirtyseventhBatch`` is mixed into ``Adapter``; its ``_thirtyseventh_*`` hooks
are called where each defect lives and change nothing when no defect of this batch is selected.
The subscriber's store hooks are in thirtyseventh_store.py.

Committed as 1b58238 (on branch b37). Measured once, blind, on the suite of that commit
(`python -m tests.conformance.independent_runs THIRTYSEVENTH_BATCH`, 2026-12-06 20:13:21Z to
20:14:32Z, 1 min 11 s, load 1.3 at the start, 2.0 at the end): 18/22 caught = 81.8 %. Per class:
1 (one message shape) 5/5, 2 (inputs rarely sent) 2/4, 3 (characters) 6/6, 4 (time) 3/4,
5 (durability) 2/3. Per role: provider 8/10, subscriber 10/12. No variant failed to start, and
every catch names the variant's own defect (the findings quote what it writes wrong: soap:Server
for a rule fault over SOAP 1.1, a 旧氏 missing by 個人番号, no pff:MessageId for an unknown
ExtractId, a C09 with a FormerSurname refused, HTTP 500 for 丁目 010, a new 世帯番号 not held, a
UTF-16 request without a declaration refused, 福井イ for 福井ｲ, a SOAP 1.2 answer that is no usable
envelope, ?田花子 after a 消除, 神谷マリア for 神谷ﾏﾘｱ, SentAt 32401 s behind, a naive SentAt on
not-found, VENDOR-DATE for a 生年月日 of 0001-01-01 read back as 2001, a resident of 異動年月日
0001-01-01 gone after a restart, a kill after a C08/C09 receipt); none came from something else.
Disclosure: the measurement's output (its 23 lines: every variant's first catching case with its
finding, cut at 200 characters, and the misses) was read whole; nothing else of the suite was
read. Missed (THIRTYSEVENTH_MEASURED_MISSES; no variant was changed after the measurement), with
why the suite did not see it as far as the documents tell:
- content-type-tab-before-semicolon-refused (provider): the variant refuses only a tab right
  before a ';' (spaces on either side, and a tab after it, are read); the suite's Content-Type
  forms apparently put white space before ';' as spaces only, or a tab after it (README names
  both spaces and tabs on either side of each ';', but not which forms a suite sends).
- sender-own-system-id-refused (provider): the variant refuses a Sender whose SystemId is the
  product's own; the suite's Senders apparently never carry the product's SystemId (README's
  "every Sender is answered" is judged with other SystemIds: of 1 to 64 characters, punctuation,
  another municipality's).
- individual-number-before-numbering-refused (subscriber): the variant refuses a change dated
  before 2015-10-05 only when its resident carries cmn:IndividualNumber (optional); the suite's
  old-dated notices (0001-01-01 is sent, by S-EDGE-01) apparently carry no 個人番号, and its
  notices with a 個人番号 are dated later.
- watermarks-cached-as-json-double-on-start (subscriber): after a restart the variant compares
  with the held 異動連番 as a double; the suite's large-異動連番 restart checks apparently use
  values a double still orders right (2³¹, 999999999999999999 — rounded up to 10¹⁸, so an equal
  one is still kept out — or a greater one), not an equal or lower 異動連番 between 2⁵³ and the
  next double above the held one.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata


from .seventh import surrogate_references
from .standard import CMN, JST, JUKI, PFH, SOAP11, SOAP12, Refusal
from .thirtyfifth_store import day_of
from .thirtyseventh_store import ThirtyseventhStore
from .thirtysixth import NUMBERING_BEGAN

P, S, BOTH = ("provider",), ("subscriber",), ("provider", "subscriber")
INQUIRY_RESPONSE = f"{{{JUKI}}}ResidentInquiryResponse"
EXTRACT_RESPONSE = f"{{{JUKI}}}ResidentFullExtractResponse"
NOTICE = f"{{{JUKI}}}ResidentChangeNotice"
_BOMS = (b"\xff\xfe", b"\xfe\xff")
_HALF_WIDTH_KANA = re.compile("[\uff61-\uff9f]+")
# how the vendor's kanji-numeral table (丁 一 … 九千九百九十九) is keyed: the canonical digits
CANONICAL_CHOME = re.compile(r"[1-9][0-9]{0,3}")
MEDIA_TYPES = ("text/xml", "application/soap+xml")

# name → (class of issue 11, roles, what it does wrong [the requirement a vendor can read])
THIRTYSEVENTH_DEFECTS: dict[str, tuple[int, tuple[str, ...], str]] = {
    # 1 — a rule broken on one message shape, one fault kind or one answer only
    "rule-fault-soap11-faultcode-server": (
        1, BOTH, "the rules beyond XSD run in the vendor's service layer, after unmarshalling, and "
                 "its SOAP 1.1 stack maps every exception raised there to soap:Server (its newer "
                 "SOAP 1.2 binding takes the code from the detail's party): a PF-RULE-VIOLATION "
                 "over SOAP 1.1 (a check digit, a code list) has faultcode soap:Server while its "
                 "pff:FaultDetail says Party client; every other fault and SOAP 1.2 are right "
                 "[docs/faults.md: SOAP 1.1 faults are soap:Client (the caller's fault) or "
                 "soap:Server; PF-RULE-VIOLATION is party client; docs/adapter-sdk.md: the "
                 "caller's error is soap:Client / env:Sender]"),
    "by-individual-number-former-surname-dropped": (
        1, P, "an inquiry by 個人番号 reads the resident from the vendor's 番号連携 view, whose "
              "column list has no 旧氏: the answered resident (juki:Resident) lacks the "
              "cmn:FormerSurname the record holds; by 宛名番号, in the household's members and "
              "in 全件 pages it is right [juki-v1.xsd ResidentInquiryRequest: by 宛名番号 or "
              "個人番号, one answer — the resident and the household; common-v1.xsd ResidentType "
              "FormerSurname 旧氏; platform.md: 旧氏 is an item of the resident]"),
    "unknown-extract-fault-message-id-omitted": (
        1, P, "the refusal of a 全件 request naming an unknown ExtractId is raised by the vendor's "
              "snapshot store, below the layer that keeps the request's header, and its fault "
              "detail is written without pff:MessageId; every other fault names the request "
              "[docs/faults.md: pff:MessageId — when the header could be read; an unknown "
              "ExtractId is the client's error, an adapter's own refusal with a pff:FaultDetail]"),
    "former-surname-deletion-with-former-surname-refused": (
        1, S, "the 旧氏・通称の削除 (C09) handler cross-checks the state it carries against its "
              "name — 'after a deletion no 旧氏 remains' — and refuses VENDOR-INCONSISTENT "
              "(client) a C09 whose resident still carries cmn:FormerSurname (a 通称 deleted, "
              "the 旧氏 kept); other changes with a 旧氏 are right [docs/notices.md: a C09 that "
              "still carries one is a valid notice; a C08 or C09 with or without "
              "cmn:FormerSurname is never refused, and is receipted applied]"),
    # 2 — inputs rarely sent: other keys, odd-but-legal XML, several changes
    "content-type-tab-before-semicolon-refused": (
        2, P, "the provider's front end takes the media type as the Content-Type's part before "
              "the first ';' stripped of spaces — str.strip(' '), not of white space: a request "
              "labelled text/xml<TAB>; charset=utf-8 (or application/soap+xml<TAB>;…) is "
              "refused PF-CONTENT-TYPE; spaces around ';' are right [README: the Content-Type "
              "is read as RFC 9110 §8.3.1 and §5.6.6 write it — optional white space (spaces, "
              "tabs) on either side of each ';']"),
    "sender-own-system-id-refused": (
        2, P, "the vendor's loop guard (against its own answers routed back to it) refuses "
              "PF-PROVIDER-MISROUTED a request whose Sender SystemId is its own SystemId, "
              "whatever the Sender's 団体コード and 業務ユニット: another municipality's registry "
              "of the same product, which ships the same default SystemId, is never answered "
              "[README: a request the hub delivers is answered whoever sent it — every Sender "
              "the schema and its rules admit, a SystemId of 1 to 64 characters, is answered as "
              "any other; who may call is the hub's access rights, not a table of Senders]"),
    "chome-leading-zero-internal": (
        2, S, "the subscriber keeps 丁 in kanji numerals (二) through a table keyed by the "
              "element's text, '1' … '9999': a cmn:Chome written 02, 010, +3 or with white space "
              "around it (xs:positiveInteger, the values 2, 10, 3) misses the table and fails "
              "PF-PROVIDER-INTERNAL, so the notice is redelivered until dead [docs/notices.md: "
              "丁目 is kept at every value up to 9999, in whatever lexical form it comes (010 "
              "is 10); common-v1.xsd AddressType Chome: xs:positiveInteger]"),
    "resident-keyed-with-household-number": (
        2, S, "the vendor's 世帯員 table is keyed by (世帯番号, 宛名番号): a change carrying a "
              "世帯番号 other than the one the resident was first held under (a 世帯分離, 世帯変更, "
              "a 転居 into another household) goes to a second row, and the vendor's screens — "
              "the resident by its 宛名番号 — still show the first one, its old name and count "
              "[docs/notices.md: a change carrying a 世帯番号 other than the one held is applied "
              "to the resident held under its 宛名番号, never to a record keyed by the "
              "identifier it carries]"),
    # 3 — characters
    "utf16-without-declaration-read-as-utf8": (
        3, BOTH, "the vendor's transcoding filter decides a request's encoding from its XML "
                 "declaration only (it rewrites a declared UTF-16 document to UTF-8 for its "
                 "UTF-8 parser): a UTF-16 request with its byte order mark and no XML "
                 "declaration goes to the parser as it is and is refused PF-SOAP-ENVELOPE as not "
                 "well-formed; UTF-16 with a declaration and UTF-8 without one are right "
                 "[README: the XML declaration is optional — without one the document is UTF-8, "
                 "or UTF-16 by its byte order mark; every product reads UTF-16 with its byte "
                 "order mark (XML 1.0 §4.3.3, Appendix F)]"),
    "former-surname-half-width-widened": (
        3, P, "the 旧氏 lives in the vendor's 旧氏 table, filled through its 旧氏 screen, which "
              "widens half-width katakana: a cmn:FormerSurname/cmn:Text holding half-width "
              "katakana (福井ｲ…, 都井ｲ…) is answered full-width (福井イ…), in 住民照会 answers, "
              "members and 全件 pages; the name itself is right [docs/characters.md: no katakana "
              "goes through half-width forms, a registered name reaches every system exactly as "
              "registered; README: names byte for byte, never normalised]"),
    "soap12-answers-nonbmp-surrogate-references": (
        3, P, "the SOAP 1.2 endpoint (the vendor's second stack) serialises its answers with an "
              "XML writer that escapes a character beyond the BMP as two character references "
              "to its UTF-16 surrogates (𠮷 → &#xD842;&#xDFB7;, an IVS selector likewise), which "
              "no XML parser reads as the character; SOAP 1.1 answers are right [XML 1.0 §2.2, "
              "§4.1: a character reference must match Char, surrogates do not; README: names "
              "travel as UCS plus Moji_Joho IVS selectors, byte for byte; adapter-sdk.md: SOAP "
              "1.1 and 1.2 are both answered]"),
    "removal-notice-names-via-cp932": (
        3, S, "a 消除 (B..) is written to the vendor's 除票 table, carried over from its old "
              "system, whose name column is CP932 (Shift_JIS): a removed resident's name "
              "character outside it (𠮷, an IVS selector, 〜 U+301C) is stored '?' or as CP932's "
              "form; 記載 and 修正 are stored as sent [docs/characters.md: names are UCS plus "
              "Moji_Joho IVS selectors, never normalised; docs/notices.md: after a 消除 the "
              "record is kept, every value a field admits is stored as sent]"),
    "first-change-names-nfkc": (
        3, S, "a change of a resident the subscriber does not hold goes through the vendor's "
              "新規登録 path, whose input normaliser (NFKC, written for its 窓口 screens) rewrites "
              "the name: 神谷ﾏﾘｱ is first held 神谷マリア, 神 U+FA19 神 U+795E, ＲＯＳＳＩ ROSSI; "
              "later changes of the resident are stored as sent [docs/characters.md: nothing "
              "anywhere applies NFC/NFKC; docs/notices.md: a change of a resident the "
              "subscriber does not hold makes it hold that resident in the state it carries, "
              "every value stored as sent]"),
    # 4 — time
    "by-individual-number-sent-at-utc-clock": (
        4, P, "answers to inquiries by 個人番号 are written by the vendor's 番号連携 server, "
              "whose clock runs in UTC, with +09:00 written after it: their SentAt is nine hours "
              "behind; answers by 宛名番号 and 全件 pages are right [README: an answer's SentAt "
              "is the moment it is sent, read from the system's clock in JST; header-v1.xsd "
              "SentAt always JST; the suite judges it within 120 s of its own clock]"),
    "not-found-sent-at-naive": (
        4, P, "a not-found answer is written by the vendor's 'no data' template, which formats "
              "SentAt from a local date-time without its offset (2026-12-09T15:20:00): every "
              "not-found answer's header is invalid; found answers are right [header-v1.xsd "
              "JstDateTimeType: an xs:dateTime ending +09:00; README: SentAt always +09:00]"),
    "birth-two-digit-year-pivot-refused": (
        4, S, "生年月日 goes through the vendor's legacy YYMMDD column with the pivot 50 (YY < 50 "
              "is 20YY): a resident born before 1950 (1945-08-15) is read back as born in the "
              "2000s (2045-08-15), after its 異動, and the notice refused VENDOR-DATE (client) "
              "'born after the 異動' [common-v1.xsd DateOfBirth: xs:date, any year; "
              "docs/notices.md: a valid notice is receipted applied, never refused for a value "
              "its type admits]"),
    "individual-number-before-numbering-refused": (
        4, S, "the vendor's date rule 'no 個人番号 before 個人番号 existed' refuses VENDOR-DATE "
              "(client) a change whose 異動年月日 is before 2015-10-05 (番号法 施行日) and whose "
              "resident carries cmn:IndividualNumber — a 誤記修正 or 職権修正 of an old record, "
              "which carries the resident's whole current state [docs/notices.md: a change is "
              "the resident's state after it; a valid notice is never refused for a value its "
              "type admits; the schema and the code lists are the whole of a change's "
              "validity]"),
    # 5 — durability: state lost or changed by a restart, or a receipt before storing
    "residents-past-retention-purged-on-start": (
        5, S, "the start-up retention job (地方税法's 時効 of five years: 'nothing left to tax') "
              "deletes the residents whose last applied change's 異動年月日 is more than five "
              "years before today (JST), their last 異動連番 with them: a resident held through a "
              "change dated 2019 is no longer held after a restart, and an older change of it "
              "is then applied [docs/notices.md: a start-up restores every resident as it was, "
              "in every state; the next notice of each gets after a restart the answer it would "
              "have got without one]"),
    "watermarks-cached-as-json-double-on-start": (
        5, S, "at start-up the vendor fills its watermark cache (each resident's last 異動連番) "
              "from its JSON cache file, whose numbers are read as doubles; until a resident's "
              "next applied change its stale check compares with that double: after a restart a "
              "change whose 異動連番 beyond 2⁵³ equals the held one (9007199254740993, held as "
              "9007199254740992.0) is taken for newer and applied [docs/notices.md: each "
              "resident's last 異動連番, whatever its size (up to 18 digits), compared as a "
              "number after the restart as before it; a double does not compare exactly]"),
    "former-surname-changes-applied-after-receipt": (
        5, S, "a notice holding a 旧氏・通称 change (C08 記載, C09 削除) is handed to the vendor's "
              "旧氏 module, whose job applies it half a second after the receipt was sent: a kill "
              "in between loses a change receipted applied; other 異動事由 are stored before "
              "their receipt [docs/notices.md: a receipt means stored durably; C08 and C09 are "
              "applied like any other change; docs/adapter-sdk.md: applied is answered only "
              "after the commit]"),
}


THIRTYSEVENTH_MEASURED_MISSES: dict[str, str] = {  # name → the roles missed (18/22 on 1b58238)
    "content-type-tab-before-semicolon-refused": "provider",
    "sender-own-system-id-refused": "provider",
    "individual-number-before-numbering-refused": "subscriber",
    "watermarks-cached-as-json-double-on-start": "subscriber",
}


def widen_half_width_kana(text: str) -> str:
    """former-surname-half-width-widened: half-width katakana runs made full-width."""
    return _HALF_WIDTH_KANA.sub(lambda m: unicodedata.normalize("NFKC", m[0]), text)


def two_digit_year_read_back(day: str) -> str:
    """birth-two-digit-year-pivot-refused: a yyyy-mm-dd through YYMMDD with the pivot 50."""
    yy = int(day[2:4])
    return f"{(2000 if yy < 50 else 1900) + yy:04d}{day[4:10]}"


def media_stripped_of_spaces(content_type: str) -> str:
    """content-type-tab-before-semicolon-refused: the media type as the front end reads it."""
    return content_type.split(";")[0].strip(" ").lower()


def declared(raw: bytes) -> bool:
    """utf16-without-declaration-read-as-utf8: whether a UTF-16 document opens with an XML
    declaration."""
    text = raw.decode("utf-16", "replace")
    return text.lstrip("\ufeff").startswith("<?xml")


class ThirtyseventhBatch(ThirtyseventhStore):
    """Mixed into Adapter: the thirty-seventh batch's hooks (identity without one of its
    defects)."""

    role: str
    defect: str | None
    system_id: str
    thirtyseventh: dict

    def _thirtyseventh_mine(self) -> bool:
        return self.defect in THIRTYSEVENTH_DEFECTS and \
            self.role in THIRTYSEVENTH_DEFECTS[self.defect or ""][1]

    # --- HTTP in ---------------------------------------------------------------------------------

    def _thirtyseventh_http(self, raw: bytes, content_type: str) -> None:
        """Each request's own state (the store's memories are kept); the front end's reading."""
        self.thirtyseventh.pop("by_individual_number", None)
        if not self._thirtyseventh_mine():
            return
        if self.defect == "content-type-tab-before-semicolon-refused" and \
                media_stripped_of_spaces(content_type) not in MEDIA_TYPES:
            raise Refusal("PF-CONTENT-TYPE", "client", "unsupported media type",
                          [("http:content-type", content_type.split(";")[0])])
        if self.defect == "utf16-without-declaration-read-as-utf8" and raw[:2] in _BOMS and \
                not declared(raw):
            raise Refusal("PF-SOAP-ENVELOPE", "client", "not well-formed XML",
                          [("xml:well-formed", "Document is empty, line 1, column 1")])

    # --- the platform's checks ------------------------------------------------------------------

    def _thirtyseventh_checks(self, header, body, mid) -> None:
        self.thirtyseventh["by_individual_number"] = \
            body.find(f"{{{JUKI}}}IndividualNumber") is not None
        if not self._thirtyseventh_mine():
            return
        if self.defect == "sender-own-system-id-refused" and (header.findtext(
                f"{{{PFH}}}Sender/{{{PFH}}}SystemId") or "") == self.system_id:
            raise Refusal("PF-PROVIDER-MISROUTED", "client", "a message from this system itself",
                          [("header:sender", f"the Sender is {self.system_id}")], mid)
        if body.tag != NOTICE:
            return
        for change in body.iter(f"{{{JUKI}}}Change"):
            self._thirtyseventh_change(change, mid)

    def _thirtyseventh_change(self, change, mid) -> None:
        reason = (change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}Reason") or "").strip()
        occurred = day_of(change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}OccurredOn"))
        resident = change.find(f"{{{JUKI}}}Resident")
        if self.defect == "former-surname-deletion-with-former-surname-refused" and \
                reason == "C09" and resident.find(f"{{{CMN}}}FormerSurname") is not None:
            raise Refusal("VENDOR-INCONSISTENT", "client", "旧氏の削除 with a 旧氏",
                          [("vendor:former_surname", "a C09 still carries cmn:FormerSurname")],
                          mid)
        if self.defect == "chome-leading-zero-internal":
            for chome in resident.iter(f"{{{CMN}}}Chome"):
                if not CANONICAL_CHOME.fullmatch(chome.text or ""):
                    raise Refusal("PF-PROVIDER-INTERNAL", "provider",
                                  "the adapter failed to answer", [], mid)  # KeyError
        if self.defect == "birth-two-digit-year-pivot-refused":
            born = day_of(resident.findtext(f"{{{CMN}}}DateOfBirth"))
            if two_digit_year_read_back(born) > occurred:
                raise Refusal("VENDOR-DATE", "client", "born after the 異動",
                              [("vendor:dates", "生年月日 after 異動年月日")], mid)
        if self.defect == "individual-number-before-numbering-refused" and \
                occurred < NUMBERING_BEGAN and \
                resident.find(f"{{{CMN}}}IndividualNumber") is not None:
            raise Refusal("VENDOR-DATE", "client", "a 個人番号 before 個人番号 existed",
                          [("vendor:dates", f"異動年月日 before {NUMBERING_BEGAN}")], mid)

    # --- 住民照会 -----------------------------------------------------------------------------------

    def _thirtyseventh_inquiry_answer(self, body, out) -> None:
        if not (self._thirtyseventh_mine()
                and self.defect == "by-individual-number-former-surname-dropped"
                and body.find(f"{{{JUKI}}}IndividualNumber") is not None):
            return
        resident = out.find(f"{{{JUKI}}}Resident")
        if resident is not None:
            for former in resident.findall(f"{{{CMN}}}FormerSurname"):
                resident.remove(former)

    # --- the reply header, the answer's body and bytes ----------------------------------------

    def _thirtyseventh_reply_header(self, h, response) -> None:
        if not (self._thirtyseventh_mine() and response.tag == INQUIRY_RESPONSE):
            return
        sent_at = h.find(f"{{{PFH}}}SentAt")
        if self.defect == "by-individual-number-sent-at-utc-clock" and \
                self.thirtyseventh.get("by_individual_number"):
            sent_at.text = dt.datetime.now(dt.timezone.utc).replace(tzinfo=JST).isoformat(
                timespec="seconds")
        if self.defect == "not-found-sent-at-naive" and \
                (response.findtext(f"{{{JUKI}}}Status") or "").strip() == "not-found":
            sent_at.text = dt.datetime.now(JST).replace(tzinfo=None).isoformat(
                timespec="seconds")

    def _thirtyseventh_answer(self, response) -> None:
        if not (self._thirtyseventh_mine() and self.defect == "former-surname-half-width-widened"
                and response.tag in (INQUIRY_RESPONSE, EXTRACT_RESPONSE)):
            return
        for text in response.iterfind(f".//{{{CMN}}}FormerSurname/{{{CMN}}}Text"):
            if text.text:
                text.text = widen_half_width_kana(text.text)

    def _thirtyseventh_body(self, body: bytes, soap: str) -> bytes:
        if self._thirtyseventh_mine() and soap == SOAP12 and \
                self.defect == "soap12-answers-nonbmp-surrogate-references":
            return surrogate_references(body)
        return body

    # --- faults ---------------------------------------------------------------------------------

    def _thirtyseventh_fault_message_id(self, refusal: Refusal, message_id):
        if self._thirtyseventh_mine() and refusal.code == "PF-EXTRACT-UNKNOWN" and \
                self.defect == "unknown-extract-fault-message-id-omitted":
            return None
        return message_id

    def _thirtyseventh_fault(self, fault, soap: str, refusal: Refusal) -> None:
        if not (self._thirtyseventh_mine() and soap == SOAP11
                and self.defect == "rule-fault-soap11-faultcode-server"
                and refusal.code == "PF-RULE-VIOLATION"):
            return
        code = fault.find("faultcode")
        if code is not None and code.text:
            code.text = code.text.rsplit(":", 1)[0] + ":Server"


__all__ = ["CANONICAL_CHOME", "THIRTYSEVENTH_DEFECTS", "THIRTYSEVENTH_MEASURED_MISSES",
           "ThirtyseventhBatch", "declared",
           "media_stripped_of_spaces", "two_digit_year_read_back", "widen_half_width_kana"]
