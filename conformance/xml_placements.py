"""Where else the parts of a message may be placed, and what they may hold (round 22; P-EQUIV-01,
S-EQUIV-01): the document's prolog and epilogue, header blocks the receiver does not know, and
a namespace declaration on each element that uses it.

- XML 1.0 §2.1 and §2.8: ``document ::= prolog element Misc*``, ``prolog ::= XMLDecl? Misc*
  (doctypedecl Misc*)?``, ``Misc ::= Comment | PI | S``; a Comment (§2.5) and a PI (§2.6) hold
  any Char, outside the BMP included, and a PI's target is any Name but ``xml``. The round 11
  ``comment-before-envelope`` form writes one ASCII comment after the declaration: a product
  that reads the bytes before the root element as ASCII (a SOAP version sniffer, a BOM and
  declaration reader) passes it. ``prolog_epilogue`` writes Japanese comments with a character
  beyond the BMP and white space before the root and after it (no PI: SOAP 1.1 §3 forbids
  them, SOAP 1.2 lets a receiver refuse them);
  ``prolog_without_declaration`` the same with no XML declaration (UTF-8 by §4.3.3), so that
  the very first bytes of the document are a non-ASCII comment.
- SOAP 1.1 §4.2, SOAP 1.2 Part 1 §5.2 (a header block is any namespace-qualified element; one
  without mustUnderstand, or with it false, is ignored by a receiver that does not know it):
  ``vendor_blocks_any_content`` puts a vendor's block before the platform header holding names,
  attribute values and text of JIS X 0208 kanji, punctuation and a character beyond the BMP
  (𠮷, U+20BB7), as text, a character reference and CDATA, with a comment inside, and one
  after it marked mustUnderstand "0" (false in both versions' lexical spaces).
- Namespaces in XML 1.0 §6.1 (a declaration is in scope on the element that carries it and its
  content): ``each_element_declares`` removes every declaration below the Envelope and writes
  on each element the one binding its own prefix (and its attributes' prefixes) needs, as .NET
  XmlSerializer and WCF writers do; ``each_element_default`` unprefixes every element below
  the Envelope and declares the default namespace on each element whose namespace differs from
  its parent's. A reader that takes the prefixes of the header block or the payload from that
  element's own declarations reads neither.
"""

from __future__ import annotations

import re

from . import namespace_forms
from .lexical import NotApplicable

# comments only: SOAP 1.1 §3 forbids processing instructions in a message, SOAP 1.2 Part 1 §5
# lets a receiver refuse them (round 15b's pi-in-payload, pi-in-value send those)
_PROLOG = "<!-- 住民記録システム 送信記録 𠮷 髙 ①〜－ -->\n\t \n<!--「異動」-->\n"
_EPILOGUE = "\n<!-- 送信終了 𠮷 -->\n\t<!-- 〜 -->\n"
_DECL = re.compile(r"<\?xml\s[^?]*\?>\s*")
VENDOR_NS = "urn:example:vendor:sousin-kiroku"


def prolog_epilogue(text: str) -> str:
    """Non-ASCII comments after the XML declaration and after the root element."""
    decl = _DECL.match(text)
    if decl is None:
        raise NotApplicable("no XML declaration")
    return text[:decl.end()] + _PROLOG + text[decl.end():].rstrip() + _EPILOGUE


def prolog_without_declaration(text: str) -> str:
    """The same Misc items with no XML declaration: the document starts with a comment."""
    return _DECL.sub("", prolog_epilogue(text), count=1)


def vendor_blocks_any_content(text: str) -> str:
    """A vendor block before the platform header (no mustUnderstand), one after it
    (mustUnderstand "0"), holding non-ASCII names, attribute values and text."""
    start = text.index("<soap:Header>") + len("<soap:Header>")
    end = text.index("</soap:Header>", start)
    before = (f'<v:送信記録 xmlns:v="{VENDOR_NS}" v:担当="𠮷 髙" 番号="①-〜">'
              "𠮷田 髙﨑 ＡＢＣ「」・ー〜<v:備考><![CDATA[<𠮷> & ]]>&#x20BB7;&#134071;"
              "<!-- 𠮷 --></v:備考><v:空/></v:送信記録>")
    after = (f'<v:経路 xmlns:v="{VENDOR_NS}" soap:mustUnderstand="0">'
             "<v:中継>𠮷 中継サーバ ①</v:中継></v:経路>")
    return text[:start] + before + text[start:end] + after + text[end:]


_TAG = re.compile(r"<(/?)([^\s>/!?]+)([^>]*?)(/?)>")
_ATTR_PREFIX = re.compile(r"\s([A-Za-z_][\w.-]*):[\w.-]+\s*=")


def _bindings(text: str) -> dict[str, str]:
    """prefix → namespace below the Envelope (one binding per prefix, or not applicable)."""
    return dict(namespace_forms._one_binding(namespace_forms._declarations(text)))


def _inner(text: str) -> tuple[int, int]:
    start = text.index("<soap:Header")
    return start, text.rindex("</soap:Envelope>")


def each_element_declares(text: str) -> str:
    """Every declaration below the Envelope removed; each element declares its own prefix and
    its attributes' (soap and xml excepted: in scope from the Envelope, bound by definition)."""
    start, end = _inner(text)
    inner = text[start:end]
    bound = _bindings(inner)

    def tag(m: re.Match) -> str:
        close, name, attrs, empty = m.groups()
        if close:
            return m.group(0)
        attrs = namespace_forms._DECLARATION.sub("", attrs)
        prefixes = [name.split(":")[0]] if ":" in name else []
        prefixes += [p for p in _ATTR_PREFIX.findall(attrs) if p not in prefixes]
        decl = "".join(f' xmlns:{p}="{bound[p]}"' for p in prefixes
                       if p not in ("soap", "xml"))
        return f"<{name}{decl}{attrs}{empty}>"
    return text[:start] + _TAG.sub(tag, inner) + text[end:]


def each_element_default(text: str) -> str:
    """Below soap:Header and soap:Body every element unprefixed, in a default namespace declared
    where it differs from the parent's; attributes' prefixes declared on their element."""
    start, end = _inner(text)
    inner = text[start:end]
    bound = _bindings(inner)
    stack: list[str] = []  # the default namespace in force, per open element

    def tag(m: re.Match) -> str:
        close, name, attrs, empty = m.groups()
        prefix, _, local = name.rpartition(":")
        if prefix == "soap":  # Header and Body keep theirs; no default in force on them
            if close:
                stack.pop()
            elif not empty:
                stack.append("")
            return m.group(0)
        if prefix not in bound:
            raise NotApplicable(f"an element of an undeclared prefix {prefix!r}")
        if close:
            stack.pop()
            return f"</{local}>"
        attrs = namespace_forms._DECLARATION.sub("", attrs)
        ns = bound[prefix]
        decl = f' xmlns="{ns}"' if (stack[-1] if stack else "") != ns else ""
        decl += "".join(f' xmlns:{p}="{bound[p]}"' for p in dict.fromkeys(
            _ATTR_PREFIX.findall(attrs)) if p not in ("soap", "xml"))
        if not empty:
            stack.append(ns)
        return f"<{local}{decl}{attrs}{empty}>"
    return text[:start] + _TAG.sub(tag, inner) + text[end:]
