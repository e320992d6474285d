"""The independent adapter's single-defect variants and standard-conformant alternatives.

DEFECTS: name → (class of issue 11, roles it applies to, what it does wrong). Written from the
classes of defect the suite must catch, in this adapter's own code (adapter.py), not derived from
the suite's faulty adapters. ALTERNATIVES: ways of writing correct messages the standard allows;
each must pass.
"""

from __future__ import annotations

from .eighteenth import EIGHTEENTH_DEFECTS
from .eleventh import ELEVENTH_DEFECTS
from .fifteenth import FIFTEENTH_DEFECTS
from .fourteenth import FOURTEENTH_DEFECTS
from .nineteenth import NINETEENTH_DEFECTS
from .ninth import NINTH_DEFECTS, NINTH_MEASURED_MISSES
from .seventeenth import SEVENTEENTH_DEFECTS
from .sixteenth import SIXTEENTH_DEFECTS
from .tenth import TENTH_DEFECTS
from .thirteenth import THIRTEENTH_DEFECTS
from .twelfth import TWELFTH_DEFECTS
from .twentieth import TWENTIETH_DEFECTS
from .twentyfirst import TWENTYFIRST_DEFECTS
from .twentysecond import TWENTYSECOND_DEFECTS
from .twentythird import TWENTYTHIRD_DEFECTS
from .twentyfifth import TWENTYFIFTH_DEFECTS
from .twentyfourth import TWENTYFOURTH_DEFECTS
from .twentysixth import TWENTYSIXTH_DEFECTS
from .twentyseventh import TWENTYSEVENTH_DEFECTS
from .twentyeighth import TWENTYEIGHTH_DEFECTS
from .twentyninth import TWENTYNINTH_DEFECTS
from .thirtieth import THIRTIETH_DEFECTS
from .thirtyfirst import THIRTYFIRST_DEFECTS
from .thirtysecond import THIRTYSECOND_DEFECTS
from .thirtythird import THIRTYTHIRD_DEFECTS
from .thirtyfifth import THIRTYFIFTH_DEFECTS
from .thirtyfourth import THIRTYFOURTH_DEFECTS
from .thirtysixth import THIRTYSIXTH_DEFECTS
from .thirtyseventh import THIRTYSEVENTH_DEFECTS
from .thirtyeighth import THIRTYEIGHTH_DEFECTS
from .thirtyninth import THIRTYNINTH_DEFECTS
from .fortieth import FORTIETH_DEFECTS
from .fortyfirst import FORTYFIRST_DEFECTS
from .fortysecond import FORTYSECOND_DEFECTS
from .fortythird import FORTYTHIRD_DEFECTS
from .fortyfifth import FORTYFIFTH_DEFECTS
from .fortysixth import FORTYSIXTH_DEFECTS
from .fortyseventh import FORTYSEVENTH_DEFECTS
from .fortyeighth import FORTYEIGHTH_DEFECTS
from .fortyfourth import FORTYFOURTH_DEFECTS

BOTH = ("provider", "subscriber")
P, S = ("provider",), ("subscriber",)

