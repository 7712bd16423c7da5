"""What the filing form gives a fiche, and what a fiche gives back to the form (a renewal's
prefill): the same values both ways."""

from __future__ import annotations

from datetime import UTC, datetime

from engine.register.filing import certifiers_of, form_values
from engine.register.publication import public_content
from tests.dossiers import data_of


def test_a_fiche_gives_back_the_form_it_was_published_from() -> None:
    filed = data_of("favorable", "saisir_demande")
    content = public_content(filed, 5, datetime.now(UTC), categorie="A")
    values = form_values(content, certifiers_of(filed))
    for name in (
        "certificateur_1_nom",
        "certificateur_1_siret",
        "certificateur_2_nom",
        "certificateur_2_siret",
        "existence_partenaires",
        "validite_limitee",
        "duree_validite_annees",
        "jury_formation_continue",
        "jury_candidature_individuelle",
    ):
        assert values[name] == filed[name], name
    assert values["texte_reglementaire"] == filed["texte_reglementaire"]
    assert "".join(values["partenaires"].split()) == "".join(filed["partenaires"].split())
    assert values["certifies_par_annee"] == filed["certifies_par_annee"]
    assert values["codes_rome"] == filed["codes_rome"]


def test_a_dossier_filed_before_the_form_had_a_slot_per_certifier() -> None:
    old = {"certificateurs": "Premier\u202f; Second", "siret_certificateur": "12345678900012"}
    assert certifiers_of(old) == [
        {"siret": "12345678900012", "nom": "Premier", "etat": "Actif"},
        {"nom": "Second", "etat": "Actif"},
    ]
