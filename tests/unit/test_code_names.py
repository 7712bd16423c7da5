"""Names read and written by diagram code, found without running it."""

from __future__ import annotations

import pytest

from engine.definitions.code_names import expression_reads, script_names


@pytest.mark.parametrize(
    ("source", "reads"),
    [
        ('decision == "refus"', {"decision"}),
        ("  avis == 'ajournement'  ", {"avis"}),
        ("duree_en_jours(max((delai or 30) - 7, 1))", {"duree_en_jours", "max", "delai"}),
        ("dossier['categorie'].upper()", {"dossier"}),
        ("[piece for piece in pieces if piece != exclue]", {"pieces", "exclue"}),
        ("{k: v for k, v in notes.items()}", {"notes"}),
        ("sum(x * y for x in a for y in range(x))", {"sum", "a", "range"}),
        ("(lambda n, m=defaut: n + m + borne)(3)", {"defaut", "borne"}),
        ("(total := prix * 2) > plafond and total", {"prix", "plafond"}),
        ("any((vu := x) for x in valeurs) and vu", {"any", "valeurs"}),
        ('"texte ? avec un point"', set()),
    ],
)
def test_an_expression_reads_its_free_names_only(source: str, reads: set[str]) -> None:
    assert expression_reads(source) == reads


@pytest.mark.parametrize("source", ["decision == ", "import os", "", "x" * 30_000])
def test_code_that_does_not_parse_reads_nothing(source: str) -> None:
    assert expression_reads(source) == frozenset()
    assert script_names(source).reads == frozenset()


@pytest.mark.parametrize(
    ("script", "reads", "stores"),
    [
        ("tours = 0\ntours = tours + 1", set(), {"tours"}),
        ("tours = tours + 1", {"tours"}, {"tours"}),
        ("tours += 1", {"tours"}, {"tours"}),
        ("a, (b, c) = valeurs\nd = a + b + c", {"valeurs"}, {"a", "b", "c", "d"}),
        ("total = 0\nfor x in montants:\n    total += x", {"montants"}, {"total", "x"}),
        ("if urgent:\n    delai = 7\nelse:\n    delai = 30\nfin = delai", {"urgent"}, None),
        ("dossier['statut'] = etat", {"dossier", "etat"}, set()),
        ("while n < 3:\n    n = 1", {"n"}, {"n"}),
        ("try:\n    v = 1 / d\nexcept ZeroDivisionError as e:\n    v = 0\nw = e", None, None),
        ("def f(p):\n    return p + k\nk = 1\nr = f(2)", set(), {"f", "k", "r"}),
        ("def f():\n    q = 1\n    return q + absente", {"absente"}, {"f"}),
        ("carres = [c * c for c in cotes]", {"cotes"}, {"carres"}),
        ("del ancien", {"ancien"}, set()),
        ("x: int = 1", {"int"}, {"x"}),
    ],
)
def test_a_script_reads_what_it_did_not_assign_before(
    script: str, reads: set[str] | None, stores: set[str] | None
) -> None:
    found = script_names(script)
    if reads is not None:
        assert found.reads == reads
    if stores is not None:
        assert found.stores == stores


def test_an_exception_name_is_gone_after_its_handler() -> None:
    found = script_names("try:\n    v = 1 / d\nexcept ZeroDivisionError as e:\n    v = 0\nw = e")
    assert found.reads == {"d", "ZeroDivisionError", "e"}
    assert found.stores == {"v", "w"}


def test_both_branches_of_an_if_bind() -> None:
    found = script_names("if urgent:\n    delai = 7\nelse:\n    delai = 30\nfin = delai")
    assert found.reads == {"urgent"}
    assert found.stores == {"delai", "fin"}