DEFECTS: dict[str, tuple[int, tuple[str, ...], str]] = {
    # 1. rules judged on one exchange only: the defect shows on one message shape
    "soap12-relates-to-self": (1, BOTH, "over SOAP 1.2, RelatesTo names the reply itself"),
    "soap12-hash-of-body": (1, BOTH, "over SOAP 1.2, RequestHash covers soap:Body only"),
    "soap12-rule-fault-500": (1, BOTH, "a SOAP 1.2 rule-violation fault is sent with HTTP 500"),
    "rule-fault-without-message-id": (1, BOTH, "rule-violation faults lack pff:MessageId"),
    "later-pages-parties-echoed": (1, P, "全件 pages after the first echo the parties"),
    "later-pages-gender-code-9": (1, P, "全件 pages after the first carry 性別 9 (no such code)"),
    "reply-id-per-page": (1, P, "reply MessageId derived from the page number: repeats"),
    "not-found-no-request-hash": (1, P, "not-found answers carry no RequestHash"),
    "not-found-extra-element": (1, P, "not-found answers add a juki:Reason element"),
    "not-found-charset-latin1": (1, P, "not-found answers are labelled charset=iso-8859-1"),
    "head-name-nonbmp-degraded": (1, P, "the household head's name degrades 𠮷 to 吉"),
    "soap12-as-text-xml": (1, BOTH, "SOAP 1.2 answers labelled text/xml"),
    "user-id-person-name": (1, BOTH, "the reply's UserId is a person's name"),
    "extract-id-per-page": (1, P, "every 全件 page names a new ExtractId"),
    "total-pages-floor": (1, P, "TotalPages rounded down"),
    "member-ivs-stripped": (1, P, "household members' names lose their IVS selectors"),
    # 2. inputs the first suite never sent
    "dtd-expanded": (2, BOTH, "internal DTD entities are expanded, the request answered"),
    "xxe-resolved": (2, BOTH, "DTDs loaded and external entities resolved"),
    "malformed-html": (2, BOTH, "malformed XML is answered with an HTML error page"),
    "charset-from-http": (2, BOTH, "decodes by the HTTP charset; a mismatch is its own error"),
    "receiver-unchecked": (2, P, "answers requests addressed to another system"),
    "notice-receiver-unchecked": (2, S, "accepts notices for another municipality"),
    "individual-number-unsupported": (2, P, "refuses inquiries by 個人番号"),
    "as-of-exclusive": (2, P, "基準日 compared the wrong way round"),
    "single-household-no-member": (2, P, "a one-person household is answered without Member"),
    "only-last-change": (2, S, "applies only the last change of a notice"),
    "unknown-individual-number-fault": (2, P, "an unknown 個人番号 is answered with a fault"),
    "as-of-future-refused": (2, P, "a 基準日 in the future is refused"),
    # 3. characters that normalisation changes
    "nfc-everywhere": (3, P, "every answer's text NFC-normalised"),
    "nfkc-address": (3, P, "addresses NFKC-normalised"),
    "nfkc-name-text": (3, P, "names NFKC-normalised"),
    "cp932-storage": (3, P, "a Shift_JIS → CP932 round trip: − U+2212 becomes U+FF0D"),
    "extract-nfkc": (3, P, "全件 pages NFKC-normalised"),
    "stores-nfc": (3, S, "stores names NFC-normalised"),
    "kana-half-width": (3, P, "readings (Kana) written in half-width katakana"),
    # 4. time
    "sent-at-utc-with-jst-suffix": (4, BOTH, "the UTC clock written with +09:00"),
    "sent-at-double-offset": (4, BOTH, "a JST clock shifted by 9 hours once more"),
    "sent-at-one-hour-ahead": (4, BOTH, "SentAt an hour ahead"),
    # 5. durability
    "ack-before-commit": (5, S, "receipt sent, the change committed 50 ms later"),
    "apply-in-background": (5, S, "receipt sent, the change queued in memory"),
    "seen-ids-in-memory": (5, S, "seen MessageIds kept in memory only"),
    "last-sequence-in-memory": (5, S, "the last 異動連番 per resident kept in memory only"),
    "seen-ids-window-2": (5, S, "de-duplicates only against the last 2 MessageIds"),
    # --- third batch, written before the suite was changed (blind): ---------------------------
    # 1. one message shape
    "soap12-fault-in-soap11-envelope": (1, P, "faults to SOAP 1.2 requests in a SOAP 1.1 envelope"),
    "not-found-http-404": (1, P, "not-found answers sent with HTTP status 404"),
    "later-pages-reuse-header": (1, P, "全件 pages after the first reuse the first page's "
                                       "MessageId and SentAt"),
    "by-individual-number-hash-without-declaration": (
        1, P, "answers by 個人番号 hash the request without its XML declaration"),
    "as-of-answers-no-user-id": (1, P, "answers to requests with a 基準日 have no UserId"),
    "soap11-faultcode-unqualified": (1, S, "SOAP 1.1 faultcode 'Client' without a prefix"),
    "duplicate-receipt-no-request-hash": (1, S, "'duplicate' receipts carry no RequestHash"),
    # 2. inputs never sent before
    "as-of-with-timezone-refused": (2, P, "a 基準日 with a timezone (xs:date allows one) refused"),
    "utf8-bom-refused": (2, P, "a request starting with a UTF-8 byte order mark refused"),
    "individual-number-leading-zero": (2, P, "個人番号 looked up as a number (leading 0 lost)"),
    "soap-action-required": (2, S, "SOAP 1.1 requests without a SOAPAction header refused"),
    "header-prefix-assumed": (2, S, "the platform header found only under the prefix pfh"),
    "multi-resident-notice-first-only": (
        2, S, "a notice with changes of several residents: only the first resident's applied"),
    "subscriber-name-truncated-8": (2, S, "names stored in a column 8 characters wide"),
    # 3. characters that normalisation changes
    "katagaki-nfkd": (3, P, "方書 NFKD-normalised"),
    "wave-dash-cp932": (3, P, "a CP932 round trip: 〜 U+301C becomes ～ U+FF5E"),
    "banchi-minus-to-hyphen": (3, P, "− U+2212 in 番地 written as the ASCII hyphen"),
    "former-surname-nfc": (3, P, "旧氏 NFC-normalised"),
    "stores-ivs-stripped": (3, S, "stores names without variation selectors"),
    "stores-half-width-to-full-width": (3, S, "stores half-width katakana as full-width"),
    # 4. time
    "sent-at-start-time": (4, S, "SentAt computed once, when the process started"),
    "sent-at-ten-minutes-behind": (4, P, "SentAt 10 minutes behind"),
    "sent-at-no-seconds": (4, S, "SentAt without seconds (2025-04-01T10:00+09:00)"),
    "sent-at-naive-local": (4, P, "SentAt in JST without an offset"),
    # 5. durability
    "seen-before-apply": (5, S, "the MessageId stored as seen first, the changes 50 ms after "
                                "the receipt"),
    "synchronous-off": (5, S, "SQLite with synchronous=OFF (the OS decides when to write)"),
    "seen-ids-pruned-on-start": (5, S, "seen MessageIds deleted at start-up (housekeeping)"),
    "last-sequence-reset-on-start": (5, S, "the last 異動連番 per resident reset at start-up"),
    # --- fourth batch, committed before the suite was run on it (blind): ----------------------
    # 1. one message shape
    "soap12-fault-no-detail": (1, BOTH, "SOAP 1.2 faults carry no pff:FaultDetail"),
    "soap12-fault-code-client": (1, BOTH, "SOAP 1.2 fault codes named soap:Client / soap:Server"),
    "fault-message-id-fresh": (1, BOTH, "a fault's pff:MessageId is a new ID, not the request's"),
    "not-found-relates-to-missing": (1, P, "not-found answers carry no RelatesTo"),
    "duplicate-receipt-relates-to-missing": (1, S, "'duplicate' receipts carry no RelatesTo"),
    "later-pages-total-count-of-page": (1, P, "全件 pages after the first: TotalCount counts the "
                                              "page's residents"),
    "member-kana-dropped": (1, P, "household members without their readings (Kana)"),
    "head-name-of-requested": (1, P, "HeadName is the requested resident's name, not the "
                                     "世帯主's"),
    # 2. inputs never sent before
    "as-of-ignored-by-individual-number": (2, P, "the 基準日 ignored in inquiries by 個人番号"),
    "extract-as-of-ignored": (2, P, "全件 ignores its 基準日"),
    "extract-request-id-ignored": (2, P, "a retried first 全件 request (same RequestId) gets a "
                                         "second snapshot"),
    "extract-unknown-id-empty-page": (2, P, "an unknown ExtractId answered with an empty page"),
    "page-past-end-fault": (2, P, "a page past TotalPages answered with a fault"),
    "receiver-system-id-only": (2, P, "the Receiver checked by SystemId only (another "
                                      "業務ユニット's request answered)"),
    "mynumber-check-digit-mod10": (2, BOTH, "個人番号 check digit taken mod 10: remainder 0 "
                                            "expects 1 (valid numbers refused)"),
    "change-reason-unchecked": (2, S, "異動事由 not checked against its code list"),
    "notice-kana-given-required": (2, S, "names without a given-name reading refused"),
    "stale-change-applied": (2, S, "an older 異動 arriving after a newer one is applied"),
    "utf16-request-refused": (2, BOTH, "UTF-16 requests (with a BOM) refused"),
    # 3. characters that normalisation changes
    "nonbmp-geta-everywhere": (3, P, "characters beyond the BMP (𠮷, IVS) written as 〓"),
    "name-spaces-removed": (3, P, "spaces removed from names (ROSSI VIOLA → ROSSIVIOLA)"),
    "hashigo-taka-folded": (3, P, "JIS X 0208 fallbacks: 髙 → 高, 﨑 → 崎"),
    "katagaki-half-width-widened": (3, P, "half-width katakana in 方書 widened"),
    "stores-cp932-replace": (3, S, "stores names through CP932: 𠮷 and IVS become ?"),
    # 4. time
    "sent-at-six-minutes-ahead": (4, BOTH, "SentAt 6 minutes ahead"),
    "sent-at-host-timezone": (4, BOTH, "SentAt in the host's timezone with its own offset"),
    "sent-at-echoes-request": (4, BOTH, "SentAt copied from the request's header"),
    "dates-shifted-via-utc": (4, P, "dates written through UTC midnight: one day early"),
    # 5. durability
    "seen-after-receipt": (5, S, "changes committed, the MessageId stored 50 ms after the "
                                 "receipt"),
    "seen-insert-uncommitted": (5, S, "the MessageId's insert committed with the next notice"),
    "apply-uncommitted-until-next": (5, S, "the whole notice committed with the next notice"),
    "db-recreated-on-start": (5, S, "tables dropped and created at every start-up"),
    # --- fifth batch, committed before the suite was run on it (blind): -----------------------
    # 1. one message shape
    "later-pages-relates-to-first-request": (1, P, "全件 pages after the first: RelatesTo names "
                                                   "the first page's request"),
    "request-hash-utf16-reencoded": (1, BOTH, "UTF-16 requests hashed as their UTF-8 "
                                              "re-encoding"),
    "extract-former-surname-dropped": (1, P, "全件 residents without their 旧氏"),
    "extract-addressee-number-unpadded": (1, P, "全件 宛名番号 without leading zeros (the check "
                                                "digit still holds)"),
    "household-number-as-integer": (1, P, "the Household's 世帯番号 without leading zeros"),
    "members-exclude-requested": (1, P, "household members without the requested resident"),
    "resident-kind-foreigner-3": (1, P, "住民種別 外国人 written 3 (the vendor's legacy code)"),
    "soap12-notice-not-deduplicated": (1, S, "over SOAP 1.2 a resent notice is receipted "
                                             "applied, not duplicate"),
    "duplicate-answered-applied": (1, S, "a resent notice receipted applied (nothing applied)"),
    # 2. inputs never sent before
    "page-slice-inclusive-end": (2, P, "each 全件 page also holds the next page's first "
                                       "resident"),
    "total-pages-plus-one-when-exact": (2, P, "TotalPages = TotalCount // PageSize + 1"),
    "receiver-local-gov-unchecked": (2, P, "the Receiver's 団体コード not checked"),
    "soap12-action-required": (2, S, "SOAP 1.2 requests without an action parameter refused"),
    "deep-nesting-html-500": (2, P, "a request nested deeper than 50 elements answered with an "
                                    "HTML page"),
    "request-hash-stripped": (2, S, "RequestHash over the request without surrounding "
                                    "whitespace"),
    "addressee-check-digit-mod10": (2, BOTH, "宛名番号 check digit taken mod 10: remainder 0 "
                                             "expects 1 (valid numbers refused)"),
    "sequence-compared-as-text": (2, S, "異動連番 compared as text: 10 is older than 9"),
    "sequence-gap-refused": (2, S, "a 異動連番 that skips ahead of the last one + 1 refused"),
    "stale-check-strict-less": (2, S, "a change with the last applied 異動連番 applied again"),
    "sequence-tracked-per-household": (2, S, "the last 異動連番 kept per 世帯, not per resident"),
    "notice-original-name-refused": (2, S, "names with cmn:Original (縮退) refused"),
    "notice-receiver-system-id-checked": (2, S, "notices addressed to the hub's SystemId "
                                                "refused"),
    # 3. characters that normalisation or legacy code pages change
    "address-digits-narrowed": (3, P, "full-width digits in 住所 texts narrowed to ASCII"),
    "katagaki-sjis-14-bytes": (3, P, "方書 cut to 14 bytes of Shift_JIS"),
    "name-half-width-widened": (3, P, "half-width katakana in names widened"),
    "kana-nfd": (3, P, "readings (Kana) NFD-decomposed: ダ → タ + U+3099"),
    "former-surname-ivs-stripped": (3, P, "旧氏 without its IVS selectors"),
    "nonbmp-cesu8": (3, P, "characters beyond the BMP written in CESU-8 (Oracle's UTF8)"),
    "stores-jis0208-fallback": (3, S, "stores names with JIS X 0208 fallbacks: 髙 → 高"),
    # 4. time
    "as-of-via-utc-day-early": (4, P, "基準日 as JST midnight turned into a UTC date: a "
                                      "resident since that day not found"),
    "extract-sent-at-snapshot-date": (4, P, "全件 pages' SentAt is the snapshot's date at "
                                            "00:00"),
    "receipt-sent-at-decimal-comma": (4, S, "SentAt with milliseconds after a comma"),
    "order-by-occurred-on": (4, S, "changes ordered by 異動年月日, not 異動連番"),
    "notice-max-age-applied": (4, S, "notices with SentAt older than one hour refused"),
    # 5. durability
    "seen-ids-ttl-1s": (5, S, "seen MessageIds expire after 1 second"),
    "inbox-replayed-on-start": (5, S, "at start-up the last notice is applied once more"),
    "wal-deleted-on-start": (5, S, "the SQLite -wal file deleted at start-up (committed "
                                   "notices not yet checkpointed are lost)"),
    # --- sixth batch, committed before the suite was run on it (blind): -----------------------
    # 1. one message shape
    "extract-linkage-kind-delta": (1, P, "replies' LinkageKind always delta (全件 pages too)"),
    "by-individual-number-number-omitted": (1, P, "answers by 個人番号 leave out the residents' "
                                                  "個人番号"),
    "utf16-answer-labelled-utf16": (1, BOTH, "answers to UTF-16 requests labelled charset=utf-16 "
                                             "(the bytes are UTF-8)"),
    "receipt-receiver-hub": (1, S, "receipts addressed to the hub, not to the notice's Sender"),
    "multi-change-receipt-accepted": (1, S, "notices with several changes receipted 'accepted' "
                                            "(the hub's word)"),
    "duplicate-receipt-id-uppercase": (1, S, "'duplicate' receipts echo the MessageId in upper "
                                             "case (read back from a GUID column)"),
    "duplicate-reply-id-is-notice-id": (1, S, "'duplicate' receipts' reply MessageId is the "
                                              "notice's own"),
    # 2. inputs the suite may never send
    "removed-residents-not-found": (2, P, "residents with 住民状態 other than 1 (転出者 …) "
                                          "answered not-found"),
    "as-of-compared-with-birth": (2, P, "基準日 compared with 生年月日, not 住民となった年月日"),
    "page-size-max-refused": (2, P, "PageSize 1000 (the maximum) refused"),
    "addressee-number-short-refused": (2, P, "宛名番号 of other than 10 digits refused (the XSD "
                                             "allows 2–15)"),
    "comment-in-body-refused": (2, BOTH, "a comment in soap:Body counted as a second element: "
                                         "refused"),
    "content-type-case-sensitive": (2, BOTH, "media types compared case-sensitively: "
                                             "Application/SOAP+XML refused"),
    "notice-relates-to-refused": (2, S, "notices carrying RelatesTo refused (the request rule)"),
    "notice-without-individual-number-refused": (2, S, "residents without 個人番号 refused"),
    "notified-before-occurred-refused": (2, S, "a 届出年月日 before the 異動年月日 (転出予定) "
                                               "refused"),
    "changes-collapsed-per-resident": (2, S, "of several changes of one resident in a notice "
                                             "only the latest applied"),
    "stale-check-once-per-notice": (2, S, "the last 異動連番 read once per notice: an older "
                                          "change later in the same notice applied"),
    "removal-deletes-resident": (2, S, "a 消除 (B..) deletes the resident's record"),
    "correction-for-unknown-ignored": (2, S, "a 修正 (C..) of a resident not held is dropped"),
    "sequence-int32-wraps": (2, S, "異動連番 in a 32-bit integer: above 2³¹−1 it wraps and "
                                   "the change is skipped as stale"),
    # 3. characters that normalisation or legacy code pages change
    "kana-small-to-large": (3, P, "readings with small kana written large (ショウコ → シヨウコ)"),
    "kana-vu-folded": (3, P, "readings with ヴ folded (ヴィオラ → ビオラ)"),
    "katagaki-digits-widened": (3, P, "ASCII digits in 方書 widened (301 → ３０１)"),
    "banchi-kanji-numerals": (3, P, "digits in 番地 written as kanji numerals (1番2号 → 一番二号)"),
    "stores-latin-full-width": (3, S, "stores Latin names full-width (ＲＯＳＳＩ　ＶＩＯＬＡ)"),
    "stores-ideographic-space-to-ascii": (3, S, "stores names with U+3000 as an ASCII space"),
    "stores-latin-title-case": (3, S, "stores Latin names title-cased (Rossi Viola)"),
    # 4. time
    "request-max-age-300s": (4, P, "requests with SentAt more than 5 minutes old refused"),
    "sent-at-lmt-offset": (4, P, "SentAt with Tokyo's LMT offset +09:19 (pytz's first offset)"),
    "notice-sent-at-ahead-refused": (4, S, "notices with SentAt ahead of the own clock refused "
                                           "(no skew allowed)"),
    "sent-at-offset-without-colon": (4, S, "SentAt's offset written +0900 (strftime %z)"),
    # 5. durability
    "seen-ids-warmed-up-late": (5, S, "seen MessageIds checked in a cache loaded 1 s after "
                                      "start-up"),
    "last-seen-rolled-back-on-start": (5, S, "at start-up the last seen MessageId is deleted "
                                             "(\"the last one may be incomplete\")"),
    "later-changes-applied-after-receipt": (5, S, "a notice's first change committed before "
                                                  "the receipt, the others 50 ms after"),
    # --- seventh batch, committed before the suite was run on it (blind, by a reviewer who read
    # only the vendors' documents and this adapter): ------------------------------------------
    # 1. one message shape
    "member-individual-number-omitted": (1, P, "household members without their 個人番号 (the "
                                               "household view leaves it out)"),
    "member-relationship-unpadded": (1, P, "household members' 続柄 without the leading zero "
                                           "(01 → 1)"),
    "member-former-surname-dropped": (1, P, "household members without their 旧氏"),
    "head-name-kana-dropped": (1, P, "the 世帯主's HeadName without its reading (Kana)"),
    "empty-katagaki-written": (1, P, "an address without 方書 written with an empty Katagaki"),
    "later-pages-ordered-by-kana": (1, P, "全件 pages after the first sliced from the snapshot "
                                          "ordered by reading, not by 宛名番号"),
    "total-count-active-only": (1, P, "TotalCount counts residents with 住民状態 1 only (the "
                                      "pages hold all)"),
    "client-faults-as-server": (1, BOTH, "every fault soap:Server / soap:Receiver with Party "
                                         "provider (one catch-all handler)"),
    "check-digit-as-schema-invalid": (1, BOTH, "check-digit failures answered PF-SCHEMA-INVALID "
                                               "(an XSD assertion), not PF-RULE-VIOLATION"),
    "soap11-fault-http-400": (1, BOTH, "SOAP 1.1 client faults sent with HTTP 400"),
    "soap12-fault-http-200": (1, BOTH, "SOAP 1.2 faults sent with HTTP 200"),
    "fault-string-cp932-bytes": (1, BOTH, "fault text in Japanese written in Shift_JIS bytes "
                                          "inside a UTF-8 envelope"),
    "content-length-counts-characters": (1, P, "Content-Length counts characters, not bytes "
                                               "(answers with Japanese text cut short)"),
    "soap12-receipt-in-soap11-envelope": (1, S, "receipts to SOAP 1.2 notices in a SOAP 1.1 "
                                                "envelope, text/xml"),
    "receipt-http-202": (1, S, "receipts sent with HTTP 202 (the one-way operation's status)"),
    # 2. inputs the suite may never send
    "extract-removed-excluded": (2, P, "全件 leaves out residents with 住民状態 other than 1"),
    "page-size-capped-at-5": (2, P, "PageSize above 5 silently treated as 5"),
    "extract-request-id-global": (2, P, "RequestId remembered without its sender: another "
                                        "system's retry gets this one's snapshot"),
    "page-index-zero-based": (2, P, "Page taken as 0-based (OFFSET Page × PageSize): page 1 "
                                    "holds the second slice"),
    "check-digit-failure-not-found": (2, P, "an inquiry with a wrong check digit answered "
                                            "not-found, not a fault"),
    "empty-extract-one-page": (2, P, "an empty 全件 answered TotalPages 1 (the XSD says 0)"),
    "individual-number-weights-from-left": (2, BOTH, "個人番号 check digit with the weights "
                                                     "counted from the left"),
    "rule-violation-receipted": (2, S, "notices breaking a rule beyond XSD receipted applied "
                                       "and dropped (\"poison message\" handling)"),
    "dedup-key-sent-at": (2, S, "de-duplicates by the Sender's SystemId and SentAt: a second "
                                "notice sent in the same second is taken for a duplicate"),
    "sequence-watermark-global": (2, S, "the last 異動連番 kept as one watermark for all "
                                        "residents"),
    "removal-not-applied": (2, S, "消除 (B..) receipted applied, never recorded (\"the tax "
                                  "system handles 記載 and 修正\")"),
    "notice-postal-code-required": (2, S, "residents without 郵便番号 (optional) refused"),
    # 3. characters
    "name-char-column-padded": (3, P, "names padded with U+3000 to 10 characters (a 全角 CHAR "
                                      "column)"),
    "kana-as-hiragana": (3, P, "readings (Kana) written in hiragana, as the vendor keeps them"),
    "nonbmp-surrogate-references": (3, P, "characters beyond the BMP written as two character "
                                          "references to UTF-16 surrogates"),
    "name-gaiji-as-pua": (3, P, "names' characters outside JIS X 0208 written as the vendor's "
                                "外字 (private-use) codes"),
    "stores-name-stripped": (3, S, "stores names strip()ped: leading and trailing spaces and "
                                   "U+3000 lost"),
    "stores-gaiji-pua": (3, S, "stores names' characters outside JIS X 0208 as the vendor's "
                               "外字 (private-use) codes"),
    # 4. time
    "wareki-reiwa-year-off-by-one": (4, P, "dates from 令和 on converted from 和暦 with 2019 as "
                                           "令和0年: one year late"),
    "sent-at-utc-z": (4, BOTH, "SentAt in UTC with Z (Instant.toString())"),
    "occurred-on-future-refused": (4, S, "notices with a 異動年月日 after today (転出予定) refused"),
    # 5. durability
    "redelivery-after-restart-fault": (5, S, "seen MessageIds checked in memory, stored with a "
                                             "plain INSERT: a redelivery after a restart gets a "
                                             "fault"),
    "store-path-per-process": (5, S, "a new database file at every start-up"),
    "soap12-ack-before-commit": (5, S, "over SOAP 1.2 the change is committed 50 ms after the "
                                       "receipt"),
    # --- eighth batch, committed before the suite was run on it (blind: written from the
    # documents, the schemas and this adapter, without reading the suite). The rule each breaks
    # is named in brackets. ------------------------------------------------------------------
    # 1. one message shape
    "later-pages-request-hash-of-first": (1, P, "全件 pages after the first carry the first "
                                                "request's RequestHash (kept with the snapshot) "
                                                "[RequestHash: the bytes answered, header-v1.xsd]"),
    "foreigner-kana-dropped": (1, P, "residents and members with 住民種別 2 (外国人) answered "
                                     "without their reading [氏名フリガナ, platform.md]"),
    "individual-number-finding-named-addressee": (
        1, BOTH, "a 個人番号 check-digit fault's finding named addressee_number "
                 "[faults.md: individual_number]"),
    "codelist-finding-unnamed": (1, S, "code-list findings named codelist, without the list "
                                       "[faults.md: codelist:NAME]"),
    "misrouted-fault-as-server": (1, BOTH, "PF-PROVIDER-MISROUTED answered soap:Server / "
                                           "Receiver, Party provider [faults.md: client, 400]"),
    "soap12-fault-reason-without-lang": (1, BOTH, "SOAP 1.2 fault Reason/Text without xml:lang "
                                                  "[SOAP 1.2 part 1, 5.4.2: required]"),
    "soap11-fault-children-qualified": (1, BOTH, "SOAP 1.1 faultcode, faultstring, detail in "
                                                 "the envelope's namespace [SOAP 1.1 4.4: "
                                                 "unqualified]"),
    "receipt-sender-from-notice-receiver": (1, S, "receipts' Sender copied from the notice's "
                                                  "Receiver (the hub), not the subscriber "
                                                  "[platform.md: sender and receiver]"),
    "stale-notice-receipted-duplicate": (1, S, "a new notice whose changes are all older than "
                                               "those held receipted duplicate [receipt-v1.xsd: "
                                               "duplicate = this MessageId was received "
                                               "before]"),
    "receipt-message-id-is-reply-id": (1, S, "the receipt's pfr:MessageId is the reply's own "
                                             "MessageId [receipt-v1.xsd: the notice's]"),
    "multi-change-notice-id-not-recorded": (1, S, "notices with several changes: the MessageId "
                                                  "not recorded, a redelivery receipted applied "
                                                  "[notices.md: idempotent receiver]"),
    # 2. inputs the suite may never send
    "standard-version-not-echoed": (2, BOTH, "replies' StandardVersion always 1.0, the version "
                                             "implemented [header-v1.xsd: the request's, "
                                             "unchanged]"),
    "addressee-number-compared-as-integer": (2, P, "宛名番号 compared as numbers: 00000010014 "
                                                   "finds 0000010014 [common-v1.xsd: a string "
                                                   "of 2–15 digits]"),
    "page-past-end-clamped": (2, P, "a page past the end answered as the last page (Page "
                                    "clamped, its residents) [notices.md: paging contract]"),
    "request-id-case-folded": (2, P, "RequestId compared case-insensitively: r7 gets R7's "
                                     "snapshot [notices.md: any text the requester chooses]"),
    "key-read-by-regex": (2, P, "the 宛名番号 read from the request's bytes by a regex: in CDATA "
                                "or as character references not found [XML 1.0]"),
    "extract-page-size-of-first-request": (2, P, "later 全件 pages sized by the first request's "
                                                 "PageSize, not their own [juki-v1.xsd: "
                                                 "TotalPages = ⌈TotalCount / PageSize⌉]"),
    "foreign-header-block-refused": (2, BOTH, "a header block beside pfh:PlatformHeader (no "
                                              "mustUnderstand) refused [faults.md: header "
                                              "blocks pass through]"),
    "charset-quoted-refused": (2, BOTH, "Content-Type with a quoted charset (charset=\"utf-8\") "
                                        "refused [RFC 9110 8.3.1: the same parameter]"),
    "request-hash-crlf-normalised": (2, BOTH, "RequestHash over the request with CRLF read as "
                                              "LF [adapter-sdk.md: the exact bytes]"),
    "sequence-as-double": (2, S, "異動連番 read as a double: above 2⁵³ a newer change is taken "
                                 "for a stale one [notices.md: compare exactly]"),
    "sequence-18-digits-refused": (2, S, "異動連番 of 18 digits refused (a DECIMAL(17) column) "
                                         "[notices.md, juki-v1.xsd: up to 18 digits]"),
    "name-overwritten-by-former-surname": (2, S, "the name stored is the 旧氏 when the resident "
                                                 "has one (the last cmn:Text) [common-v1.xsd]"),
    "notice-applied-up-to-bad-change": (2, S, "a notice with a bad later change refused after "
                                              "its earlier changes were committed [BRIEF: "
                                              "nothing half-written]"),
    "unchanged-state-not-recorded": (2, S, "a change carrying the name held is skipped without "
                                           "recording its 異動連番: an older change after it "
                                           "is applied [notices.md: per change]"),
    # 3. characters
    "cp932-forms-to-jis": (3, P, "CP932 forms ～ ∥ － written as 〜 ‖ − (a Shift_JIS table on "
                                 "the way out) [platform.md: never normalise]"),
    "horizontal-bar-to-em-dash": (3, P, "― U+2015 written as — U+2014 (JIS's mapping of 1-29) "
                                        "[platform.md]"),
    "latin-signs-full-width": (3, P, "¢ £ ¬ written as ￠ ￡ ￢ (CP932's mapping) "
                                     "[platform.md]"),
    "half-width-voiced-mark-dropped": (3, P, "half-width ﾞ and ﾟ dropped (ﾂﾂﾞｷ → ﾂﾂｷ) "
                                             "[platform.md]"),
    "name-space-widened": (3, P, "spaces in names written as U+3000 (ROSSI　VIOLA) "
                                 "[common-v1.xsd: whiteSpace preserve]"),
    "town-from-address-master": (3, P, "町字 written from the vendor's address master (霞が関 → "
                                       "霞ヶ関, 麹町 → 麴町) [the resident's record]"),
    "banchi-abbreviated": (3, P, "番地 in the 住居表示 short form (1番2号 → 1-2) [the "
                                 "resident's record]"),
    "kana-dot-and-space-refused": (3, S, "readings with ・ or U+3000 refused [common-v1.xsd "
                                         "KanaTextType allows both]"),
    "stores-cp932-signs": (3, S, "stores names through MS932: 〜 ‖ − ¢ £ ¬ become ～ ∥ － ￠ ￡ ￢ "
                                 "[platform.md]"),
    # 4. time
    "wareki-leap-year-by-era-year": (4, P, "29 February kept only in 和暦 years divisible by 4: "
                                           "2020-02-29 (令和2年) written 02-28 [the record]"),
    "as-of-wareki-leap-day-refused": (4, P, "a 基準日 of 29 February in a 和暦 year not "
                                            "divisible by 4 (2024: 令和6年) refused "
                                            "[juki-v1.xsd: xs:date]"),
    "sent-at-fraction-refused": (4, BOTH, "SentAt with fractional seconds refused "
                                          "[header-v1.xsd: xs:dateTime]"),
    "birth-before-epoch-refused": (4, S, "residents born before 1970-01-01 refused (dates as "
                                         "Unix time) [common-v1.xsd: xs:date]"),
    # 5. durability
    "restored-from-start-snapshot": (5, S, "after a crash (the -wal file left) the store is "
                                           "restored from the copy taken at the last start "
                                           "[notices.md: a receipt means stored]"),
    "nonbmp-change-dropped-after-error": (5, S, "a change whose name holds a character beyond "
                                                "the BMP (𠮷, IVS) fails to store, is skipped "
                                                "and receipted applied [notices.md]"),
    "seen-ids-saved-at-exit": (5, S, "seen MessageIds kept in memory, saved to a file at a "
                                     "clean exit only [notices.md: idempotent receiver]"),
    # --- ninth batch (ninth.py), committed before the suite was run on it (blind) -------------
    **NINTH_DEFECTS,
}


