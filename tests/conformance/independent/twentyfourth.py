"""The twenty-fourth blind batch of defects (issue 11): plausible single mistakes of a vendor's
code path, written from the public documents only (README, docs/notices.md, docs/faults.md,
docs/characters.md, docs/adapter-sdk.md, the XSDs and WSDLs, the code lists,
../shared/docs/platform.md, and the standards: SOAP 1.1/1.2, XML 1.0, Namespaces in XML, XML
Schema, HTTP/1.1) and this independent adapter's code, by a helper engineer (session b24) who
has not read the suite, and committed before the suite was run on it. None repeats a defect of
the earlier batches (seventh … twenty-third, and variants.py's DEFECTS), which were read for the
mechanics and to stay clear of them; none is a behaviour those documents permit or leave open.
``TwentyFourthBatch`` is mixed into ``Adapter``; its ``_twentyfourth_*`` hooks are called where
each defect lives and change nothing when no defect of this batch is selected. The subscriber's
store and notice-mapper hooks are in twentyfourth_store.py.

Measured once, blind, on 17419a4 (main at that moment: rounds 23a and 23b in, with the lead's
completions of their enumerations; round 23c, written meanwhile by an author who had not seen
this batch, not yet; `python -m tests.conformance.independent_runs TWENTYFOURTH_BATCH`,
2026-12-05 16:56:29Z – 16:58:45Z, two at a time, load average 4.5–5.4 from a slow-tier run and
a helper): 20/27 caught = 74.1 %. Per class: 1 (one message shape) 5/5, 2 (inputs rarely sent)
6/10, 3 (characters) 3/4, 4 (time) 5/5, 5 (durability) 1/3. Per role: provider 6/8, subscriber
14/19. No variant crashed or failed to start. Missed (TWENTYFOURTH_MEASURED_MISSES; no variant
was changed after the measurement):
- prefecture-over-3-characters-internal (subscriber): a 4-character 都道府県 (神奈川県) answered
  PF-PROVIDER-INTERNAL;
- request-id-under-8-characters-ignored (provider): a first 全件 request retried with a RequestId
  of 1–7 characters gets a second snapshot;
- user-id-employee-number-refused (provider and subscriber): a UserId of digits only refused
  PF-HEADER-INVALID;
- name-cjk-extension-a-refused (subscriber): a name holding a CJK Extension A kanji of the MJ
  table refused;
- names-cleansed-to-full-width-on-start (subscriber): a start-up widens stored half-width
  katakana;
- name-column-narrowed-to-50-on-start (subscriber): a start-up cuts stored names to 50
  characters.
"""

from __future__ import annotations

import re
import uuid

from .standard import CMN, PFH, Refusal
from .twentyfourth_store import TwentyFourthStore

P, S, BOTH = ("provider",), ("subscriber",), ("provider", "subscriber")
SOAP12_NS = b"http://www.w3.org/2003/05/soap-envelope"
GETA = "〓"
_BMP_KANJI = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_FRACTION = re.compile(r"T[0-9:]+\.([0-9]+)")
SHORTEST_KEY = 8  # request-id-under-8-characters-ignored: the job table's idempotency keys
SYSTEM_ID_WIDTH = 32  # sender-system-id-over-32-internal: the audit table's VARCHAR(32)

