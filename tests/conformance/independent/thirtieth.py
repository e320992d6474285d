"""The thirtieth blind batch of defects (issue 11): plausible single mistakes of a vendor's code
path, written from the public documents only (README, docs/notices.md, docs/faults.md,
docs/characters.md, docs/adapter-sdk.md, docs/glossary.md, the XSDs and WSDLs, the code lists,
../shared/docs/platform.md, and the standards: SOAP 1.1/1.2, XML 1.0, Namespaces in XML, XML
Schema, HTTP/1.1, Unicode) and this independent adapter's code, by a helper engineer (session
b30) who has not read the suite, and committed before the suite was run on it. None repeats a
defect of the earlier batches (seventh … twenty-ninth, and variants.py's DEFECTS), which were
read for the mechanics and to stay clear of them; none is a behaviour those documents permit or
leave open. ``ThirtiethBatch`` is mixed into ``Adapter``; its ``_thirtieth_*`` hooks are called
where each defect lives and change nothing when no defect of this batch is selected. The
subscriber's store, inbox and notice-mapper hooks are in thirtieth_store.py.

Committed as f0c4be6 (on branch b30, from main). Measured once, blind, on the suite of that commit
(`python -m tests.conformance.independent_runs THIRTIETH_BATCH`, 2026-12-06 07:14:16Z to
07:16:46Z, 2 min 30 s, load ~1.7): 17/26 caught = 65.4 %. Per class: 1 (one message shape) 1/5,
2 (inputs rarely sent) 5/9, 3 (characters) 2/3, 4 (time) 5/5, 5 (durability) 4/4. Per role:
provider 7/10, subscriber 10/16. No variant crashed or failed to start. Missed
(THIRTIETH_MEASURED_MISSES; no variant was changed after the measurement), each with why the suite
did not see it as far as the documents tell:
- soap12-not-understood-qname-prefix-undeclared (provider, subscriber): docs/faults.md and
  docs/adapter-sdk.md describe a MustUnderstand fault by its code, HTTP status and detail only;
  the optional env:NotUnderstood block (SOAP 1.2 Part 1 5.4.8) is apparently not read.
- version-mismatch-upgrade-lists-one-envelope (provider, subscriber): docs/faults.md says what
  the Upgrade block lists, but no case seems to count its SupportedEnvelope entries — a block
  with the answer's version alone passes.
- platform-header-found-by-descendant-search (provider, subscriber): no case sends a foreign header
  block that nests a copy of a pfh:PlatformHeader; with a single header anywhere in soap:Header
  the descendant search finds the right one.
- receiver-system-id-prefix-match (subscriber): the provider side was caught (P-ADDR-05, a
  Receiver SystemId indie-juki.2), but no notice is addressed to a SystemId that begins with
  "hub" (hub-standby, hub2); the notice receiver cases name other municipalities, units, systems.
- full-linkage-notice-stale-check-skipped (subscriber): the notice sent as full (P-LKIND-01) is a
  fresh change; no case sends an older change as full after a newer one, so the skipped 異動連番
  check does not show.
- stores-name-va-row-rewritten (subscriber): no name Text the suite sends holds ヷ ヸ ヹ ヺ
  (docs/characters.md names them only as readings a system rewrites with ヴ).
"""

from __future__ import annotations

import datetime as dt
import re

from lxml import etree

from .standard import JST, JUKI, PFH, SOAP12, Refusal
from .thirtieth_store import ThirtiethStore

P, S, BOTH = ("provider",), ("subscriber",), ("provider", "subscriber")
EXTRACT_RESPONSE = f"{{{JUKI}}}ResidentFullExtractResponse"
SKEW_60S = dt.timedelta(seconds=60)  # sent-at-skew-60s-refused: the SOAP stack's default
CLOCK_SKEW = dt.timedelta(seconds=300)
# a processing instruction other than the XML declaration (request-hash-after-pi-stripped)
_PI = re.compile(rb"<\?(?!xml[\s?])(?:.|\n)*?\?>")

