"""Import loses nothing: a file of France compétences' open data imported, then downloaded from
the public register, gives back every element of each fiche, in the format's order, with its
value: the real sample (data/rs-open-data-sample.xml) and a fiche with every element of the v4.1
format we know (tests/data/fiche-v4-1-tous-elements.xml), those we do not model included
(CORRESPONDANCES, CCN_1, CODES_IDCC, SI_JURY_CA, NOM_COMMERCIAL, NOMBRE_CERTIFIES_VAE…), and
children the format does not have inside its lists (an AUTRE between two FORMACODE items, one
before the first NSF, one inside an ANCIENNE_CERTIFICATION)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy.orm import Session

from engine.register.opendata.importer import import_fiches
from tests.support import Browser

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "rs-open-data-sample.xml"
EVERY_ELEMENT = ROOT / "tests" / "data" / "fiche-v4-1-tous-elements.xml"
# Before the end of every fiche still « ACTIF Oui » in these files (see test_opendata.py).
NOW = datetime(2026, 7, 1, 12, tzinfo=UTC)
# Elements of the v4.1 format the every-element file must hold, the unmodelled ones included.
KNOWN_V41 = {
    "ID_FICHE",
    "NUMERO_FICHE",
    "NOUVELLES_CERTIFICATIONS",
    "ANCIENNES_CERTIFICATIONS",
    "INTITULE",
    "ABREGE",
    "ETAT_FICHE",
    "FORMACODES",
    "NOMENCLATURE_EUROPE",
    "CODES_NSF",
    "CERTIFICATEURS",
    "EXISTENCE_PARTENAIRES",
    "PARTENAIRES",
    "ACTIVITES_VISEES",
    "CAPACITES_ATTESTEES",
    "SECTEURS_ACTIVITE",
    "TYPE_EMPLOI_ACCESSIBLES",
    "CODES_ROME",
    "REGLEMENTATIONS_ACTIVITES",
    "SI_JURY_FI",
    "SI_JURY_CA",
    "SI_JURY_FC",
    "SI_JURY_CQ",
    "SI_JURY_CL",
    "SI_JURY_VAE",
    "CCN_1",
    "CCN_2",
    "CCN_3",
    "CODES_IDCC",
    "PUBLICATION_DECRET_GENERAL",
    "PUBLICATION_DECRET_CREATION",
    "PUBLICATION_DECRET_AUTRE",
    "DATE_DERNIER_JO",
    "DATE_DECISION",
    "DUREE_ENREGISTREMENT",
    "DUREE_VALIDITE",
    "STATISTIQUES_PROMOTIONS",
    "LIEN_URL_DESCRIPTION",
    "DATE_FIN_ENREGISTREMENT",
    "DATE_EFFET",
    "TYPE_ENREGISTREMENT",
    "OBJECTIFS_CONTEXTE",
    "NIVEAU_MAITRISE_COMPETENCES",
    "MODALITES_RENOUVELLEMENT",
    "VALIDATION_PARTIELLE",
    "VALIDATION_PARTIELLE_PERIMETRE",
    "ACTIF",
    "ACCESSIBLE_NOUVELLE_CALEDONIE",
    "ACCESSIBLE_POLYNESIE_FRANCAISE",
    "PREREQUIS_ENTREE_FORMATION",
    "DATE_DE_PUBLICATION",
    "PREREQUIS_VALIDATION_CERTIFICATION",
    "DATE_LIMITE_DELIVRANCE",
    "CORRESPONDANCES",
    "BLOCS_COMPETENCES",
}


def elements(fiche: etree._Element) -> list[tuple[str, str]]:
    """Every element under the fiche, in document order: its path and, for a leaf, its text."""
    found = []
    for element in fiche.iterdescendants():
        if not isinstance(element.tag, str):
            continue  # comments
        path = "/".join(
            str(node.tag) for node in reversed(list(element.iterancestors())) if node is not fiche
        )
        path = f"{path}/{element.tag}".lstrip("/").removeprefix("FICHES/")
        leaf = not any(isinstance(child.tag, str) for child in element)
        found.append((path, (element.text or "") if leaf else ""))
    return found


def fiches(root: etree._Element) -> dict[str, etree._Element]:
    return {str(f.findtext("NUMERO_FICHE")): f for f in root.iterfind("FICHE")}


@pytest.mark.parametrize("path", [SAMPLE, EVERY_ELEMENT], ids=["echantillon", "tous-elements"])
def test_import_then_export_gives_back_every_element_and_value(
    path: Path, session: Session, browser: Browser
) -> None:
    report = import_fiches(session, path, now=NOW)
    session.commit()
    assert report.skipped == []
    if path == EVERY_ELEMENT:
        assert {
            "FORMACODES/AUTRE",
            "CODES_NSF/AUTRE_NSF",
            "ANCIENNES_CERTIFICATIONS/ANCIENNE_CERTIFICATION/AUTRE_DATE_FIN",
        } <= set(report.kept_elements)

    downloaded = browser.get("/registre/export.xml")
    assert downloaded.status_code == 200
    original = fiches(etree.parse(str(path)).getroot())
    exported = fiches(etree.fromstring(downloaded.get_data()))
    assert sorted(exported) == sorted(original)
    for numero, fiche in original.items():
        expected, got = elements(fiche), elements(exported[numero])
        for index, (want, have) in enumerate(zip(expected, got, strict=False)):
            assert have == want, f"{numero}, élément n° {index + 1}"
        assert len(got) == len(expected), numero


def test_the_every_element_file_holds_every_element_we_know() -> None:
    [fiche] = etree.parse(str(EVERY_ELEMENT)).getroot().iterfind("FICHE")
    tags = {child.tag for child in fiche if isinstance(child.tag, str)}
    assert tags == KNOWN_V41


def test_a_fiche_in_the_range_of_our_own_ids_is_skipped(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "export.xml"
    path.write_text(
        "<FICHES><VERSION_FLUX>4.1</VERSION_FLUX><FICHE><ID_FICHE>9000000005</ID_FICHE>"
        "<NUMERO_FICHE>RS9950</NUMERO_FICHE><INTITULE>Titre</INTITULE></FICHE></FICHES>",
        encoding="utf-8",
    )
    report = import_fiches(session, path, now=NOW)
    assert report.created == 0
    assert [skipped.message for skipped in report.skipped] == [
        "Fiche RS9950 ignorée — élément ID_FICHE\u00a0: cet identifiant est dans la plage réservée "
        "aux fiches que publient les procédures de cette plateforme "
        "(à partir de 9\u202f000\u202f000\u202f000)."
    ]