# name → (class of issue 11, roles, what it does wrong [the requirement a vendor can read])
TWENTYFOURTH_DEFECTS: dict[str, tuple[int, tuple[str, ...], str]] = {
    # 1 — a rule broken on one change kind or binding only
    "clerical-correction-applied-when-stale": (
        1, S, "the 誤記修正 (C12) handler was written as \"a correction always wins\" and skips "
              "the 異動連番 comparison: a C12 whose 異動連番 is not greater than the resident's "
              "last is applied over the newer state; other reasons are right [codelists "
              "change_reason C12 誤記修正; docs/notices.md: a change is applied only when its "
              "異動連番 is greater than the last applied, the resident ends in the state of the "
              "highest]"),
    "death-removal-sequence-not-recorded": (
        1, S, "the 死亡 (B03) handler, copied from the 消除 screen that closes the record, "
              "writes the resident's state but leaves its last 異動連番 as it was: an older "
              "change delivered after a B03 is applied over it; other reasons are right "
              "[codelists change_reason B03 死亡; docs/notices.md: per resident, a later "
              "change with a lower 異動連番 is kept out; every reason is applied alike]"),
    "household-split-of-head-refused": (
        1, S, "the 世帯分離 (C02) handler checks that the one leaving is not the household's "
              "head, as the vendor's 窓口 screen does for the household left behind: a C02 whose "
              "resident has cmn:Relationship 01 (世帯主 of the new household it forms) is "
              "refused VENDOR-HOUSEHOLD (client), redelivered until dead; other reasons, and a "
              "C02 of another 続柄, are right [codelists change_reason C02 世帯分離, relationship "
              "01 世帯主; docs/notices.md: each change is the resident's state after it, a valid "
              "notice is applied]"),
    "minor-correction-not-applied": (
        1, S, "the 軽微な修正 (C10) handler only writes the vendor's change log (\"cosmetic, "
              "no business effect\"): a C10 is receipted applied and the resident keeps its "
              "earlier state and 異動連番; other reasons are right [codelists change_reason C10 "
              "軽微な修正; docs/notices.md: each change is the resident's state after it, "
              "applied when its 異動連番 is greater; a receipt applied means stored]"),
    "soap12-found-answer-relates-to-omitted": (
        1, P, "the SOAP 1.2 住民照会 endpoint (generated from a newer WSDL) builds its found "
              "answer's header without RelatesTo; SOAP 1.1 answers and not-found answers are "
              "right [README: a reply sets RelatesTo to the request's MessageId; header-v1.xsd "
              "RelatesTo on a reply]"),
    # 2 — inputs rarely sent: valid values at unusual places of their domain
    "resident-code-from-number-column": (
        2, P, "the 住民票コード is kept in the registry's NUMBER(11) column and answered from it "
              "as a number: a code beginning with 0 (00000000019) is answered without its "
              "leading zeros (19), in inquiries and 全件 pages alike [common-v1.xsd "
              "ResidentCodeType: [0-9]{11}, a string; platform.md: 住民票コード, 11 digits (10 + "
              "check digit)]"),
    "prefecture-over-3-characters-internal": (
        2, S, "the subscriber's 都道府県 column is NVARCHAR(3), sized on 東京都, 大阪府, 北海道: a "
              "change whose cmn:Prefecture has four characters (神奈川県, 和歌山県, 鹿児島県) "
              "fails PF-PROVIDER-INTERNAL, redelivered until dead [common-v1.xsd "
              "AddressTextType: maxLength 200; docs/notices.md: a valid notice is "
              "applied]"),
    "request-id-under-8-characters-ignored": (
        2, P, "the vendor's job table takes a RequestId for an idempotency key only from 8 "
              "characters on (\"shorter ones are sequence numbers, not keys\"): a first 全件 "
              "request retried with a RequestId of 1 to 7 characters (R1, JOB-007) gets a "
              "second snapshot [juki-v1.xsd RequestId ExtractIdType: [A-Za-z0-9-]{1,64}, a "
              "first request retried by the same Sender with the same RequestId gets the same "
              "ExtractId; docs/notices.md: made once per RequestId]"),
    "postal-code-leading-zero-refused": (
        2, S, "the vendor checks a 郵便番号 by its number, len(str(int(code))) == 7: a change "
              "whose cmn:PostalCode begins with 0 (every 北海道 code: 0600001, 札幌市中央区) "
              "is refused VENDOR-ADDRESS (client), redelivered until dead [common-v1.xsd "
              "PostalCodeType: [0-9]{7}; docs/notices.md: a valid notice is applied]"),
    "user-id-employee-number-refused": (
        2, BOTH, "the audit writer takes the UserId for a login name and refuses one of digits "
                 "only — an employee number (004512), as many municipalities' 職員番号 log-ins "
                 "are — PF-HEADER-INVALID [header-v1.xsd UserIdType: "
                 "[A-Za-z0-9][A-Za-z0-9._@-]{0,63}; README: UserId, the acting user's "
                 "account in the sending system, for audit; a system refuses only what is not "
                 "addressed to it]"),
    "relationship-table-ends-at-17-internal": (
        2, S, "the subscriber's 続柄 table was loaded from an old CSV ending at 17 (子の子の子の子) "
              "and the resident row has a FOREIGN KEY to it: a change whose cmn:Relationship is "
              "18 (縁故者) or 19 (同居人) fails PF-PROVIDER-INTERNAL, redelivered until dead "
              "[codelists relationship 18 縁故者, 19 同居人; common-v1.xsd RelationshipCodeType; "
              "docs/notices.md: a valid notice is applied]"),
    "household-number-ten-digits-only-refused": (
        2, S, "the vendor's 世帯番号 check insists on its own width, 10 digits: a change whose "
              "cmn:HouseholdNumber has 2 to 9 or 11 to 15 digits is refused VENDOR-HOUSEHOLD "
              "(client), redelivered until dead [common-v1.xsd HouseholdNumberType: "
              "[0-9]{2,15}; platform.md: length varies by municipality; docs/notices.md: a "
              "valid notice is applied]"),
    "sender-system-id-over-32-internal": (
        2, BOTH, "the audit table's sender column is VARCHAR(32): a Sender whose SystemId has "
                 "33 to 64 characters fails PF-PROVIDER-INTERNAL (string data would be "
                 "truncated) [header-v1.xsd SystemIdType: [A-Za-z0-9][A-Za-z0-9._-]{0,63}; "
                 "README: a system refuses only what is not addressed to it]"),
    # 3 — characters
    "name-cjk-extension-a-refused": (
        3, S, "the vendor's 文字チェック admits kanji U+4E00–U+9FFF (and kana, Latin, the "
              "compatibility ideographs) only: a name with a CJK Unified Ideographs Extension A "
              "character (山㟢花子, 㟢 U+37E2, a 崎 of the MJ set) is refused VENDOR-CHARACTER "
              "(client), redelivered until dead [docs/characters.md: a registered name reaches "
              "every system exactly as registered; platform.md: UCS plus Moji_Joho; "
              "common-v1.xsd NameTextType: any characters, 1 to 100]"),
    "stores-name-small-ke-enlarged": (
        3, S, "the 名寄せ cleaner's table writes the small katakana ヶ ヵ of a name as ケ カ: "
              "一ノ瀬ヶ子 is held 一ノ瀬ケ子, 八ヶ代 八ケ代 [docs/characters.md: a registered name "
              "reaches every system exactly as registered, never normalised; ヶ U+30F6 is "
              "another character than ケ U+30B1]"),
    "stores-ideographic-zero-as-white-circle": (
        3, S, "the name column is written through the vendor's JIS conversion table, whose row "
              "for 〇 (U+3007, 漢数字ゼロ, JIS X 0208 1-01-27) points to ○ (U+25CB, WHITE "
              "CIRCLE, 1-01-91): 〇山太郎 is held ○山太郎 [docs/characters.md: a registered name "
              "reaches every system exactly as registered, never substituted; 〇 is a JIS X "
              "0208 character]"),
    "answers-non-jis0208-kanji-as-geta": (
        3, P, "the registry's answer writer goes through its JIS X 0208 name table and writes "
              "〓 for a BMP kanji outside it: 髙橋健一 is answered 〓橋健一, 山﨑 山〓, 俞 〓 (its "
              "selector kept) [docs/characters.md: a registered name reaches every system "
              "exactly as registered, never substituted; a 縮退 is cmn:Text with cmn:Original, "
              "JIS X 0213 stand-ins only; platform.md: UCS plus Moji_Joho]"),
    # 4 — time
    "sent-at-offset-with-seconds": (
        4, BOTH, "the reply's SentAt is written by a formatter whose offset pattern is "
                 "XXXXX (hours, minutes and seconds): 2026-12-05T17:20:00+09:00:00 [header-v1.xsd "
                 "SentAt JstDateTimeType: ends in +09:00; XML Schema Part 2 §3.2.7: the time "
                 "zone is (+|-)hh:mm]"),
    "notified-on-next-year-refused": (
        4, S, "changes are kept in a table partitioned by the year of their 異動年月日, with a "
              "CHECK that the 届出年月日 lies in the same partition: a change that occurred at "
              "the end of December and was notified in January (2025-12-28, notified "
              "2026-01-05) is refused VENDOR-DATE (client), redelivered until dead [common-v1.xsd "
              "ChangeEventType: OccurredOn, NotifiedOn xs:date, no relation between their "
              "years; docs/notices.md: a valid notice is applied]"),
    "request-sent-at-nanoseconds-refused": (
        4, BOTH, "the vendor parses the request's SentAt into a timestamp of microseconds and "
                 "refuses a fraction of more than six digits: a request or notice whose SentAt "
                 "has 7 to 9 (.NET ticks, Java's Instant: 14:00:00.123456789+09:00) is "
                 "refused PF-HEADER-INVALID [header-v1.xsd SentAt: xs:dateTime, any number of "
                 "fraction digits (XML Schema Part 2 §3.2.7); README: a system refuses only what "
                 "is not addressed to it]"),
    # 5 — durability: what a start must not change
    "names-cleansed-to-full-width-on-start": (
        5, S, "the start script runs the nightly 名寄せ cleanse on the resident table, which "
              "widens half-width katakana (the registered half-width ﾏﾘｱ of 神谷ﾏﾘｱ held "
              "マリア): after a restart a name holds other characters than were received "
              "[docs/notices.md: every answer holds across a restart, a start-up adds "
              "nothing; docs/characters.md: a registered name reaches every system exactly as "
              "registered, never normalised]"),
    "name-column-narrowed-to-50-on-start": (
        5, S, "the start script re-runs the vendor's old migration, which (from a schema of "
              "氏名 NVARCHAR(50)) narrows the name column with ALTER … TYPE VARCHAR(50) USING "
              "left(name, 50): after a restart a name of 51 to 100 characters is held cut "
              "[common-v1.xsd NameTextType: 1 to 100 characters; docs/notices.md: every answer "
              "holds across a restart, a start-up adds nothing, a receipt means stored "
              "durably]"),
    "sequence-written-behind-until-next-notice": (
        5, S, "the resident's last 異動連番 lives in the vendor's 連番管理 table, written by a "
              "batch writer that flushes when the next notice comes: the change's state is "
              "committed before the receipt, its 異動連番 is not, so after a crash an older "
              "change is applied over the newer state [docs/notices.md: a receipt means stored "
              "durably; the MessageIds received and each resident's last 異動連番 survive a "
              "restart]"),
}