# name → (class of issue 11, roles, what it does wrong [the requirement a vendor can read])
THIRTIETH_DEFECTS: dict[str, tuple[int, tuple[str, ...], str]] = {
    # 1 — a rule broken on one message shape, one fault kind or one page only
    "soap12-not-understood-qname-prefix-undeclared": (
        1, BOTH, "the SOAP 1.2 MustUnderstand fault's env:NotUnderstood block writes its qname "
                 "with the prefix the request used for the block (v:Trace) and declares no "
                 "namespace for it in the fault: the QName names nothing; the fault code, HTTP "
                 "500 and the detail are right, SOAP 1.1 is right [SOAP 1.2 Part 1 5.4.8: "
                 "NotUnderstood's qname attribute is the xs:QName of the header block not "
                 "understood; Namespaces in XML 1.0 §5: a prefix must be declared; "
                 "docs/adapter-sdk.md PF-MUST-UNDERSTAND]"),
    "version-mismatch-upgrade-lists-one-envelope": (
        1, BOTH, "the SOAP 1.2 VersionMismatch fault's env:Upgrade block is the SOAP 1.2 "
                 "specification's example, listing only the SOAP 1.2 envelope: a request sent as "
                 "application/soap+xml with a root of another namespace is told the node reads "
                 "no SOAP 1.1 [docs/faults.md: a VersionMismatch fault carries the Upgrade block "
                 "listing the envelopes the receiver reads — SupportedEnvelope of SOAP 1.1 and "
                 "1.2, the answer's version first; SOAP 1.2 Part 1 5.4.7]"),
    "later-pages-sender-system-of-export-host": (
        1, P, "全件 pages after the first are written by the vendor's export host, whose reply "
              "header names its own SystemId (indie-export) as the Sender instead of the system "
              "the request was addressed to; the first page and inquiries are right [README: a "
              "reply swaps sender and receiver — its Sender is the request's Receiver; "
              "docs/faults.md PF-PROVIDER-INVALID-RESPONSE]"),
    # 2 — inputs rarely sent: unusual but valid header values, hostile or decorated XML
    "reply-linkage-kind-from-catalog": (
        2, BOTH, "the reply header's LinkageKind is taken from the vendor's service table (全件抽出 "
                 "full, every other service delta), not from the request: an inquiry or a notice "
                 "sent as full is answered delta, a 全件抽出 sent as delta answered full; requests "
                 "sent with the catalog's kind are right [README: a request carrying the other "
                 "LinkageKind is answered as any other of its service, its reply echoing the "
                 "LinkageKind sent]"),
    "platform-header-found-by-descendant-search": (
        2, BOTH, "the platform header is looked up with a descendant search (.//pfh:PlatformHeader) "
                 "and the first match taken: a message whose soap:Header holds, before "
                 "pfh:PlatformHeader, another block that carries a copy of an earlier header (a "
                 "gateway's trace of the message it relays) is answered with the copy's MessageId "
                 "in RelatesTo (a receipt: the copy's MessageId recorded and receipted) [README: a "
                 "reply sets RelatesTo to the request's MessageId; docs/faults.md: every other "
                 "block passes through to the provider unchanged; SOAP 1.2 Part 1 5.2: a header "
                 "block is a child of env:Header]"),
    "receiver-system-id-prefix-match": (
        2, BOTH, "the receiver check looks the Receiver up with LIKE 'SystemId%' (the vendor's "
                 "cluster names its nodes indie-1, indie-2 …): a message addressed to another "
                 "system whose SystemId begins with this one's (indie-old; for a notice hub-"
                 "standby) is answered as if it were for this one [README: a provider or "
                 "subscriber refuses a message whose Receiver is another system, "
                 "PF-PROVIDER-MISROUTED (header:receiver); docs/notices.md: a subscriber accepts "
                 "only (its 団体コード, 01, hub)]"),
    "request-hash-after-pi-stripped": (
        2, BOTH, "the vendor's pre-filter removes processing instructions from the request bytes "
                 "before its parser (which refuses them) and the RequestHash is computed over the "
                 "filtered bytes: a request holding a <?trace …?> is answered with a RequestHash "
                 "that is not the SHA-256 of the bytes received; other requests are right [README: "
                 "RequestHash, base64 SHA-256 of the exact request bytes; docs/faults.md: the "
                 "provider's RequestHash covers the processing instructions the hub forwards]"),
    "full-linkage-notice-stale-check-skipped": (
        2, S, "a notice sent with LinkageKind full is taken for a piece of a 全件 load and "
              "applied without the 異動連番 check (a 全件 carries none): an older change sent as "
              "full overwrites the newer state held; notices sent as delta are right [README: a "
              "notice sent as full is applied and receipted as any other of its service; "
              "docs/notices.md: a change is applied exactly when its 異動連番 is greater than the "
              "last one applied]"),
    # 3 — characters
    "stores-name-va-row-rewritten": (
        3, S, "the vendor applies the reading rule for ヷ ヸ ヹ ヺ to the whole resident: the "
              "name's Text too is written with ヴ (ヷーグナー is held ヴァーグナー) [docs/"
              "characters.md: a system whose reading has ヷ ヸ ヹ ヺ writes it with ヴ — the name "
              "itself (Text) holds any of them as sent; a registered name reaches every system "
              "exactly as registered]"),
    "name-shime-refused-by-han-script-check": (
        3, S, "the vendor's name check admits a character of the CJK Symbols and Punctuation block "
              "only when its Unicode Script is Han (々 〇 〻): 〆 (U+3006, Script Common) is "
              "refused, so a change of 〆木翔子 is answered VENDOR-CHARACTER (client) and "
              "redelivered until dead [docs/characters.md: every block the MJ table draws from — "
              "CJK Symbols and Punctuation (々 〆 〻) among them — is a block a name may hold, "
              "stored as sent; docs/notices.md: a valid notice is applied]"),
    "name-update-bound-as-cp932": (
        3, S, "the UPDATE of a held resident goes through the vendor's old DAO, which binds the "
              "name as a VARCHAR in the database's code page (CP932): a change of a held "
              "resident whose name holds a character outside CP932 (𠮷, an IVS selector) stores "
              "? for it; a resident's first change (an INSERT) is right [docs/characters.md: "
              "names are UCS plus Moji_Joho IVS selectors, never changed; docs/notices.md: every "
              "value a field admits is stored as sent]"),
    # 4 — time
    "sent-at-read-as-utc-refused": (
        4, BOTH, "the freshness check parses SentAt without its offset and compares the wall "
                 "time with the UTC clock: every request or notice (SentAt +09:00, now) appears "
                 "nine hours ahead and is refused PF-MESSAGE-STALE [README: a request's SentAt up "
                 "to clock_skew ahead of the system's clock is answered as any other; "
                 "docs/notices.md: a subscriber must not refuse a notice whose SentAt is at most "
                 "clock_skew ahead of its clock; header-v1.xsd SentAt +09:00]"),
    "sent-at-skew-60s-refused": (
        4, BOTH, "the vendor's SOAP stack keeps its own timestamp tolerance of 60 s (its default "
                 "future time-to-live) for SentAt: a request or notice whose SentAt is 61 s to "
                 "300 s ahead of the system's clock is refused PF-MESSAGE-STALE [README: a "
                 "request's SentAt up to the hub's clock_skew (300 s) ahead is answered as any "
                 "other; docs/notices.md: a notice at most clock_skew ahead is applied and "
                 "receipted like any other]"),
    "dated-answers-sent-at-on-business-date": (
        4, P, "a request with a 基準日 switches the session's 業務日付 to it, and the reply header "
              "reads its date from the session: an inquiry or 全件抽出 as of 2025-01-01 is "
              "answered SentAt 2025-01-01T<now's time>+09:00; answers without AsOf are right "
              "[README: SentAt is the moment the answer is sent, read from the system's clock in "
              "JST; the suite judges it within 120 s of its own clock]"),
    # 5 — durability: state lost or altered by a kill and a restart
    "watermark-rebuilt-from-value-history-on-start": (
        5, S, "the start-up job rebuilds each resident's last 異動連番 from the vendor's value "
              "history, which a trigger writes only when a value changed: after a restart a "
              "resident whose last change carried the state held (a 修正 that corrected nothing) "
              "gets the 異動連番 of the change before it, and an older change delivered then is "
              "applied over the newer state [docs/notices.md: a change applied is recorded even "
              "when it changes nothing; each resident's last 異動連番 survives a restart]"),
    "notice-with-relates-to-applied-after-receipt": (
        5, S, "a notice carrying RelatesTo (an asynchronous result) is routed to the vendor's "
              "async-results worker, which applies it half a second after the receipt was sent: "
              "a kill in between loses a change receipted applied; notices without RelatesTo "
              "are right [docs/notices.md: a receipt means stored durably, the notice applied and "
              "its ID recorded in one transaction before applied is answered; docs/faults.md: "
              "a notice may name the request whose asynchronous result it carries]"),
    "resident-lock-flag-left-by-kill": (
        5, S, "the vendor sets a 排他フラグ on each resident of a notice (committed) before applying "
              "it and clears it once the receipt has been written out: after a kill the flag of "
              "the last notice's residents stays set, and their next new notice is refused "
              "VENDOR-LOCKED (a server fault) until dead; a duplicate is still receipted "
              "[docs/notices.md: the next notice of each resident gets after a restart the "
              "answer it would have got without one; docs/adapter-sdk.md: a subscriber down for "
              "a while receives everything once back]"),
    "change-count-rebuilt-per-notice-on-start": (
        5, S, "the start-up job recounts each resident's changes applied from the applied log as "
              "COUNT(DISTINCT MessageId): after a restart a resident that had two changes applied "
              "from one notice holds a count of 1 [docs/notices.md: a notice may hold several "
              "changes of one resident; the count of changes applied is after a restart what it "
              "was before]"),
}

