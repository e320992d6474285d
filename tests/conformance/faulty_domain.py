"""Faulty subscribers for the value domain of a notice (S-DOMAIN-01): the SDK-built subscriber
(subscriber.py) with ONE defect of the class "an optional element or header field the XSD and
docs/faults.md allow is refused", written from the schema, not from any blind batch's variants:
RelatesTo refused on a notice, NotifiedOn or RecordedOn required to follow OccurredOn; and of the
classes "a legitimate date outside today-or-earlier refused" and "a value that must survive byte
for byte normalised" (the seventh batch's misses, each written here another way)."""

from __future__ import annotations

import datetime as dt

from lxml import etree

from adapters.sdk.provider import ProviderError

from .subscriber import CMN, JUKI, TestSubscriber, instant

# mode → (the requirement it breaks, the subscriber cases it must fail)
DOMAIN_MODES = {
    # a notice naming a request (RelatesTo) is taken for a reply and refused
    "relates-to-refused": ("RQ-SUB-01", ("S-DOMAIN-01",)),
    # 届出年月日 before 異動年月日 refused as inconsistent (the XSD orders neither)
    # (round 18's S-DATE-01 sends every pair of a notice's dates in the other order: it too)
    "notified-before-occurred-refused": ("RQ-SUB-01", ("S-DOMAIN-01", "S-CAL-02", "S-DATE-01")),
    # 記録年月日 before 異動年月日 refused (a correction recorded for an earlier date)
    "recorded-before-occurred-refused": ("RQ-SUB-01", ("S-DOMAIN-01", "S-CAL-02", "S-DATE-01")),
    # a 異動 dated after the notice was sent is taken for a clock error (転出予定 exist)
    "occurred-after-sent-refused": ("RQ-SUB-01", ("S-DOMAIN-01",)),
    # names kept in a fixed-width CHAR column: trailing blanks (space, U+3000) lost on read
    "name-char-column-trailing-blanks": ("RQ-MSG-06", ("S-DOMAIN-01",)),
}


def _date(text: str | None) -> dt.date:
    return dt.date.fromisoformat((text or "")[:10])  # the date as written (xs:date)


class DomainSubscriber(TestSubscriber):
    __test__ = False

    def handler(self, header, notice: etree._Element) -> etree._Element:
        mode = self.mode
        if mode == "relates-to-refused" and header.relates_to:
            raise ProviderError("VENDOR-HEADER", "a notice is not a reply")
        sent_on = instant(header.sent_at).date()
        for event in notice.iter(f"{{{JUKI}}}Event"):
            if mode == "occurred-after-sent-refused" and \
                    _date(event.findtext(f"{{{CMN}}}OccurredOn")) > sent_on:
                raise ProviderError("VENDOR-DATE", "異動年月日 after the notice was sent")
            notified = event.findtext(f"{{{CMN}}}NotifiedOn")
            occurred = _date(event.findtext(f"{{{CMN}}}OccurredOn"))
            if mode == "notified-before-occurred-refused" and notified \
                    and _date(notified) < occurred:
                raise ProviderError("VENDOR-DATE", "届出年月日 before 異動年月日")
            recorded = event.findtext(f"{{{CMN}}}RecordedOn")
            if mode == "recorded-before-occurred-refused" and recorded \
                    and _date(recorded) < occurred:
                raise ProviderError("VENDOR-DATE", "記録年月日 before 異動年月日")
        return super().handler(header, notice)

    def _apply(self, change: etree._Element) -> None:
        if self.mode == "name-char-column-trailing-blanks":  # CHAR(n): padding blanks dropped
            name = change.find(f"{{{JUKI}}}Resident/{{{CMN}}}Name/{{{CMN}}}Text")
            if name is not None and name.text:
                name.text = name.text.rstrip(" \u3000")
        super()._apply(change)