# The blind measurement's misses (name, role): none until the lead measures the batch.
TWENTYFOURTH_MEASURED_MISSES: frozenset[tuple[str, str]] = frozenset({
    ("prefecture-over-3-characters-internal", "subscriber"),
    ("request-id-under-8-characters-ignored", "provider"),
    ("user-id-employee-number-refused", "provider"),
    ("user-id-employee-number-refused", "subscriber"),
    ("name-cjk-extension-a-refused", "subscriber"),
    ("names-cleansed-to-full-width-on-start", "subscriber"),
    ("name-column-narrowed-to-50-on-start", "subscriber"),
})


def offset_with_seconds(sent_at: str) -> str:
    """sent-at-offset-with-seconds: +09:00 written +09:00:00."""
    if len(sent_at) >= 6 and sent_at[-6] in "+-" and sent_at[-3] == ":":
        return sent_at + ":00"
    return sent_at


def jis0208_or_geta(text: str) -> str:
    """answers-non-jis0208-kanji-as-geta: a BMP kanji outside JIS X 0208 written 〓."""
    def one(c: str) -> str:
        if not _BMP_KANJI.match(c):
            return c
        try:
            c.encode("iso2022_jp")  # ASCII, JIS X 0201 Roman, JIS X 0208
        except UnicodeEncodeError:
            return GETA
        return c
    return "".join(one(c) for c in text)


