"""The DTD check every XML entry point runs before lxml: what it refuses, in which encodings,
and what it lets through (lxml then parses it)."""

from __future__ import annotations

import io

import pytest
from lxml import etree

from engine.core.xml_safety import DTD_REFUSED, PROLOG_BYTES, refusal, stream_refusal

ROOT = "<racine><titre>Électricien</titre></racine>"
EXTERNAL = '<!DOCTYPE racine [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
BOMB = (
    "<!DOCTYPE racine ["
    + '<!ENTITY lol0 "lollollollollollollollollollol">'
    + "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
    + "]>"
)


def document(prolog: str, encoding: str = "UTF-8", reference: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n{prolog}'
        f"<racine><titre>Électricien{reference}</titre></racine>"
    )


HOSTILE = {
    "entity bomb": document(BOMB, reference="&lol9;").encode(),
    "external entity": document(EXTERNAL, reference="&xxe;").encode(),
    "lowercase doctype": document("<!doctype racine>").encode(),
    "after a comment and a PI": document(
        '<!-- exporté par un autre outil -->\n<?xml-stylesheet href="x.xsl"?>\n' + EXTERNAL,
        reference="&xxe;",
    ).encode(),
    "UTF-16 with its mark": document(EXTERNAL, "UTF-16", "&xxe;").encode("utf-16"),
    "UTF-16 big-endian without a mark": document(EXTERNAL, "UTF-16", "&xxe;").encode("utf-16-be"),
    "UTF-16 little-endian without a mark": document(EXTERNAL, "UTF-16", "&xxe;").encode(
        "utf-16-le"
    ),
    "UTF-32": document(EXTERNAL, "UTF-32", "&xxe;").encode("utf-32"),
    "UTF-8 mark": b"\xef\xbb\xbf" + document(EXTERNAL, reference="&xxe;").encode(),
    "ISO-8859-1": document(EXTERNAL, "ISO-8859-1", "&xxe;").encode("latin-1"),
    "EBCDIC": document(EXTERNAL, "IBM037", "&xxe;").encode("cp037"),
    # In UTF-7 `<` may be written +ADw-: only a reading in the declared encoding sees it.
    "UTF-7": b'<?xml version="1.0" encoding="UTF-7"?>'
    + b'+ADw-!DOCTYPE racine +AFs-+ADw-!ENTITY x "y"+AD4AXQA+-<racine>&x;</racine>',
    "UTF-8 declared, UTF-16 after the declaration": b'<?xml version="1.0" encoding="UTF-16"?>'
    + (EXTERNAL + "<racine/>").encode("utf-16"),
    "an entity without a DOCTYPE": f'{ROOT[:-9]}<!ENTITY x "y"></racine>'.encode(),
    "a parameter-entity DOCTYPE with spaces": b"\n\n  <!DOCTYPE racine SYSTEM 'http://x/d.dtd'>"
    + ROOT.encode(),
}


@pytest.mark.parametrize("data", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_dtd_is_refused_in_any_encoding(data: bytes) -> None:
    assert refusal(data) == DTD_REFUSED
    assert stream_refusal(io.BytesIO(data)) == DTD_REFUSED


HARMLESS = {
    "no declaration": ROOT.encode(),
    "declaration": document("").encode(),
    "comments and PIs": document("<!-- <!DOCTYPE x> in a comment -->\n<?pi <!DOCTYPE?>\n").encode(),
    "the word in the text": document("").replace("Électricien", "&lt;!DOCTYPE x&gt;").encode(),
    "CDATA naming it": document("").replace("Électricien", "<![CDATA[<!DOCTYPE x>]]>").encode(),
    "UTF-16": document("", "UTF-16").encode("utf-16"),
    "ISO-8859-1": document("", "ISO-8859-1").encode("latin-1"),
    "UTF-8 mark": b"\xef\xbb\xbf" + document("").encode(),
}


@pytest.mark.parametrize("data", HARMLESS.values(), ids=HARMLESS.keys())
def test_documents_without_a_dtd_pass_and_lxml_reads_them(data: bytes) -> None:
    assert refusal(data) is None
    assert stream_refusal(io.BytesIO(data)) is None
    parsed = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False))
    assert parsed.tag == "racine"


def test_an_unknown_encoding_cannot_be_checked() -> None:
    data = document(EXTERNAL, "X-INCONNU", "&xxe;").encode()
    assert (
        refusal(data)
        == "encodage «\u00a0X-INCONNU\u00a0» inconnu, le fichier ne peut pas être vérifié"
    )
    # Python codecs that are not text encodings, or that cannot replace what they cannot read.
    for codec in ("base64", "idna"):
        assert refusal(document("", codec).encode()) == (
            f"encodage «\u00a0{codec}\u00a0» inconnu, le fichier ne peut pas être vérifié"
        )


def test_a_stream_is_read_up_to_its_root_and_put_back() -> None:
    body = "<FICHE>x</FICHE>" * (PROLOG_BYTES // 8)  # several times the prolog's budget
    stream = io.BytesIO(document("").replace(ROOT, f"<FICHES>{body}</FICHES>").encode())
    stream.seek(0)
    assert stream_refusal(stream) is None
    assert stream.tell() == 0
    stream.seek(5)
    stream_refusal(stream)
    assert stream.tell() == 5


def test_a_prolog_longer_than_the_budget_is_refused() -> None:
    comment = f"<!-- {'x' * PROLOG_BYTES} -->"
    long = document(comment + EXTERNAL, reference="&xxe;").encode()
    assert stream_refusal(io.BytesIO(long)) == (
        "plus de 64 Ko avant l'élément racine, le fichier ne peut pas être vérifié"
    )
    assert refusal(long) == DTD_REFUSED  # whole in memory: read to the end
    assert refusal(document(comment).encode()) is None
