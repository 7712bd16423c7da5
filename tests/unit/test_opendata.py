"""The FICHE format's values and the entry ↔ fiche mapping, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from lxml import etree

from engine.register.opendata.entry import EntryData
from engine.register.opendata.fiche import (
    ValueInvalid,
    date_to_moment,
    moment_to_date,
    parse_bool,
    parse_date,
)
from engine.register.opendata.reading import FicheInvalid, read_fiche
from engine.register.opendata.writing import fiche_xml, write_fiche


def entry(**changes: Any) -> EntryData:
    values: dict[str, Any] = {
        "id": 7,
        "numero": "INV00007",
        "intitule": "Titre",
        "categorie": "C",
        "certificateurs": {"certificateurs": []},
        "autorite_legitime": None,
        "content": {},
        "date_decision": None,
        "debut_validite": None,
        "fin_validite": None,
        "statut": "active",
        "numero_precedent": None,
        "source": "inventaire",
    }
    return EntryData(**(values | changes))


def element(xml: str) -> etree._Element:
    return etree.fromstring(f"<FICHE><NUMERO_FICHE>RS1</NUMERO_FICHE>{xml}</FICHE>")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25/01/2023", date(2023, 1, 25)),
        ("29/02/2024", date(2024, 2, 29)),
        (" 01/12/2026 ", date(2026, 12, 1)),
    ],
)
def test_dates_are_jj_mm_aaaa(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("29/02/2023", "«\u00a029/02/2023\u00a0» n'est pas une date qui existe"),
        ("2023-02-01", "«\u00a02023-02-01\u00a0» n'est pas une date au format JJ/MM/AAAA"),
        ("1/2/2023", "«\u00a01/2/2023\u00a0» n'est pas une date au format JJ/MM/AAAA"),
    ],
)
def test_what_is_not_a_date_is_refused_in_french(text: str, message: str) -> None:
    with pytest.raises(ValueInvalid, match=message):
        parse_date(text)


def test_oui_non() -> None:
    assert parse_bool("Oui") is True and parse_bool("Non") is False
    with pytest.raises(ValueInvalid, match="n'est ni «\u00a0Oui\u00a0» ni «\u00a0Non\u00a0»"):
        parse_bool("oui")


@pytest.mark.parametrize("day", [date(2026, 1, 25), date(2026, 7, 1), date(2026, 3, 29)])
def test_a_calendar_date_survives_its_utc_instant(day: date) -> None:
    moment = date_to_moment(day)
    assert moment.tzinfo is not None
    assert moment_to_date(moment) == day
    assert moment_to_date(moment.replace(tzinfo=None)) == day  # as SQLite gives it back


def test_a_decision_late_in_the_evening_is_dated_in_paris() -> None:
    assert moment_to_date(datetime(2026, 6, 30, 22, 30, tzinfo=UTC)) == date(2026, 7, 1)


def test_nested_values_where_a_value_is_expected_are_refused() -> None:
    with pytest.raises(FicheInvalid) as caught:
        read_fiche(element("<INTITULE>T<B>gras</B></INTITULE>"))
    assert (caught.value.element, caught.value.reason) == (
        "INTITULE",
        "une valeur simple est attendue, pas des sous-éléments",
    )


def test_a_value_twice_in_a_group_is_refused() -> None:
    with pytest.raises(FicheInvalid) as caught:
        read_fiche(
            element(
                "<INTITULE>T</INTITULE><SI_JURY_FI><ACTIF>Oui</ACTIF><ACTIF>Non</ACTIF></SI_JURY_FI>"
            )
        )
    assert caught.value.element == "SI_JURY_FI/ACTIF"


def test_empty_elements_comments_and_unknown_children() -> None:
    fiche = read_fiche(
        element(
            "<INTITULE>T</INTITULE><!-- note --><DATE_DECISION/>"
            "<FORMACODES><FORMACODE><CODE>1</CODE><RANG>2</RANG></FORMACODE><AUTRE/></FORMACODES>"
        )
    )
    assert fiche.date_decision is None
    # An unknown child of a group is kept as it came, after the field it followed.
    assert fiche.content["formacodes"] == [
        {"code": "1", "autres_elements": [{"apres": "CODE", "xml": "<RANG>2</RANG>"}]}
    ]
    # Beside the items of a list: kept too, with its container and the items before it.
    assert fiche.kept == ("FORMACODES/FORMACODE/RANG", "FORMACODES/AUTRE")
    assert fiche.content["autres_elements"] == [
        {"apres": "FORMACODE", "xml": "<AUTRE/>", "dans": "FORMACODES", "rang": 1}
    ]


def children(fiche: etree._Element, tag: str) -> list[str]:
    """The children of a list element of a written fiche, as XML."""
    container = fiche.find(tag)
    assert container is not None, tag
    return [etree.tostring(child, encoding="unicode") for child in container]


def test_what_a_list_holds_beside_its_items_is_written_back_in_place() -> None:
    fiche = read_fiche(
        element(
            "<INTITULE>T</INTITULE>"
            "<ANCIENNES_CERTIFICATIONS>"
            "<ANCIENNE_CERTIFICATION><ID_FICHE_ANCIENNE_CERTIFICATION>RS1"
            "</ID_FICHE_ANCIENNE_CERTIFICATION><FIN>2024</FIN></ANCIENNE_CERTIFICATION>"
            "<ANCIENNE_CERTIFICATION><ID_FICHE_ANCIENNE_CERTIFICATION>RS2"
            "</ID_FICHE_ANCIENNE_CERTIFICATION></ANCIENNE_CERTIFICATION>"
            "<ANCIENNE_CERTIFICATION><FIN>2023</FIN></ANCIENNE_CERTIFICATION>"
            "</ANCIENNES_CERTIFICATIONS>"
            '<FORMACODES><DEBUT/><FORMACODE><CODE>1</CODE></FORMACODE><ENTRE a="1">x</ENTRE>'
            "<ENTRE2/><FORMACODE><CODE>2</CODE></FORMACODE><FIN/></FORMACODES>"
            "<CODES_ROME><SEUL>r</SEUL></CODES_ROME>"
        )
    )
    # The values stay values: an item with a child of its own keeps its number in the list.
    assert fiche.anciennes == ["RS1", "RS2"]
    assert "codes_rome" not in fiche.content
    written = write_fiche(entry(source="import", content=fiche.content))
    assert children(written, "FORMACODES") == [
        "<DEBUT/>",
        "<FORMACODE><CODE>1</CODE></FORMACODE>",
        '<ENTRE a="1">x</ENTRE>',
        "<ENTRE2/>",
        "<FORMACODE><CODE>2</CODE></FORMACODE>",
        "<FIN/>",
    ]
    assert children(written, "ANCIENNES_CERTIFICATIONS") == [
        "<ANCIENNE_CERTIFICATION><ID_FICHE_ANCIENNE_CERTIFICATION>RS1"
        "</ID_FICHE_ANCIENNE_CERTIFICATION><FIN>2024</FIN></ANCIENNE_CERTIFICATION>",
        "<ANCIENNE_CERTIFICATION><ID_FICHE_ANCIENNE_CERTIFICATION>RS2"
        "</ID_FICHE_ANCIENNE_CERTIFICATION></ANCIENNE_CERTIFICATION>",
        "<ANCIENNE_CERTIFICATION><FIN>2023</FIN></ANCIENNE_CERTIFICATION>",
    ]
    # A list holding only what we do not model is written back all the same.
    assert children(written, "CODES_ROME") == ["<SEUL>r</SEUL>"]
    # The same text as lxml's tree of it: writing as text changed nothing.
    assert fiche_xml(entry(source="import", content=fiche.content)) == etree.tostring(
        written, encoding="unicode"
    )


def test_kept_places_written_by_hand_never_break_an_export() -> None:
    content = {
        "formacodes": [{"code": "1"}],
        "autres_elements": [
            {"dans": "FORMACODES", "rang": 7, "xml": "<LOIN/>"},
            {"dans": "FORMACODES", "rang": True, "xml": "<BOOL/>"},
            {"dans": "FORMACODES", "rang": 0, "xml": "<pas du XML"},
            {"dans": "INTITULE", "rang": 0, "xml": "<DANS_UNE_FEUILLE/>"},
            {"dans": "CODES_NSF", "rang": 0, "remplace": True, "xml": "<SEUL/>"},
        ],
    }
    written = write_fiche(entry(content=content))
    assert children(written, "FORMACODES") == [
        "<FORMACODE><CODE>1</CODE></FORMACODE>",
        "<LOIN/>",
        "<BOOL/>",
    ]
    assert children(written, "CODES_NSF") == ["<SEUL/>"]
    assert written.findtext("INTITULE") == "Titre"


def test_odd_stored_values_never_break_an_export() -> None:
    written = write_fiche(
        entry(
            intitule="Titre\x0b avec un caractère de contrôle",
            content={
                "formacodes": ["42103", {"code": "31234"}],
                "date_limite_delivrance": "demain",
                "duree_enregistrement": True,
                "si_jury_fi": "Oui",
                "partenaires": "aucun",
            },
        )
    )
    assert written.findtext("INTITULE") == "Titre avec un caractère de contrôle"
    assert [code.text for code in written.iterfind("FORMACODES/FORMACODE/CODE")] == ["31234"]
    for absent in ("DATE_LIMITE_DELIVRANCE", "DUREE_ENREGISTREMENT", "SI_JURY_FI", "PARTENAIRES"):
        assert written.find(absent) is None, absent
    assert written.findtext("ID_FICHE") == "9000000007"  # ours: never an imported fiche's
    assert written.findtext("ACTIF") == "Oui"


def test_markup_characters_come_back_as_typed() -> None:
    typed = "Gestion & paie <niveau 2>\r\n«\u00a010 %\u00a0»"
    written = write_fiche(entry(intitule=typed, content={"formacodes": [{"code": "1<2"}]}))
    assert written.findtext("INTITULE") == typed
    assert written.findtext("FORMACODES/FORMACODE/CODE") == "1<2"


def test_the_chain_by_number_is_exported_both_ways() -> None:
    written = write_fiche(
        entry(
            numero_precedent="RS1",
            content={"anciennes_certifications": ["RS0"]},
            successors=("INV9",),
        )
    )
    assert [e.text for e in written.iterfind("ANCIENNES_CERTIFICATIONS/*/*")] == ["RS1", "RS0"]
    assert [e.text for e in written.iterfind("NOUVELLES_CERTIFICATIONS/*/*")] == ["INV9"]