def _batch(first: str, last: str | None = None) -> frozenset[str]:
    names = list(DEFECTS)
    return frozenset(names[names.index(first):names.index(last) + 1 if last else None])


# the third to eighth batches: written from the five classes and measured before any
# case was added for them
THIRD_BATCH = _batch("soap12-fault-in-soap11-envelope", "last-sequence-reset-on-start")
FOURTH_BATCH = _batch("soap12-fault-no-detail", "db-recreated-on-start")
FIFTH_BATCH = _batch("later-pages-relates-to-first-request", "wal-deleted-on-start")
SIXTH_BATCH = _batch("extract-linkage-kind-delta", "later-changes-applied-after-receipt")
SEVENTH_BATCH = _batch("member-individual-number-omitted", "soap12-ack-before-commit")
EIGHTH_BATCH = _batch("later-pages-request-hash-of-first", "seen-ids-saved-at-exit")
NINTH_BATCH = frozenset(NINTH_DEFECTS)
# The tenth batch (tenth.py), blind: kept apart from DEFECTS — so out of VARIANTS, MEASURED_ONLY
# and the 95 % measurement — until the lead decides; independent_runs measures it by name.
# Blind 33/46 (71.7 %) on ecfaccc; its misses are tenth.TENTH_MEASURED_MISSES (the blind record,
# kept as measured). Re-measured after the round-10 cases (ff5a364, before the rebase): 46/46, after the fact
# (docs/conformance-testing.md).
TENTH_BATCH = frozenset(TENTH_DEFECTS)
# The eleventh batch (eleventh.py), blind like the tenth: kept apart from DEFECTS, measured by
# name. Blind 34/45 (75.6 %) on 0be89b6 (1da32c4 after the rebase); its record is eleventh.py's
# docstring, its misses eleventh.ELEVENTH_MEASURED_MISSES (the blind record, kept as measured).
# Re-measured after the round-11 cases (592e844, before the rebase): 45/45, after the fact
# (docs/conformance-testing.md).
ELEVENTH_BATCH = frozenset(ELEVENTH_DEFECTS)
# The twelfth batch (twelfth.py), blind like the tenth and eleventh: kept apart from DEFECTS,
# measured by name; committed before the suite was run on it. Blind 30/36 (83.3 %) on 56c0d32;
# its record is twelfth.py's docstring, its misses twelfth.TWELFTH_MEASURED_MISSES (the blind
# record, kept as measured). Re-measured after the round-12b cases (6a7728f, before the rebase;
# 623a410 after it): 36/36, after the fact (docs/conformance-testing.md).
TWELFTH_BATCH = frozenset(TWELFTH_DEFECTS)
# The thirteenth batch (thirteenth.py), blind like the tenth to twelfth: kept apart from DEFECTS,
# measured by name; committed before the suite was run on it. Blind 33/40 (82.5 %) on f60f40e;
# its record is thirteenth.py's docstring, its misses thirteenth.THIRTEENTH_MEASURED_MISSES (the
# blind record, kept as measured). Re-measured after the round-13 cases (8807d8d): 39/40, after
# the fact — request-id-map-ttl-60s is caught only by the waiting case J-FULL-17, which an
# ordinary run skips (docs/conformance-testing.md).
THIRTEENTH_BATCH = frozenset(THIRTEENTH_DEFECTS)
# The fourteenth batch (fourteenth.py), blind like the tenth to thirteenth: kept apart from
# DEFECTS, measured by name; committed (c8abe9c) before the suite was run on it. Blind 28/40
# (70.0 %) on c8abe9c; its record is fourteenth.py's docstring, its misses
# fourteenth.FOURTEENTH_MEASURED_MISSES (the blind record, kept as measured).
FOURTEENTH_BATCH = frozenset(FOURTEENTH_DEFECTS)
# The fifteenth batch (fifteenth.py), blind like the tenth to fourteenth: kept apart from
# DEFECTS, measured by name; committed (2c3e8b5) before the suite was run on it. Blind 36/40
# (90.0 %) on 2c3e8b5; its record is fifteenth.py's docstring, its misses
# fifteenth.FIFTEENTH_MEASURED_MISSES (the blind record, kept as measured).
FIFTEENTH_BATCH = frozenset(FIFTEENTH_DEFECTS)
# The sixteenth batch (sixteenth.py, sixteenth_store.py), blind like the tenth to fifteenth: kept
# apart from DEFECTS, measured by name; committed (ac631b4) before the suite was run on it. Blind
# 32/40 (80.0 %) on 3d074b0; its record is sixteenth.py's docstring, its misses
# sixteenth.SIXTEENTH_MEASURED_MISSES (the blind record, kept as measured).
SIXTEENTH_BATCH = frozenset(SIXTEENTH_DEFECTS)
# The seventeenth batch (seventeenth.py, seventeenth_store.py), blind like the tenth to sixteenth:
# kept apart from DEFECTS, measured by name; committed (f3d7217) before the suite was run on it.
# Blind 33/40 (82.5 %) on 47673a8; its record is seventeenth.py's docstring, its misses
# seventeenth.SEVENTEENTH_MEASURED_MISSES (the blind record, kept as measured).
SEVENTEENTH_BATCH = frozenset(SEVENTEENTH_DEFECTS)
# The eighteenth batch (eighteenth.py, eighteenth_store.py), blind like the tenth to seventeenth:
# kept apart from DEFECTS, measured by name; committed (261710d…aca08cd) before the suite was run
# on it. Blind 37/43 (86.0 %) on aca08cd; its record is eighteenth.py's docstring, its misses
# eighteenth.EIGHTEENTH_MEASURED_MISSES (the blind record, kept as measured).
EIGHTEENTH_BATCH = frozenset(EIGHTEENTH_DEFECTS)
# The nineteenth batch (nineteenth.py, nineteenth_store.py), blind like the tenth to eighteenth:
# kept apart from DEFECTS, measured by name; committed (6c9fd4b) before the suite was run on it.
# Blind 26/36 (72.2 %) on 6c9fd4b; its record is nineteenth.py's docstring, its misses
# nineteenth.NINETEENTH_MEASURED_MISSES (the blind record, kept as measured).
NINETEENTH_BATCH = frozenset(NINETEENTH_DEFECTS)
# The twentieth batch (twentieth.py, twentieth_store.py), blind like the tenth to nineteenth: kept
# apart from DEFECTS, measured by name; committed (f26c347) before the suite was run on it. Blind
# 24/29 (82.8 %) on f26c347; its record is twentieth.py's docstring, its misses
# twentieth.TWENTIETH_MEASURED_MISSES (the blind record, kept as measured).
TWENTIETH_BATCH = frozenset(TWENTIETH_DEFECTS)
# The twenty-first batch (twentyfirst.py, twentyfirst_store.py), blind like the tenth to twentieth:
# kept apart from DEFECTS, measured by name; committed (1dc2943) before the suite was run on it.
# Blind 20/34 (58.8 %) on 1dc2943; its record is twentyfirst.py's docstring, its misses
# twentyfirst.TWENTYFIRST_MEASURED_MISSES (the blind record, kept as measured).
TWENTYFIRST_BATCH = frozenset(TWENTYFIRST_DEFECTS)
# The twenty-second batch (twentysecond.py, twentysecond_store.py), blind like the tenth to
# twenty-first: kept apart from DEFECTS, measured by name; committed (bdf976e) before the suite
# was run on it. Blind 23/28 (82.1 %) on bdf976e; its record is twentysecond.py's docstring, its
# misses twentysecond.TWENTYSECOND_MEASURED_MISSES (the blind record, kept as measured).
TWENTYSECOND_BATCH = frozenset(TWENTYSECOND_DEFECTS)
# The twenty-third batch (twentythird.py, twentythird_store.py), blind like the tenth to
# twenty-second: kept apart from DEFECTS, measured by name; committed (f6eb984) before the suite
# was run on it. Blind 24/30 (80.0 %) on cf38804; its record is twentythird.py's docstring, its
# misses twentythird.TWENTYTHIRD_MEASURED_MISSES (the blind record, kept as measured).
TWENTYTHIRD_BATCH = frozenset(TWENTYTHIRD_DEFECTS)
# The twenty-fourth batch (twentyfourth.py, twentyfourth_store.py), blind like the tenth to
# twenty-third: kept apart from DEFECTS, measured by name; committed (2613856, landed as
# 17419a4) before the suite was run on it. Blind 20/27 (74.1 %) on 17419a4; its record is
# twentyfourth.py's docstring, its misses twentyfourth.TWENTYFOURTH_MEASURED_MISSES.
TWENTYFOURTH_BATCH = frozenset(TWENTYFOURTH_DEFECTS)
# The twenty-fifth batch (twentyfifth.py, twentyfifth_store.py), blind like the tenth to
# twenty-fourth: kept apart from DEFECTS, measured by name; committed before the suite was run
# on it. Blind 25/29 (86.2 %) on b877110; its record is twentyfifth.py's docstring, its misses
# twentyfifth.TWENTYFIFTH_MEASURED_MISSES.
TWENTYFIFTH_BATCH = frozenset(TWENTYFIFTH_DEFECTS)
# The twenty-sixth batch (twentysixth.py, twentysixth_store.py), blind like the tenth to
# twenty-fifth: kept apart from DEFECTS, measured by name; committed before the suite was run
# on it (b45c6c1). Blind 22/23 (95.7 %) on dafb914; its record is twentysixth.py's docstring,
# its misses twentysixth.TWENTYSIXTH_MEASURED_MISSES.
TWENTYSIXTH_BATCH = frozenset(TWENTYSIXTH_DEFECTS)
# The twenty-seventh batch (twentyseventh.py, twentyseventh_store.py), blind like the tenth to
# twenty-sixth: kept apart from DEFECTS, measured by name; committed before the suite was run
# on it (55cd32c). Blind 21/22 (95.5 %) on a2c66e6; its record is twentyseventh.py's docstring,
# its misses twentyseventh.TWENTYSEVENTH_MEASURED_MISSES.
TWENTYSEVENTH_BATCH = frozenset(TWENTYSEVENTH_DEFECTS)
# The twenty-eighth batch (twentyeighth.py, twentyeighth_store.py), blind like the tenth to
# twenty-seventh: kept apart from DEFECTS, measured by name; committed before the suite was run
# on it (7b21fb8). Blind 23/23 (100 %) on 08332c6; its record is twentyeighth.py's docstring,
# its misses (none) twentyeighth.TWENTYEIGHTH_MEASURED_MISSES.
TWENTYEIGHTH_BATCH = frozenset(TWENTYEIGHTH_DEFECTS)
# The twenty-ninth batch (twentyninth.py, twentyninth_store.py), blind like the tenth to
# twenty-seventh: kept apart from DEFECTS, measured by name; committed before the suite was run
# on it (b37cc8c). Blind 21/23 (91.3 %) on the suite of 08332c6; its record is twentyninth.py's
# docstring, its misses twentyninth.TWENTYNINTH_MEASURED_MISSES.
TWENTYNINTH_BATCH = frozenset(TWENTYNINTH_DEFECTS)
# The thirtieth batch (thirtieth.py, thirtieth_store.py), blind like the tenth to twenty-ninth:
# kept apart from DEFECTS, measured by name; committed before the suite was run on it
# (f0c4be6). Blind 17/26 (65.4 %) on f0c4be6; its record is thirtieth.py's docstring, its misses
# thirtieth.THIRTIETH_MEASURED_MISSES.
THIRTIETH_BATCH = frozenset(THIRTIETH_DEFECTS)
# The thirty-first batch (thirtyfirst.py, thirtyfirst_store.py), blind like the tenth to
# thirtieth: kept apart from DEFECTS, measured by name; committed before the suite was run
# on it (27a17e6). Blind 21/24 (87.5 %) on 27a17e6; its record is thirtyfirst.py's docstring, its
# misses thirtyfirst.THIRTYFIRST_MEASURED_MISSES.
THIRTYFIRST_BATCH = frozenset(THIRTYFIRST_DEFECTS)
# The thirty-second batch (thirtysecond.py, thirtysecond_store.py), blind like the tenth to
# thirty-first: kept apart from DEFECTS, measured by name; committed before the suite was run
# on it (3000c02). Blind 24/25 (96.0 %) on 3000c02 (one catch by the variant's own crash on a
# SentAt lexical form, not by its defect); its record is thirtysecond.py's docstring, its misses
# thirtysecond.THIRTYSECOND_MEASURED_MISSES.
THIRTYSECOND_BATCH = frozenset(THIRTYSECOND_DEFECTS)
# The thirty-third batch (thirtythird.py, thirtythird_store.py), blind like the tenth to
# thirty-second: kept apart from DEFECTS, measured by name; committed before the suite was run
# on it (a645e29). Blind 19/26 (73.1 %) on a645e29 (every catch by the variant's own defect; the
# misses: a UTF-16 body with its charset after another parameter, a SystemId ending in
# punctuation, three restarts — a trimmed name, a 32-bit watermark, RelatesTo notices' IDs); its
# record is thirtythird.py's docstring, its misses thirtythird.THIRTYTHIRD_MEASURED_MISSES.
THIRTYTHIRD_BATCH = frozenset(THIRTYTHIRD_DEFECTS)
# The thirty-fourth batch (thirtyfourth.py, thirtyfourth_store.py), blind like the tenth to
# thirty-third: kept apart from DEFECTS, measured by name; committed before the suite was run
# on it (7a47612). Blind 18/23 (78.3 %) on 7a47612 (every catch by the variant's own defect; the
# misses, all subscriber's: SOAP 1.2 × a compatibility ideograph, an equal 異動連番 with a later
# OccurredOn, three restarts — a name with cmn:Original, a notice sent as full, a short
# 宛名番号); its record is thirtyfourth.py's docstring, its misses
# thirtyfourth.THIRTYFOURTH_MEASURED_MISSES.
THIRTYFOURTH_BATCH = frozenset(THIRTYFOURTH_DEFECTS)
# The thirty-fifth batch (thirtyfifth.py, thirtyfifth_store.py), blind like the tenth to
# thirty-fourth: kept apart from DEFECTS, measured by name; committed before the suite was run
# on it (b54d918). Blind 16/24 (66.7 %) on b54d918 (every catch by the variant's own defect; the
# misses: an empty extract's ExtractId named again, LinkageKind delta × a 全件 AsOf, a RequestId
# retry with another AsOf or minutes later, two changes of one resident with one 異動連番 in a
# notice, a multi-change notice dated back, two restarts — a watermark after a multi-change
# notice, a notice stamped ahead of the clock delivered again); its record is thirtyfifth.py's
# docstring, its misses thirtyfifth.THIRTYFIFTH_MEASURED_MISSES.
THIRTYFIFTH_BATCH = frozenset(THIRTYFIFTH_DEFECTS)
# The thirty-sixth batch (thirtysixth.py, thirtysixth_store.py), blind like the tenth to
# thirty-fifth: kept apart from DEFECTS, measured by name; committed before the suite was run
# on it (95ca539). Blind 21/23 (91.3 %) on 95ca539 (every catch by the variant's own defect; the
# misses: a RequestId from another municipality's system of the same SystemId, a kill right after
# a 外国人住民's notice); its record is thirtysixth.py's docstring, its misses
# thirtysixth.THIRTYSIXTH_MEASURED_MISSES.
THIRTYSIXTH_BATCH = frozenset(THIRTYSIXTH_DEFECTS)
# The thirty-seventh batch (thirtyseventh.py, thirtyseventh_store.py), blind like the tenth to
# thirty-sixth: kept apart from DEFECTS, measured by name; committed before the suite was run on
# it (1b58238). Blind 18/22 (81.8 %) on 1b58238 (every catch by the variant's own defect; the
# misses: a tab right before the Content-Type's ';', a Sender of the provider's own SystemId, a
# change dated before 2015-10-05 carrying a 個人番号, a restart × an equal 異動連番 beyond 2⁵³); its
# record is thirtyseventh.py's docstring, its misses
# thirtyseventh.THIRTYSEVENTH_MEASURED_MISSES.
THIRTYSEVENTH_BATCH = frozenset(THIRTYSEVENTH_DEFECTS)
# The thirty-eighth batch (thirtyeighth.py, thirtyeighth_store.py), blind like the tenth to
# thirty-seventh: kept apart from DEFECTS, measured by name; committed before the suite was run on
# it (53bfd4d). Blind 20/24 (83.3 %) on 53bfd4d (every catch by the variant's own defect; the
# misses: a 外国人住民 × a 旧氏, a Sender of a 政令市's 行政区, a 外国人住民 × a change dated before
# 2012-07-09); its record is thirtyeighth.py's docstring, its misses
# thirtyeighth.THIRTYEIGHTH_MEASURED_MISSES.
THIRTYEIGHTH_BATCH = frozenset(THIRTYEIGHTH_DEFECTS)
# The thirty-ninth batch (thirtyninth.py, thirtyninth_store.py), blind like the tenth to
# thirty-eighth: kept apart from DEFECTS, measured by name; committed before the suite was run on
# it (dcad26e). Blind 16/26 (61.5 %) on dcad26e (every catch by the variant's own defect; the
# misses: a finding's Path on a schema-invalid header, an empty Body, a RequestId × a Sender
# differing in case, a date on a day Japan's 1948–1951 summer time skipped midnight, a page request
# stamped before its snapshot, a SentAt of second 60 by chance, a standby publisher × a restart);
# its record is thirtyninth.py's docstring, its misses thirtyninth.THIRTYNINTH_MEASURED_MISSES.
THIRTYNINTH_BATCH = frozenset(THIRTYNINTH_DEFECTS)
# The fortieth batch (fortieth.py, fortieth_store.py), blind like the tenth to thirty-ninth: kept
# apart from DEFECTS, measured by name; committed before the suite was run on it (0b2f325). Blind
# 13/24 (54.2 %) on 0b2f325 (every catch by the variant's own defect; the misses: a SOAP 1.2 rule
# fault's Subcode with an unbound prefix, a later page × another Receiver, Transfer-Encoding
# Chunked in capitals, a later page × another UserId, a legacy charset label answered with a
# server fault, the HTTP Date field nine hours ahead, snapshots expiring 5 minutes after they were
# made); its record is fortieth.py's docstring, its misses fortieth.FORTIETH_MEASURED_MISSES.
FORTIETH_BATCH = frozenset(FORTIETH_DEFECTS)
# The forty-first batch (fortyfirst.py, fortyfirst_store.py), blind like the tenth to fortieth:
# kept apart from DEFECTS, measured by name; committed before the suite was run on it (3ef9301).
# Blind 21/25 (84.0 %) on 3ef9301 (every catch by the variant's own defect; the misses: a large
# answer with both Content-Length and Transfer-Encoding, a fault quoting a request's undecodable
# bytes, a provider's SentAt kept per kept-alive connection); its record is fortyfirst.py's
# docstring, its misses fortyfirst.FORTYFIRST_MEASURED_MISSES.
FORTYFIRST_BATCH = frozenset(FORTYFIRST_DEFECTS)
# The forty-second batch (fortysecond.py, fortysecond_store.py), blind like the tenth to
# forty-first: kept apart from DEFECTS, measured by name; committed before the suite was run on
# it (8a094c2). Blind 13/25 (52.0 %) on 8a094c2 (every catch by the variant's own defect; the
# misses: a schema finding's Line counted from 0, an Envelope without soap:Header, white space
# before the XML declaration, an inquiry with both keys, a Content-Length with a leading zero, a
# chunk boundary inside a character, a page asked again after 30 s, a chunked notice × a kill);
# its record is fortysecond.py's docstring, its misses fortysecond.FORTYSECOND_MEASURED_MISSES.
FORTYSECOND_BATCH = frozenset(FORTYSECOND_DEFECTS)
# The forty-third batch (fortythird.py, fortythird_store.py), blind like the tenth to
# forty-second: kept apart from DEFECTS, measured by name; committed before the suite was run on
# it (259de56). Blind 14/24 (58.3 %) on 259de56 (every catch by the variant's own defect; the
# misses: an A04 of a resident not held, a Path on a not-well-formed message's finding, a 世帯番号
# as an inquiry's key, Transfer-Encoding × Content-Length, non-ASCII digits in an integer,
# references to surrogates, a provider's answer in the first second of a minute); its record is
# fortythird.py's docstring, its misses fortythird.FORTYTHIRD_MEASURED_MISSES.
FORTYTHIRD_BATCH = frozenset(FORTYTHIRD_DEFECTS)
# The forty-fourth batch (fortyfourth.py, fortyfourth_store.py), blind like the tenth to
# forty-third: kept apart from DEFECTS, measured by name; committed before the suite was run on
# it (a3e5d82). Blind 20/25 (80.0 %) on a3e5d82 (every catch by the variant's own defect, the two
# night variants by the hour of the run; the misses: a change of a held resident's 住民種別, two
# requests pipelined on one connection, a request asking its connection closed, a byte order mark
# after the XML declaration); its record is fortyfourth.py's docstring, its misses
# fortyfourth.FORTYFOURTH_MEASURED_MISSES.
FORTYFOURTH_BATCH = frozenset(FORTYFOURTH_DEFECTS)
# The forty-fifth batch (fortyfifth.py, fortyfifth_store.py), blind like the tenth to
# forty-fourth: kept apart from DEFECTS, measured by name; committed before the suite was run on
# it (756cac1). Blind 19/25 (76.0 %) on 756cac1 (every catch by the variant's own defect, one on a
# notice the suite sent to be refused for another rule; the misses: a rule finding's Path with a
# position on every step, a chunk-size in capitals on an inquiry, an inquiry by 個人番号 from a unit
# outside the vendor's list, a RequestId named as ExtractId, a 修正 of a removed resident × a
# kill); its record is fortyfifth.py's docstring, its misses fortyfifth.FORTYFIFTH_MEASURED_MISSES.
FORTYFIFTH_BATCH = frozenset(FORTYFIFTH_DEFECTS)
# The forty-sixth batch (fortysixth.py, fortysixth_store.py), blind like the tenth to forty-fifth:
# kept apart from DEFECTS, measured by name; committed before the suite was run on it
# (4cb25e3). Blind 18/25 (72.0 %) on 4cb25e3 (every catch by the variant's own defect; the
# misses: a rule finding's Path in a message of a default namespace, an answer labelled from the
# Accept field, a header field holding non-ASCII octets, the two shadowed IVS rows of MJ059399 and
# MJ059400); its record is fortysixth.py's docstring, its misses
# fortysixth.FORTYSIXTH_MEASURED_MISSES.
FORTYSIXTH_BATCH = frozenset(FORTYSIXTH_DEFECTS)
# The forty-seventh batch (fortyseventh.py, fortyseventh_store.py), blind like the tenth to
# forty-sixth: kept apart from DEFECTS, measured by name; committed before the suite was run on it
# (401ed71). Blind 18/19 measured runs (94.7 %; 18/25 at least) on d65d85e: both invocations of the
# measurement timed out, six runs of its slow variants unreported (fortyseventh.
# FORTYSEVENTH_UNMEASURED); every catch by the variant's own defect; the miss: a bad check digit in
# an inquiry with a 基準日. Its record is fortyseventh.py's docstring, its misses
# fortyseventh.FORTYSEVENTH_MEASURED_MISSES.
FORTYSEVENTH_BATCH = frozenset(FORTYSEVENTH_DEFECTS)
# The forty-eighth batch (fortyeighth.py, fortyeighth_store.py), blind like the tenth to
# forty-seventh: kept apart from DEFECTS, measured by name; committed before the suite was run on
# it (4c4a8ad). Blind 19/26 (73.1 %) on ca49ce0 (merged as dd7ef1c; every catch by the variant's
# own defect; the misses: a 基準日 × a 宛名番号 of another length, UTF-16 × the rules beyond XSD, a
# request addressed to the hub's SystemId, HTTP/1.0 × keep-alive, a page past the end stamped
# with its snapshot's time); its record is fortyeighth.py's docstring, its misses
# fortyeighth.FORTYEIGHTH_MEASURED_MISSES.
FORTYEIGHTH_BATCH = frozenset(FORTYEIGHTH_DEFECTS)
# every batch kept apart from DEFECTS, in order; a name is in one of them only
# (test_conformance_independent.py)
BATCHES_APART: tuple[dict[str, tuple[int, tuple[str, ...], str]], ...] = (
    TENTH_DEFECTS, ELEVENTH_DEFECTS, TWELFTH_DEFECTS, THIRTEENTH_DEFECTS, FOURTEENTH_DEFECTS,
    FIFTEENTH_DEFECTS, SIXTEENTH_DEFECTS, SEVENTEENTH_DEFECTS, EIGHTEENTH_DEFECTS,
    NINETEENTH_DEFECTS, TWENTIETH_DEFECTS, TWENTYFIRST_DEFECTS, TWENTYSECOND_DEFECTS,
    TWENTYTHIRD_DEFECTS, TWENTYFOURTH_DEFECTS, TWENTYFIFTH_DEFECTS, TWENTYSIXTH_DEFECTS,
    TWENTYSEVENTH_DEFECTS, TWENTYEIGHTH_DEFECTS, TWENTYNINTH_DEFECTS, THIRTIETH_DEFECTS,
    THIRTYFIRST_DEFECTS, THIRTYSECOND_DEFECTS, THIRTYTHIRD_DEFECTS, THIRTYFOURTH_DEFECTS,
    THIRTYFIFTH_DEFECTS, THIRTYSIXTH_DEFECTS, THIRTYSEVENTH_DEFECTS, THIRTYEIGHTH_DEFECTS,
    THIRTYNINTH_DEFECTS, FORTIETH_DEFECTS, FORTYFIRST_DEFECTS, FORTYSECOND_DEFECTS,
    FORTYTHIRD_DEFECTS, FORTYFOURTH_DEFECTS, FORTYFIFTH_DEFECTS, FORTYSIXTH_DEFECTS,
    FORTYSEVENTH_DEFECTS, FORTYEIGHTH_DEFECTS,
)
APART: dict[str, tuple[int, tuple[str, ...], str]] = {
    name: declared for batch in BATCHES_APART for name, declared in batch.items()}