class TwentyFourthBatch(TwentyFourthStore):
    """Mixed into Adapter: the twenty-fourth batch's hooks (identity without one of its
    defects)."""

    role: str
    defect: str | None
    twentyfourth: dict

    def _twentyfourth_mine(self) -> bool:
        return self.defect in TWENTYFOURTH_DEFECTS and \
            self.role in TWENTYFOURTH_DEFECTS[self.defect or ""][1]

    def _twentyfourth_checks(self, header, body, mid) -> None:
        """The platform's checks passed: the vendor's own."""
        if not self._twentyfourth_mine():
            return
        system_id = header.findtext(f"{{{PFH}}}Sender/{{{PFH}}}SystemId") or ""
        if self.defect == "sender-system-id-over-32-internal" and \
                len(system_id.strip()) > SYSTEM_ID_WIDTH:
            raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the request was not logged",
                          [("vendor:audit", "string data, right truncation: sender "
                                            "VARCHAR(32)")], mid)
        user_id = (header.findtext(f"{{{PFH}}}UserId") or "").strip()
        if self.defect == "user-id-employee-number-refused" and user_id.isdigit():
            raise Refusal("PF-HEADER-INVALID", "client", "the UserId is invalid",
                          [("vendor:user_id", f"{user_id}: not a login name")], mid)
        sent_at = (header.findtext(f"{{{PFH}}}SentAt") or "").strip()
        fraction = m[1] if (m := _FRACTION.search(sent_at)) else ""
        if self.defect == "request-sent-at-nanoseconds-refused" and len(fraction) > 6:
            raise Refusal("PF-HEADER-INVALID", "client", "SentAt is invalid",
                          [("vendor:sent_at", f"{fraction}: more than microseconds")], mid)
        if self.role == "subscriber":
            self._twentyfourth_notice_checks(body, mid)

    def _twentyfourth_request_key(self, key: tuple) -> tuple:
        """The key of a 全件 request's RequestId → ExtractId map."""
        if self._twentyfourth_mine() and self.defect == "request-id-under-8-characters-ignored" \
                and key[1] is not None and len(key[1].strip()) < SHORTEST_KEY:
            return (*key, uuid.uuid4().hex)  # no idempotency key: a job of its own
        return key

    def _twentyfourth_answer(self, response) -> None:
        """The answer's body element, before it is written."""
        if not self._twentyfourth_mine():
            return
        if self.defect == "resident-code-from-number-column":
            for code in response.iter(f"{{{CMN}}}ResidentCode"):
                if (code.text or "").strip().isdigit():
                    code.text = str(int(code.text or ""))
        if self.defect == "answers-non-jis0208-kanji-as-geta":
            for text in response.iter(f"{{{CMN}}}Text"):
                text.text = jis0208_or_geta(text.text or "")

    def _twentyfourth_reply_header(self, h, response, raw: bytes) -> None:
        if not self._twentyfourth_mine():
            return
        if self.defect == "sent-at-offset-with-seconds":
            sent_at = h.find(f"{{{PFH}}}SentAt")
            sent_at.text = offset_with_seconds(sent_at.text or "")
        if self.defect == "soap12-found-answer-relates-to-omitted" and SOAP12_NS in raw and \
                response.tag.endswith("}ResidentInquiryResponse") and \
                any(el.text == "found" for el in response.iter("{*}Status")):
            relates = h.find(f"{{{PFH}}}RelatesTo")
            if relates is not None:
                h.remove(relates)


__all__ = ["GETA", "SHORTEST_KEY", "SYSTEM_ID_WIDTH", "TWENTYFOURTH_DEFECTS", "TWENTYFOURTH_MEASURED_MISSES",
           "TwentyFourthBatch", "jis0208_or_geta", "offset_with_seconds"]