THIRTIETH_MEASURED_MISSES: dict[str, str] = {  # name → the roles missed (17/26 on f0c4be6)
    "soap12-not-understood-qname-prefix-undeclared": "provider, subscriber",
    "version-mismatch-upgrade-lists-one-envelope": "provider, subscriber",
    "platform-header-found-by-descendant-search": "provider, subscriber",
    "receiver-system-id-prefix-match": "subscriber",
    "full-linkage-notice-stale-check-skipped": "subscriber",
    "stores-name-va-row-rewritten": "subscriber",
}


def business_date_sent_at(as_of: str, now: dt.datetime) -> str:
    """dated-answers-sent-at-on-business-date: the 基準日's date with now's time of day."""
    return f"{as_of.strip()[:10]}T{now:%H:%M:%S}+09:00"


def wall_time_as_utc_ahead(sent_at: str, now: dt.datetime) -> dt.timedelta:
    """sent-at-read-as-utc-refused: how far ahead a SentAt looks when its offset is dropped and
    its wall time compared with the UTC clock."""
    wall = dt.datetime.fromisoformat(sent_at.strip()).replace(tzinfo=None)
    return wall - now.astimezone(dt.timezone.utc).replace(tzinfo=None)


def strip_pis(raw: bytes) -> bytes:
    """request-hash-after-pi-stripped: the request as the vendor's pre-filter leaves it."""
    return _PI.sub(b"", raw)