ALTERNATIVES: dict[str, str] = {
    "other-prefixes": "SOAP prefix S, body prefixes r and c",
    "default-namespace": "the body's unit namespace as the default namespace",
    "pretty-print": "indented XML",
    "no-declaration": "no XML declaration (UTF-8 by default)",
    "character-references": "US-ASCII with character references (&#x20BB7;)",
    "utf-16": "UTF-16 with a BOM, charset=utf-16",
    "cdata": "non-ASCII text in CDATA sections",
    "chunked": "chunked transfer encoding",
    "http10": "HTTP/1.0 answers, the connection closed",
    "japanese-fault-text": "fault strings in Japanese (xml:lang ja)",
    "cached-resend": "a resent inquiry answered with the cached first answer (same reply "
                     "MessageId; a subscriber receipts a resent notice anew: duplicate)",
    "extra-header-block": "a vendor header block beside pfh:PlatformHeader",
    "header-must-understand": "the reply's pfh:PlatformHeader marked mustUnderstand (SOAP allows "
                              "its attributes on any header block)",
    "no-charset": "Content-Type without a charset parameter",
    # round 15b: SOAP 1.2 Part 1 §5's SHOULD, which README and P-EQUIV-01 now allow
    "processing-instruction-fault": "a message holding a processing instruction refused with a "
                                    "Sender fault (PF-SOAP-ENVELOPE, soap:processing-instruction)",
}

