"""The typography rules the page tests apply (tests/typography.py), and the filters that set
numbers and dates in French (engine/core/typography.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from jinja2 import Undefined

from engine.core.typography import (
    NBSP,
    NNBSP,
    date_filter,
    moment_filter,
    number,
    number_filter,
    one_line,
)
from tests.typography import page_faults, text_faults


@pytest.mark.parametrize(
    "text",
    [
        f"Statut{NBSP}: Déposée",
        f"Motifs{NBSP}:",
        f"Recevable{NNBSP}? Oui{NNBSP}! Non{NNBSP}; peut-être",
        f"«{NBSP}Valider{NBSP}»",
        f"article L.{NBSP}335-6 et R.{NBSP}421-1",
        f"35{NNBSP}500 résultats, 2026 certifications, 1000 pièces",
        "à 09:00, le 04/12/2026, INV-2026-00042, RS5078, SIRET 12345678900012",
        "https://exemple.fr/registre?q=x et demandeur@example.org",
        "Le 4 décembre 2026",
        "clé minuterie:12 et 75015 Paris",
    ],
)
def test_french_typography_passes(text: str) -> None:
    assert text_faults(text, "essai") == []


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Statut : Déposée", "espace ordinaire avant « : »"),
        ("Statut: Déposée", "pas d'espace insécable avant « : »"),
        ("Motifs :", "espace ordinaire avant « : »"),
        (f"Statut{NNBSP}: Déposée", "espace ordinaire avant « : »"),
        ("Recevable ?", "espace ordinaire avant « ? »"),
        ("Recevable?", "pas d'espace fine insécable avant « ? »"),
        ("clos ; rien", "espace ordinaire avant « ; »"),
        ("Attention !", "espace ordinaire avant « ! »"),
        (f"«{NBSP}Valider »", "pas d'espace insécable avant « » »"),
        ("article L. 335-6", "article de loi sans « L.\u00a0» et espace insécable"),
        ("article L335-6", "article de loi sans « L.\u00a0» et espace insécable"),
        ("35500 résultats", "nombre sans espace fine entre les milliers"),
        ("35 500 résultats", "milliers séparés par une espace qui n'est pas fine"),
        (f"35{NBSP}500 résultats", "milliers séparés par une espace qui n'est pas fine"),
        ("Séance du 2026-12-04.", "date au format ISO"),
    ],
)
def test_each_fault_is_named(text: str, rule: str) -> None:
    assert [fault.rule for fault in text_faults(text, "essai")] == [rule]


def test_guillemets_take_a_no_break_space_on_each_side() -> None:
    assert sorted(fault.rule for fault in text_faults("« Valider »", "essai")) == [
        "pas d'espace insécable après « « »",
        "pas d'espace insécable avant « » »",
    ]


def test_what_users_typed_is_skipped() -> None:
    typed = "Trop court ! Voir : annexe"
    assert text_faults(f"Motif{NBSP}: {typed}", "essai", [typed]) == []
    assert [fault.rule for fault in text_faults(f"Motif : {typed}", "essai", [typed])] == [
        "espace ordinaire avant « : »"
    ]


def test_pages_are_read_like_a_reader_does() -> None:
    body = (
        "<html><head><title>Courriel : x</title><style>a:hover{}</style></head><body>"
        "<p>Statut<span>&nbsp;:</span> <strong>Déposée</strong></p>"
        "<code>objet: x</code><pre>a : b</pre>"
        '<a title="Page suivante ?" href="/x?y=1">suite</a>'
        '<input type="submit" value="Valider ?"><input type="text" value="typed : x">'
        '<time datetime="2026-12-04T23:30:00+00:00">04/12/2026</time>'
        '<time datetime="2026-12-05T00:30:00+01:00">05/12/2026</time>'
        "</body></html>"
    )
    # The title, the two attributes people read, the moment in UTC (and so the wrong day):
    # not the code, the typed value, the link's address nor the no-break space in a span.
    assert sorted((fault.rule, fault.excerpt) for fault in page_faults(body, "page")) == [
        ("datetime 2026-12-04T23:30:00+00:00 ne dit pas la date lue", "04/12/2026"),
        ("datetime hors de l'heure de Paris", "2026-12-04T23:30:00+00:00"),
        ("espace ordinaire avant « : »", "Courriel : x▯Statut⍽: Déposée▯▯suite04/1"),
        ("espace ordinaire avant « ? »", "Page suivante ?"),
        ("espace ordinaire avant « ? »", "Valider ?"),
    ]


def test_numbers_from_five_digits_get_narrow_no_break_spaces() -> None:
    assert [number(value) for value in (7, 2026, 9999, 10_000, 35_500, 1_250_000, -12_345)] == [
        "7",
        "2026",
        "9999",
        f"10{NNBSP}000",
        f"35{NNBSP}500",
        f"1{NNBSP}250{NNBSP}000",
        f"-12{NNBSP}345",
    ]
    assert number_filter("35500") == f"35{NNBSP}500"
    assert number_filter("environ 30") == "environ 30"
    assert number_filter(Undefined()) == ""


def test_dates_in_words_for_instructions_and_letters() -> None:
    assert date_filter("2026-12-04") == "4 décembre 2026"
    assert date_filter("2027-01-01") == "1er janvier 2027"
    assert date_filter("31/12/2028") == "31 décembre 2028"
    assert date_filter(date(2026, 8, 15)) == "15 août 2026"
    # A moment is read on the Paris day: 23:30 UTC on 4 December is the 5th in Paris.
    assert date_filter("2026-12-04T23:30:00+00:00") == "5 décembre 2026"
    assert date_filter(datetime(2026, 12, 4, 23, 30, tzinfo=UTC)) == "5 décembre 2026"
    assert date_filter("terme du délai") == "terme du délai"
    assert date_filter(Undefined()) == "" and date_filter(None) == ""
    assert moment_filter("2026-12-04T08:00:00+00:00") == "4 décembre 2026 à 9 h 00"
    assert moment_filter("2026-07-04T08:05:00") == "4 juillet 2026 à 10 h 05"  # naive is UTC
    assert moment_filter("2026-12-04") == "4 décembre 2026"


def test_one_line_keeps_the_no_break_spaces() -> None:
    assert one_line(f"  Demande X{NBSP}:\n décision  ") == f"Demande X{NBSP}: décision"
    assert one_line(f"Recevable{NNBSP}?") == f"Recevable{NNBSP}?"
