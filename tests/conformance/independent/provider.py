"""The 住民基本台帳 provider of the independent adapter: 住民照会 by 宛名番号 or 個人番号 with 基準日,
全件抽出 paged over a snapshot."""

from __future__ import annotations

import datetime as dt
import math
import uuid

from lxml import etree

from .ninth import as_of_day_via_jst
from .standard import CMN, JST, JUKI, PFH, Refusal


class Provider:
    """Mixed into Adapter (its fields: residents, defect, extracts, extract_requests, lock)."""

    # --- 住民照会 -----------------------------------------------------------------------------------

    def _find(self, body):
        number = self._twelfth_key(body, body.findtext(f"{{{JUKI}}}AddresseeNumber"))
        self._fifteenth_key(number, self.ninth.get("current"))
        by_individual_number = number is None
        if number is None:
            mynumber = self._fortyeighth_individual_number(
                body.findtext(f"{{{JUKI}}}IndividualNumber"))
            if self.defect == "individual-number-leading-zero":  # kept as a number
                mynumber = str(int(mynumber))
            if self.defect == "individual-number-unsupported":
                raise Refusal("VENDOR-UNSUPPORTED", "provider", "個人番号 not supported")
            number = next((n for n, r in self.residents.items()
                           if r.findtext(f"{{{CMN}}}IndividualNumber") == mynumber), None)
            if number is None and self.defect == "unknown-individual-number-fault":
                raise Refusal("VENDOR-NOT-FOUND", "provider", "no such 個人番号")
        if self.defect == "addressee-number-short-refused" and not by_individual_number and \
                len(number) != 10:  # the vendor's 宛名番号 column: CHAR(10)
            raise Refusal("VENDOR-NUMBER", "client", "宛名番号 must have 10 digits")
        if self.defect == "addressee-number-compared-as-integer" and not by_individual_number \
                and number:  # a NUMBER column: 00000010014 = 0000010014
            number = next((n for n in self.residents if int(n) == int(number)), number)
        number = self._fortyeighth_key(body, number, by_individual_number)
        resident = self.residents.get(number or "")
        resident = self._eleventh_found(resident, by_individual_number)
        resident = self._fifteenth_found(resident)
        resident = self._thirtysecond_found(resident, by_individual_number)
        if self.defect == "removed-residents-not-found" and resident is not None and \
                resident.findtext(f"{{{CMN}}}ResidentStatus") != "1":  # WHERE 住民状態 = '1'
            resident = None
        as_of = body.findtext(f"{{{JUKI}}}AsOf")
        if self.defect == "as-of-ignored-by-individual-number" and by_individual_number:
            as_of = None  # the 個人番号 lookup path forgot the 基準日
        as_of = self._twentyfifth_as_of(as_of)
        self._check_as_of(as_of)
        if as_of and self.defect == "as-of-future-refused" and \
                as_of[:10] > dt.date.today().isoformat():
            raise Refusal("VENDOR-AS-OF", "client", "基準日 in the future")
        resident = self._thirtysixth_found(resident, by_individual_number, as_of)
        self._fortysixth_as_of_checked(resident, as_of)
        if resident is not None and as_of and not self._lived_here(resident, as_of):
            resident = None
        return resident

    def _check_as_of(self, as_of: str | None) -> None:
        if as_of:
            self._eighth_as_of(as_of)
            self._fifteenth_as_of(as_of)
            self._eleventh_as_of(as_of)
            self._sixteenth_as_of(as_of)
            self._twentyseventh_as_of(as_of)
        if as_of and self.defect == "as-of-with-timezone-refused" and len(as_of.strip()) != 10:
            raise Refusal("VENDOR-DATE", "client", "基準日 must be yyyy-mm-dd")

    def _lived_here(self, resident, as_of: str) -> bool:
        since = resident.findtext(f"{{{CMN}}}BecameResidentOn")
        if self.defect == "as-of-compared-with-birth":  # the neighbouring date column
            since = resident.findtext(f"{{{CMN}}}DateOfBirth")
        if self.defect == "as-of-exclusive":  # only residents who came after the 基準日
            return since is not None and since > as_of[:10]
        day = as_of[:10]
        day = self._fourteenth_day(day)
        day = self._sixteenth_day(day)
        day = self._seventeenth_day(day)
        day = self._fortysixth_day(day)
        if (special := self._fortyfourth_lived_here(day)) is not None:
            return special
        if (special := self._thirteenth_lived_here(since, day)) is not None:
            return special
        if (special := self._eighteenth_lived_here(since, day)) is not None:
            return special
        if (special := self._nineteenth_lived_here(since, day)) is not None:
            return special
        if (special := self._twentyfirst_lived_here(since, day)) is not None:
            return special
        if self.defect == "as-of-offset-converted-to-jst":  # a ZonedDateTime at the offset
            day = as_of_day_via_jst(as_of)
        if self.defect == "as-of-via-utc-day-early":  # JST midnight stored as a UTC date
            day = (dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), JST)
                   .astimezone(dt.timezone.utc).date().isoformat())
        if self._eleventh_moving_day_excluded(since, day):
            return False
        return since is None or since <= day

    def _inquiry(self, header, body, soap):
        self._fortyseventh_inquiry(body)
        resident = self._twelfth_find(body)
        out = etree.Element(f"{{{JUKI}}}ResidentInquiryResponse", nsmap=self._nsmap())
        status = etree.SubElement(out, f"{{{JUKI}}}Status")
        if resident is None:
            self._tenth_not_found(soap, header.findtext(f"{{{PFH}}}MessageId"))
            self._fortysixth_not_found()
            status.text = "not-found"
            if self._thirteenth_found_empty(body):
                status.text = "found"
                return out
            if self.defect == "not-found-extra-element":
                etree.SubElement(out, f"{{{JUKI}}}Reason").text = "no such resident"
            return out
        status.text = "found"
        out.append(self._copy(resident, f"{{{JUKI}}}Resident"))
        household = etree.SubElement(out, f"{{{JUKI}}}Household")
        number = resident.findtext(f"{{{CMN}}}HouseholdNumber")
        as_of = self._twentyfifth_as_of(  # the household as it was that day too
            body.findtext(f"{{{JUKI}}}AsOf"))
        member_as_of = self._nineteenth_member_as_of(self._thirteenth_member_as_of(as_of),
                                                     resident)
        members = sorted((r for r in self.residents.values()
                          if r.findtext(f"{{{CMN}}}HouseholdNumber") == number
                          # the answered resident is a member even when a variant found them
                          # without the 基準日 (else no head: IndexError)
                          and (r is resident or not member_as_of
                               or self._lived_here(r, member_as_of))),
                         key=lambda r: (r.findtext(f"{{{CMN}}}Relationship") != "01",
                                        r.findtext(f"{{{CMN}}}AddresseeNumber")))
        etree.SubElement(household, f"{{{CMN}}}HouseholdNumber").text = \
            str(int(number)) if self.defect == "household-number-as-integer" else number
        head = resident if self.defect == "head-name-of-requested" else members[0]
        if self.defect == "head-name-of-oldest-member":  # "the head is the eldest"
            head = min(members, key=lambda r: r.findtext(f"{{{CMN}}}DateOfBirth"))
        head_name = self._copy(head.find(f"{{{CMN}}}Name"), f"{{{CMN}}}HeadName")
        if self.defect == "head-name-nonbmp-degraded":
            for t in head_name.iter(f"{{{CMN}}}Text"):
                t.text = t.text.replace("\U00020BB7", "吉")
        household.append(head_name)
        if not (self.defect == "single-household-no-member" and len(members) == 1):
            for m in members:
                if self.defect == "members-exclude-requested" and m is resident:
                    continue  # "the others in the household"
                if self.defect == "household-members-active-only" and \
                        m.findtext(f"{{{CMN}}}ResidentStatus") != "1":  # the view: 住民 only
                    continue
                member = self._copy(m, f"{{{CMN}}}Member")
                if self.defect == "member-kana-dropped":  # members read from a table without
                    for kana in list(member.iter(f"{{{CMN}}}Kana")):  # readings
                        kana.getparent().remove(kana)
                if self.defect == "member-ivs-stripped":
                    for t in member.iter(f"{{{CMN}}}Text"):
                        t.text = "".join(c for c in t.text if not 0xE0100 <= ord(c) <= 0xE01EF)
                household.append(member)
        if self.defect == "by-individual-number-number-omitted" and \
                body.find(f"{{{JUKI}}}IndividualNumber") is not None:  # "they have it already"
            for el in list(out.iter(f"{{{CMN}}}IndividualNumber")):
                el.getparent().remove(el)
        self._tenth_inquiry_answer(body, out)
        self._thirtyseventh_inquiry_answer(body, out)
        self._fortyseventh_inquiry_answer(body, out)
        self._fortyeighth_inquiry_answer(body, out, resident)
        return out

    # --- 全件抽出 -----------------------------------------------------------------------------------

    def _extract(self, header, body, soap):
        if (cached := self._twelfth_cached_page(body)) is not None:
            return cached
        self._fortyseventh_extract(body)
        size = self._nineteenth_page_size(
            body, self._tenth_page_size(int(body.findtext(f"{{{JUKI}}}PageSize"))))
        if self.defect == "page-size-capped-at-5":  # the vendor's own page limit, silently
            size = min(size, 5)
        if self.defect == "page-size-max-refused" and size >= 1000:  # "< 1000" for "≤ 1000"
            raise Refusal("VENDOR-PAGE-SIZE", "client", "PageSize too large",
                          [("extract:page_size", f"{size}")],
                          header.findtext(f"{{{PFH}}}MessageId"))
        self._fortysixth_page_size(size)
        page = int(body.findtext(f"{{{JUKI}}}Page"))
        if self.defect == "page-int32-overflow" and page > 2**31 - 1:  # Integer.parseInt
            raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the page cannot be read",
                          [("vendor:page", "NumberFormatException")],
                          header.findtext(f"{{{PFH}}}MessageId"))
        page = self._sixteenth_page(body, page)
        extract_id = body.findtext(f"{{{JUKI}}}ExtractId")
        self._nineteenth_extract_id(extract_id, header.findtext(f"{{{PFH}}}MessageId"))
        if self.defect == "extract-first-page-rebuilt" and page == 1:  # "page 1 starts one"
            extract_id = None
        extract_id = self._twelfth_racy_first(header, body, extract_id)
        extract_id = self._twentyfifth_extract_id(extract_id)
        with self.lock:
            extract_id = self._fortyfifth_extract_id(extract_id, self.extracts,
                                                     self.extract_requests)
            request_id = body.findtext(f"{{{JUKI}}}RequestId")
            key = (tuple(header.findtext(f"{{{PFH}}}Sender/{{{PFH}}}{n}")
                         for n in ("LocalGovCode", "BusinessUnit", "SystemId")), request_id)
            if self.defect == "extract-request-id-global":  # keyed by RequestId alone
                key = (None, request_id)
            if self.defect == "request-id-case-folded" and request_id is not None:
                key = (key[0], request_id.lower())  # a case-insensitive collation
            if self.defect == "extract-request-id-truncated-32" and request_id is not None:
                key = (key[0], request_id[:32])  # a VARCHAR(32) column
            key, request_id = self._eleventh_request_key(key, request_id, body)
            key = self._fourteenth_request_key(key, body)
            key = self._sixteenth_request_key(key)
            key = self._seventeenth_request_key(key, header)
            key = self._eighteenth_request_key(key, soap)
            key = self._twentythird_request_key(key, header)
            key = self._twentyfourth_request_key(key)
            key = self._thirtyfifth_request_key(key, body)
            key = self._thirtysixth_request_key(key, header)
            key = self._thirtyninth_request_key(key)
            request_id = self._twentyeighth_request_id(request_id)
            if self.defect == "extract-request-id-ignored":
                request_id = None
            if self.defect == "extract-request-id-forgotten-after-later-page" and page > 1:
                for k in [k for k, v in self.extract_requests.items() if v == extract_id]:
                    del self.extract_requests[k]  # "the transfer is under way"
            self._thirteenth_expire_requests()
            if extract_id is None and request_id is not None:
                extract_id = self.extract_requests.get(key)  # the same extract, made once
                self._eleventh_request_reused(key, extract_id)
                self._fortyfifth_request_reused(extract_id)
                self._fortysixth_request_reused(extract_id, request_id)
                self._fortyseventh_request_reused(extract_id)
            if extract_id is None:
                as_of = body.findtext(f"{{{JUKI}}}AsOf")
                if self.defect == "extract-as-of-ignored":
                    as_of = None
                as_of = self._twentyfifth_as_of(self._eighteenth_extract_as_of(as_of))
                self._check_as_of(as_of)
                numbers = sorted(n for n, r in self.residents.items()
                                 if (not as_of or self._lived_here(r, as_of)) and not (
                                     self.defect == "extract-removed-excluded" and  # 住民 only
                                     r.findtext(f"{{{CMN}}}ResidentStatus") != "1"))
                numbers = self._fifteenth_numbers(numbers)
                numbers = self._sixteenth_numbers(numbers)
                numbers = self._twentyeighth_numbers(numbers, as_of)
                numbers = self._thirtyfifth_numbers(numbers, as_of, header)
                extract_id = uuid.uuid4().hex
                if self.defect == "extract-id-counter-per-process":  # a sequence in memory
                    extract_id = str(len(self.extracts) + 1)
                extract_id = self._seventeenth_extract_id(extract_id, header)
                self.extracts[extract_id] = numbers
                self._twelfth_snapshot_made(extract_id)
                self._fifteenth_snapshot_made(extract_id, key)
                self._sixteenth_snapshot_made(extract_id)
                self._eighteenth_snapshot_made(extract_id, body)
                if request_id is not None:
                    self.extract_requests[key] = extract_id
                    self._fourteenth_request_kept()
                self._nineteenth_snapshot_made(key, extract_id)
                self._twentythird_snapshot_made(extract_id, as_of)
                self._twentyfifth_snapshot_made(key, request_id)
                self._thirtyeighth_snapshot_made(extract_id, soap)
                self._thirtyninth_snapshot_made(extract_id)
                self._fortieth_snapshot_made(extract_id, header)
                self._fortyfourth_snapshot_made(as_of)
                self._fortysixth_snapshot_made(extract_id, as_of)
                self._fortyeighth_snapshot_made(extract_id, header)
            self._sixteenth_expire(body, extract_id)
            numbers = self._twentythird_snapshot(body, extract_id,
                                                 self.extracts.get(extract_id))
            numbers = self._thirtyfifth_snapshot(body, numbers)
            numbers = self._thirtyeighth_snapshot(extract_id, numbers, soap)
        self._fortyfourth_extract_built()
        if numbers is None and self.defect == "extract-unknown-id-empty-page":
            numbers = []
        if numbers is None:
            raise Refusal("PF-EXTRACT-UNKNOWN",  # "expired: our side"
                          "provider" if self.defect == "extract-unknown-id-party-provider"
                          else "client", "no such extract",
                          [("extract:unknown", extract_id)],
                          header.findtext(f"{{{PFH}}}MessageId"))
        self._fortysecond_page(header, body, extract_id, page)
        if self.defect == "extract-page-size-of-first-request":  # kept with the snapshot
            size = self.eighth.setdefault(("size", extract_id), size)
        out = etree.Element(f"{{{JUKI}}}ResidentFullExtractResponse", nsmap=self._nsmap())
        if self.defect == "extract-id-per-page":
            extract_id = uuid.uuid4().hex
            self.extracts[extract_id] = numbers
        pages = len(numbers) // size if self.defect == "total-pages-floor" \
            else len(numbers) // size + 1 if self.defect == "total-pages-plus-one-when-exact" \
            else math.ceil(len(numbers) / size)
        if self.defect == "empty-extract-one-page":  # "there is always a first page"
            pages = max(pages, 1)
        self._fortyfifth_page(page, pages)
        self._fortyseventh_past_end(body, extract_id, page, pages)
        if self.defect == "page-past-end-fault" and page > max(pages, 1):
            raise Refusal("VENDOR-PAGE", "client", "no such page",
                          [("extract:page", f"page {page} of {pages}")],
                          header.findtext(f"{{{PFH}}}MessageId"))
        if self.defect == "page-past-end-clamped" and pages and page > pages:
            page = pages  # LIMIT/OFFSET clamped to the last page
        count = len(numbers)
        if self.defect == "later-pages-total-count-of-page" and page > 1:
            count = len(numbers[(page - 1) * size:page * size])  # counted on this page
        if self.defect == "total-count-active-only":  # SELECT COUNT(*) … WHERE 住民状態 = '1'
            count = sum(self.residents[n].findtext(f"{{{CMN}}}ResidentStatus") == "1"
                        for n in numbers)
        pages, count = self._tenth_totals(page, pages, count)
        pages, count = self._eleventh_totals(page, pages, count)
        pages, count = self._fifteenth_totals(page, pages, count, size)
        pages, count = self._sixteenth_totals(extract_id, pages, count, size)
        pages, count = self._eighteenth_totals(extract_id, pages, count, size)
        pages, count = self._twentyfifth_totals(pages, count, size)
        pages, count = self._fortyfifth_totals(pages, count)
        for name, value in (("ExtractId", self._fortysixth_answer_extract_id(extract_id)),
                            ("Page", page),
                            ("TotalPages", pages),
                            ("TotalCount", count)):
            etree.SubElement(out, f"{{{JUKI}}}{name}").text = str(value)
        end = page * size + (self.defect == "page-slice-inclusive-end")  # end index inclusive
        start = (page - 1) * size
        if self.defect == "page-index-zero-based":  # OFFSET page * size: page 1 is the second
            start, end = page * size, (page + 1) * size
        if self.defect == "later-pages-ordered-by-kana" and page > 1:  # the next pages' query
            numbers = sorted(numbers, key=lambda n: "".join(  # has ORDER BY カナ氏名
                self.residents[n].find(f"{{{CMN}}}Name/{{{CMN}}}Kana").itertext()))
        start, end = self._fourteenth_cursor(extract_id, start, end)
        start, end = self._fifteenth_slice(start, end, page, pages, len(numbers))
        start, end = self._twentyseventh_slice(page, start, end)
        start, end = self._twentyninth_slice(page, pages, len(numbers), size, start, end)
        start, end = self._fortyfifth_slice(start, end)
        numbers = self._fortysixth_numbers(extract_id, page, numbers)
        for number in self._twelfth_slice(numbers, start, end, page, pages):
            resident = self._copy(self.residents[number], f"{{{JUKI}}}Resident")
            if self.defect == "extract-former-surname-dropped":  # the export's column list
                for former in resident.findall(f"{{{CMN}}}FormerSurname"):
                    resident.remove(former)
            if self.defect == "extract-addressee-number-unpadded":  # a numeric CSV column
                el = resident.find(f"{{{CMN}}}AddresseeNumber")
                el.text = str(int(el.text))
            if page > 1 and self.defect == "later-pages-gender-code-9":
                resident.find(f"{{{CMN}}}Gender").text = "9"
            out.append(resident)
        self._eleventh_page_served(extract_id, page, pages)
        self._nineteenth_page_served(extract_id, page, pages)
        return self._twelfth_page_cache(
            self._fortyeighth_page(body, self._fortyseventh_page(out)), body)