# Measured only (not in the asserted VARIANTS): the fourth batch, blind 26/40 (all variants
# 85.5 %); after the cases added for its misses 37/40, all variants 117/124 = 94.4 % — still
# below 95 % (docs/conformance-testing.md). The fifth batch, blind 26/39; after the round-5 cases 38/39,
# fourth 40/40, all variants 158/163 = 96.9 % (after the fact). Their detection is asserted as a
# floor: a variant caught must stay caught; this one is still missed.
# The sixth batch, landed (f9a208d) before the suite was first run on it: blind 23/38; its 15
# misses re-run on 475f29e (S-GRID-01, P-EQUIV-01/S-EQUIV-01 added by others): 33/38
# (docs/conformance-testing.md); 38/38 on abc6bb4 (INV-BIND-04, INV-MSG-10's clock, the settled notice
# rules), after the fact. The seventh batch (fe13af7), landed before the suite was run on it:
# blind 42/46 (91.3 %); 45/46 on abc6bb4; its last miss (check-digit-as-schema-invalid) is what
# P-FAULT-08 was then written for (c1a0dba). The eighth batch (d44e893), landed before the
# suite was run on it: blind 32/50 (64.0 %) on 2bf114f; 41/50 (82.0 %) on bb0e21d after the
# round-8 cases (P-FAULT-09, S-ATOM-01, S-ORD-03, S-CHR-04, J-FULL-09, P-SOAP-05: after the fact);
# its misses left are below.
# The ninth batch (ninth.py, e8c4f7e), landed before the suite was run on it: blind 22/46
# (47.8 %) on e8c4f7e; its misses are ninth.NINTH_MEASURED_MISSES.
MEASURED_ONLY = FOURTH_BATCH | FIFTH_BATCH | SIXTH_BATCH | SEVENTH_BATCH | EIGHTH_BATCH | \
    NINTH_BATCH