class ThirtiethBatch(ThirtiethStore):
    """Mixed into Adapter: the thirtieth batch's hooks (identity without one of its defects)."""

    role: str
    defect: str | None
    local_gov_code: str
    business_unit: str
    system_id: str
    thirtieth: dict

    def _thirtieth_mine(self) -> bool:
        return self.defect in THIRTIETH_DEFECTS and \
            self.role in THIRTIETH_DEFECTS[self.defect or ""][1]

    # --- HTTP in: the envelope and its parts --------------------------------------------------

    def _thirtieth_envelope(self, root) -> None:
        """The parsed request (the fault writer reads the prefix of a block it names)."""
        self.thirtieth["root"] = root

    def _thirtieth_headers(self, root, headers: list) -> list:
        if self._thirtieth_mine() and \
                self.defect == "platform-header-found-by-descendant-search":
            found = next(root.iter(f"{{{PFH}}}PlatformHeader"), None)
            if found is not None:
                return [found]
        return headers

    # --- the platform's checks ------------------------------------------------------------------

    def _thirtieth_mine_receiver(self, receiver: list, mine: bool) -> bool:
        if not (self._thirtieth_mine() and self.defect == "receiver-system-id-prefix-match"):
            return mine
        expected = [self.local_gov_code, "01", "hub"] if self.role == "subscriber" else \
            [self.local_gov_code, self.business_unit, self.system_id]
        return mine or (receiver[:2] == expected[:2]
                        and (receiver[2] or "").startswith(expected[2]))

    def _thirtieth_checks(self, header, body, mid) -> None:
        self.thirtieth["as_of"] = body.findtext(f"{{{JUKI}}}AsOf")
        self.thirtieth["linkage"] = (header.findtext(f"{{{PFH}}}LinkageKind") or "").strip()
        self.thirtieth["mid"] = mid
        if self.role == "subscriber":
            self._thirtieth_notice_checks(body, mid)
        if not self._thirtieth_mine():
            return
        sent_at = header.findtext(f"{{{PFH}}}SentAt") or ""
        now = dt.datetime.now(JST)
        try:
            sent = dt.datetime.fromisoformat(sent_at.strip())
        except ValueError:
            return
        d = self.defect
        if d == "sent-at-read-as-utc-refused" and wall_time_as_utc_ahead(sent_at, now) > \
                CLOCK_SKEW:
            raise Refusal("PF-MESSAGE-STALE", "client", "SentAt is in the future",
                          [("freshness:clock_skew", f"ahead of {now.isoformat()}")], mid)
        if d == "sent-at-skew-60s-refused" and sent - now > SKEW_60S:
            raise Refusal("PF-MESSAGE-STALE", "client", "SentAt is in the future",
                          [("freshness:clock_skew", f"more than 60 s ahead of "
                                                    f"{now.isoformat()}")], mid)

    # --- the reply header -------------------------------------------------------------------------

    def _thirtieth_hashed(self, raw: bytes, hashed: bytes) -> bytes:
        if self._thirtieth_mine() and self.defect == "request-hash-after-pi-stripped":
            return strip_pis(hashed)
        return hashed

    def _thirtieth_reply_header(self, h, response) -> None:
        if not self._thirtieth_mine():
            return
        d = self.defect
        extract = response.tag == EXTRACT_RESPONSE
        if d == "reply-linkage-kind-from-catalog":
            h.find(f"{{{PFH}}}LinkageKind").text = "full" if extract else "delta"
        if d == "later-pages-sender-system-of-export-host" and extract and \
                (response.findtext(f"{{{JUKI}}}Page") or "1").strip() != "1":
            h.find(f"{{{PFH}}}Sender/{{{PFH}}}SystemId").text = f"{self.system_id}-export"
        as_of = self.thirtieth.get("as_of")
        if d == "dated-answers-sent-at-on-business-date" and as_of:
            h.find(f"{{{PFH}}}SentAt").text = business_date_sent_at(as_of, dt.datetime.now(JST))

    # --- faults ---------------------------------------------------------------------------------

    def _thirtieth_fault_envelope(self, env, soap, refusal: Refusal) -> None:
        """The fault's envelope as written, before its bytes."""
        if not self._thirtieth_mine() or soap != SOAP12:
            return
        head = env.find(f"{{{soap}}}Header")
        if head is None:
            return
        if self.defect == "version-mismatch-upgrade-lists-one-envelope":
            for upgrade in head.iterfind(f"{{{soap}}}Upgrade"):
                for extra in upgrade.findall(f"{{{soap}}}SupportedEnvelope")[1:]:
                    upgrade.remove(extra)
        old = head.find(f"{{{soap}}}NotUnderstood")
        root = self.thirtieth.get("root")
        if self.defect == "soap12-not-understood-qname-prefix-undeclared" and old is not None \
                and refusal.not_understood and root is not None:
            block = next(root.iter(refusal.not_understood), None)
            prefix = (block.prefix if block is not None else None) or "ns0"
            new = etree.Element(f"{{{soap}}}NotUnderstood")
            new.set("qname", f"{prefix}:{refusal.not_understood.partition('}')[2]}")
            head.replace(old, new)


__all__ = ["THIRTIETH_DEFECTS", "THIRTIETH_MEASURED_MISSES", "ThirtiethBatch",
           "business_date_sent_at", "strip_pis", "wall_time_as_utc_ahead"]
