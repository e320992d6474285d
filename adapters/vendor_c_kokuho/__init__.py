"""Vendor C: a national health insurance system (国民健康保険システム) in its own native layout.

A fictional vendor product: its 被保険者 table keeps カナ氏名 in half-width katakana ("ｿｳﾑ ｼｮｳｺ"),
漢字氏名, the address as one line with 丁目 in full-width digits ("霞が関２丁目"), and the
qualification (資格) with its own codes. ``service`` answers 資格照会 (kokuho.QualificationInquiry);
``notices`` applies 住民基本台帳's 異動通知 once each (転入 → 資格取得候補, 転出・死亡 → 資格喪失…).
"""