# The measured-only variants allowed to be missed: the eighth batch's blind misses (classes in
# docs/conformance-testing.md: values at the XSD's edges, fault details, an echo checked with one value,
# notice semantics, paging per request, a subscriber's code page); fault details, notice
# semantics, paging per request and the code page are caught since round 8, values at the
# edges of their types and the one-value echo since P-EDGE-01/02 and S-EDGE-01/02 (generated by
# conformance/edges.py; 43/50 on the batch before round 8), and
# soap12-fault-reason-without-lang since INV-SOAP-04 judges a fault's SOAP structure (after the
# fact). Any other miss fails the measurement. (soap12-ack-before-commit
# was allowed to be, caught only by a race, until S-DUR-01…03 ran once per binding: caught 5
# times of 5 by all three.)
MEASURED_MISSES: frozenset[tuple[str, str]] = frozenset() | NINTH_MEASURED_MISSES

ALL_VARIANTS = [(name, role) for name, (_, roles, _) in DEFECTS.items() for role in roles]
VARIANTS = [(name, role) for name, role in ALL_VARIANTS if name not in MEASURED_ONLY]
PROFILE = {"provider": "juki.provider", "subscriber": "kojinjuminzei.subscriber"}
INTEROP = {"provider": "interop.juki.provider", "subscriber": "interop.kojinjuminzei.subscriber"}
SYSTEM_ID = {"provider": "indie-juki", "subscriber": "indie-tax"}
