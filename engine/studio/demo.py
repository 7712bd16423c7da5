"""Demo data: organisations of every kind, one account per role, a dozen dossiers at every step,
and real fiches of France compétences in the public register."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.actor import Actor
from engine.core.models import Organisation, OrganisationKind, User
from engine.definitions.deployment import deploy
from engine.definitions.folders import read_folder
from engine.people import accounts
from engine.register.opendata.importer import import_fiches
from engine.studio import scenario
from engine.workflow import documents
from engine.workflow.messagerie import writing

PASSWORD = "inventaire"
# Real fiches of France compétences' open data (Licence Ouverte 2.0), for the public register.
REGISTER_SAMPLE = Path(__file__).resolve().parents[2] / "data" / "rs-open-data-sample.xml"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    roles: tuple[str, ...]
    organisation: str | None = None


ORGANISATIONS = {
    "ministere": (
        "Ministère du Travail et de l'Emploi",
        OrganisationKind.MINISTERE,
        "11000201100044",
    ),
    "cpne": ("CPNE de la métallurgie", OrganisationKind.CPNE, "77568501900010"),
    "organisation_cncp": ("CCI France", OrganisationKind.ORGANISATION_CNCP, "18002101300017"),
    "certificateur": ("Certif'Pro Formation", OrganisationKind.CERTIFICATEUR, "52345678900012"),
}

ACCOUNTS = (
    DemoAccount("demandeur@example.org", "Claire Demandeur", ("demandeur",), "ministere"),
    DemoAccount("demandeur2@example.org", "Paul Branche", ("demandeur",), "cpne"),
    DemoAccount("demandeur3@example.org", "Inès Consulaire", ("demandeur",), "organisation_cncp"),
    DemoAccount("mandataire@example.org", "Marc Certificateur", ("demandeur",), "certificateur"),
    DemoAccount("recevabilite@example.org", "Rose Recevabilité", ("recevabilite",)),
    DemoAccount("rapporteur@example.org", "Rémi Rapporteur", ("rapporteur",)),
    DemoAccount("rapporteur2@example.org", "Rachida Rapporteure", ("rapporteur",)),
    DemoAccount("commission@example.org", "Camille Commission", ("commission",)),
    DemoAccount("directeur.general@example.org", "Dominique Directrice", ("directeur_general",)),
    DemoAccount("proprietaire@example.org", "Pierre Propriétaire", ("proprietaire",)),
    DemoAccount("admin@example.org", "Alice Admin", ("admin",)),
)

# (scenario, number of steps played, organisation override): dossiers left at every step.
DOSSIERS = (
    ("favorable", 0, "ministere"),
    ("favorable", 1, "ministere"),
    ("favorable", 1, "cpne"),
    ("complements_recevabilite_puis_instruction", 2, "ministere"),
    ("favorable", 3, "cpne"),
    ("favorable", 4, "ministere"),
    ("favorable", 5, "organisation_cncp"),
    ("favorable", None, "ministere"),
    ("refus", None, "cpne"),
    ("irrecevable", None, "certificateur"),
    ("ajournement", 6, "ministere"),
    ("mandataire", 1, "certificateur"),
)
# The messagerie of the CPNE's dossier waiting at its recevabilité: a question, its answer
# (the answer unread by the submitter), and an annotation privée of the secretariat.
CONVERSATION_ON = ("favorable", 1, "cpne")
CONVERSATION = (
    (
        "demandeur2@example.org",
        "Bonjour, le référentiel d'évaluation sera validé par notre commission paritaire le mois "
        "prochain. Pouvons-nous vous l'adresser à ce moment-là\u202f?",
    ),
    (
        "recevabilite@example.org",
        "Bonjour, oui\u00a0: joignez-le à votre réponse si des compléments vous sont demandés, "
        "ou envoyez-le ici même dès qu'il sera validé.",
    ),
)
ANNOTATION = (
    "recevabilite@example.org",
    "Référentiel d'évaluation attendu le mois prochain\u00a0: ne pas déclarer la demande "
    "irrecevable pour ce motif.",
)
# The same for France compétences' Répertoire spécifique, filed by the certifier itself.
RS_DOSSIERS = (
    ("favorable", 1, "certificateur"),
    ("favorable", 3, "certificateur"),
    ("favorable", None, "certificateur"),
    ("refus", None, "certificateur"),
)


def has_data(session: Session) -> bool:
    return session.scalar(select(User.id).limit(1)) is not None


def create_accounts(session: Session) -> dict[str, Organisation]:
    accounts.ensure_roles(session)
    organisations: dict[str, Organisation] = {}
    for key in ("ministere", "cpne", "organisation_cncp"):
        name, kind, siret = ORGANISATIONS[key]
        organisations[key] = accounts.create_organisation(
            session, kind=kind, name=name, siret=siret
        )
    name, kind, siret = ORGANISATIONS["certificateur"]
    organisations["certificateur"] = accounts.create_organisation(
        session, kind=kind, name=name, siret=siret, mandant_id=organisations["cpne"].id
    )
    for account in ACCOUNTS:
        accounts.create_user(
            session,
            email=account.email,
            name=account.name,
            password=PASSWORD,
            roles=account.roles,
            enforce_policy=False,  # the demonstration's password is published
            organisation_id=organisations[account.organisation].id
            if account.organisation
            else None,
        )
    return organisations


def _converse(session: Session, store: documents.DocumentStore, instance_id: int) -> None:
    def actor(email: str) -> Actor:
        user = session.scalar(select(User).where(User.email == email))
        assert user is not None, email
        return Actor.from_user(user)

    for email, text in CONVERSATION:
        writing.send_message(session, store, actor(email), instance_id, text, [])
    writing.write_annotation(session, store, actor(ANNOTATION[0]), instance_id, ANNOTATION[1], [])


def load(session: Session, processes_dir: Path, store: documents.DocumentStore) -> int:
    """Create the demo; returns the number of dossiers created. The caller commits."""
    organisations = create_accounts(session)
    count = 0
    for key, dossiers in (("recensement", DOSSIERS), ("enregistrement-rs", RS_DOSSIERS)):
        folder = processes_dir / key
        if not folder.is_dir():
            continue
        deploy(session, read_folder(folder), actor_id=None)
        scenarios = {item.name: item for item in scenario.load_scenarios(folder)}
        for name, steps, organisation_key in dossiers:
            played = scenarios.get(name)
            if played is None:
                continue
            organisation = organisations[organisation_key]
            pick = scenario.actor_picker(session, organisation)
            instance = scenario.start(session, organisation, key=key)
            for step in played.steps[: steps if steps is not None else len(played.steps)]:
                scenario.play_step(session, store, instance, step, pick)
            if key == "recensement" and (name, steps, organisation_key) == CONVERSATION_ON:
                _converse(session, store, instance.id)
            count += 1
    if REGISTER_SAMPLE.is_file():  # absent from an installed package: the register starts empty
        import_fiches(session, REGISTER_SAMPLE)
    return count
