"""The authorization matrix's table: every route of the app, who may use it on whose objects.

Written from the documented rules (docs/architecture.md § Access and the docstrings of
engine/workflow/access/), never from what the app answers today. Each `Case` is one route
(its Flask rule and method), the path tried (placeholders name objects of the test's world,
tests/integration/test_authorization_matrix.py) and the principals who may use it there;
everyone else must be refused (403, 404, 410 or the sign-in page) and be shown nothing of the
objects. A route with several cases is tried on several objects (one's own, another
organisation's, another rapporteur's). The JSON API's routes (`/api/v1`, docs/api.md) are here
too: there a principal is their bearer token, not their cookie, and the API allows exactly what
the pages allow (a dossier, a task: the union of the pages that show it); their cases are in
tests/authorization_api.py, and `ALL_CASES` is both.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The principals: anonymous, the submitters of two organisations (A: the ministry, B: the CPNE),
# each reviewer role (two rapporteurs: X, designated on A's dossier, and Y), the process owner,
# the administrator, and an outside expert holding an invitation's link on A's dossier.
PRINCIPALS: dict[str, str | None] = {
    "anonyme": None,
    "demandeur_a": "demandeur@example.org",
    "demandeur_b": "demandeur2@example.org",
    "recevabilite": "recevabilite@example.org",
    "rapporteur_x": "rapporteur@example.org",
    "rapporteur_y": "rapporteur2@example.org",
    "commission": "commission@example.org",
    "directeur_general": "directeur.general@example.org",
    "proprietaire": "proprietaire@example.org",
    "admin": "admin@example.org",
    "expert": None,
}

P = frozenset
EVERYONE = P(PRINCIPALS)
SIGNED_IN = EVERYONE - {"anonyme", "expert"}
DEMANDEURS = P({"demandeur_a", "demandeur_b"})
# actor.is_reviewer: recevabilité, rapporteurs, commission, directeur général.
REVIEWERS = P({"recevabilite", "rapporteur_x", "rapporteur_y", "commission", "directeur_general"})
# actor.is_staff: the reviewers, the process owners and the administrators.
STAFF = REVIEWERS | {"proprietaire", "admin"}
NOBODY: frozenset[str] = P()
# may_declare_absence: the reviewers, and administrators (for others).
AGENTS = REVIEWERS | {"admin"}
# may_see_seances / may_manage_seances.
SEANCES = P({"recevabilite", "commission", "admin"})
SECRETARIAT = P({"recevabilite", "admin"})
ADMIN = P({"admin"})
OWNER = P({"proprietaire"})
ADMINISTRATION = P({"admin", "proprietaire"})
# Refusal statuses: hidden (404), someone else's (403), a spent link (410), not signed in (401).
REFUSED = frozenset({401, 403, 404, 410})
# Statuses of an allowed request that only the form's content refuses (empty forms are sent).
NOT_REFUSED_FORM = frozenset({200, 302, 303, 400, 409, 422})
# The API's refusals: not signed in (no token or an unknown one), not allowed, hidden.
API_REFUSED = frozenset({401, 403, 404})
V1 = "/api/v1"


@dataclass(frozen=True)
class Case:
    method: str
    rule: str
    path: str
    allowed: frozenset[str]
    ok: frozenset[int] = frozenset({200})
    # Principals allowed on the page who must still not see the objects named in `hidden`.
    hidden_from: frozenset[str] = NOBODY
    hidden: tuple[str, ...] = ()
    # The path the refused principals try instead (a bearer link: they hold a wrong one).
    refused_path: str | None = None
    # Allowed POSTs run after every refusal, in this order (a logout last of all).
    order: int = 0
    data: dict[str, str] = field(default_factory=dict)
    # An API case's JSON body (a valid one: what is refused is who sends it, not its shape).
    json: dict[str, object] | None = None
    # An API case sent with the principal's read-only token (a write refused for its scope).
    read_only: bool = False

    @property
    def api(self) -> bool:
        return self.rule.startswith(V1)


def get(rule: str, path: str, allowed: frozenset[str], **kwargs: object) -> Case:
    return Case("GET", rule, path, allowed, **kwargs)  # type: ignore[arg-type]


def post(rule: str, path: str, allowed: frozenset[str], **kwargs: object) -> Case:
    kwargs.setdefault("ok", NOT_REFUSED_FORM)
    return Case("POST", rule, path, allowed, **kwargs)  # type: ignore[arg-type]


def patch(rule: str, path: str, allowed: frozenset[str], **kwargs: object) -> Case:
    kwargs.setdefault("ok", NOT_REFUSED_FORM)
    return Case("PATCH", rule, path, allowed, **kwargs)  # type: ignore[arg-type]


def put(rule: str, path: str, allowed: frozenset[str], **kwargs: object) -> Case:
    kwargs.setdefault("ok", NOT_REFUSED_FORM)
    return Case("PUT", rule, path, allowed, **kwargs)  # type: ignore[arg-type]


PUBLIC_FORM = frozenset({200, 302, 303, 400, 401, 410, 422})
D = "/demandes/<int:instance_id>"
DOSSIER = "/instruction/dossiers/<int:instance_id>"
TASK = "/instruction/taches/<int:work_item_id>"
S = "/seances/<int:seance_id>"
STUDIO = "/studio/<key>"
API = "/studio/api/<key>"

CASES: tuple[Case, ...] = (
    # --- public pages ----------------------------------------------------------------------
    get("/", "/", EVERYONE, ok=P({200, 302})),
    get("/static/<path:filename>", "/static/inventaire.css", EVERYONE),
    get("/sante", "/sante", EVERYONE),
    get("/sante/pret", "/sante/pret", EVERYONE),
    # /metrics: from the machine itself (the tests' client) or with the token.
    get("/metrics", "/metrics", EVERYONE),
    get("/registre", "/registre", EVERYONE, hidden_from=EVERYONE, hidden=("a_dossier",)),
    get("/registre/<numero>", "/registre/{numero}", EVERYONE),
    get("/registre/export.csv", "/registre/export.csv", EVERYONE),
    get("/registre/export.xml", "/registre/export.xml", EVERYONE),
    get("/statistiques", "/statistiques", EVERYONE),
    get("/connexion", "/connexion", EVERYONE, ok=P({200, 302})),
    post("/connexion", "/connexion", EVERYONE, ok=P({401})),
    get("/connexion/code", "/connexion/code", EVERYONE, ok=P({200, 302, 303})),
    # OpenID Connect (docs/authentication.md): open to all when configured; the matrix's app has
    # no provider, so both answer 404 to everyone (tests/browser/test_oidc_sign_in.py signs in).
    post("/connexion/oidc", "/connexion/oidc", EVERYONE, ok=P({404})),
    get("/connexion/oidc/retour", "/connexion/oidc/retour", EVERYONE, ok=P({404})),
    post("/connexion/code", "/connexion/code", EVERYONE, ok=PUBLIC_FORM),
    get("/connexion/mot-de-passe-oublie", "/connexion/mot-de-passe-oublie", EVERYONE),
    post("/connexion/mot-de-passe-oublie", "/connexion/mot-de-passe-oublie", EVERYONE),
    get(
        "/connexion/nouveau-mot-de-passe/<token>",
        "/connexion/nouveau-mot-de-passe/inconnu",
        EVERYONE,
        ok=PUBLIC_FORM,
    ),
    post(
        "/connexion/nouveau-mot-de-passe/<token>",
        "/connexion/nouveau-mot-de-passe/inconnu",
        EVERYONE,
        ok=PUBLIC_FORM,
    ),
    post("/deconnexion", "/deconnexion", EVERYONE, ok=P({302, 303}), order=99),
    # --- an outside expert's link: a bearer link; the others hold a wrong one -------------
    get(
        "/avis-expert/<string:token>",
        "/avis-expert/{token}",
        P({"expert"}),
        ok=P({303}),
        refused_path="/avis-expert/{wrong_token}",
    ),
    get("/avis-expert/", "/avis-expert/", P({"expert"})),
    post("/avis-expert/", "/avis-expert/", P({"expert"})),
    get("/avis-expert/pieces/<int:document_id>", "/avis-expert/pieces/{a_piece}", P({"expert"})),
    get(
        "/avis-expert/pieces/<int:document_id>",
        "/avis-expert/pieces/{b_piece}",
        NOBODY,
    ),
    # --- the account ------------------------------------------------------------------------
    get("/compte/", "/compte/", SIGNED_IN),
    get("/compte/mes-donnees.json", "/compte/mes-donnees.json", SIGNED_IN),
    # Two-factor enrolment: staff roles (engine/people/two_factor.offered_to).
    get("/compte/double-authentification", "/compte/double-authentification", STAFF),
    post("/compte/double-authentification", "/compte/double-authentification", STAFF),
    # --- the submitters' space: their organisation's dossiers only --------------------------
    get(
        "/demandes/",
        "/demandes/",
        DEMANDEURS,
        hidden_from=P({"demandeur_b"}),
        hidden=("a_dossier", "a_complements", "a_draft"),
    ),
    post("/demandes/nouvelle", "/demandes/nouvelle", DEMANDEURS),
    get(D, "/demandes/{a_dossier}", P({"demandeur_a"})),
    get(D, "/demandes/{b_dossier}", P({"demandeur_b"})),
    get(D + "/saisie", "/demandes/{a_draft}/saisie", P({"demandeur_a"}), ok=P({200, 302})),
    get(D + "/saisie/<page_id>", "/demandes/{a_draft}/saisie/identification", P({"demandeur_a"})),
    post(D + "/saisie/<page_id>", "/demandes/{a_draft}/saisie/identification", P({"demandeur_a"})),
    get(D + "/supprimer", "/demandes/{a_draft}/supprimer", P({"demandeur_a"})),
    post(D + "/supprimer", "/demandes/{a_draft}/supprimer", P({"demandeur_a"}), order=90),
    get(
        D + "/taches/<int:work_item_id>",
        "/demandes/{a_complements}/taches/{a_task}",
        P({"demandeur_a"}),
    ),
    post(
        D + "/taches/<int:work_item_id>",
        "/demandes/{a_complements}/taches/{a_task}",
        P({"demandeur_a"}),
    ),
    post(D + "/messages", "/demandes/{a_dossier}/messages", P({"demandeur_a"})),
    post(D + "/messages", "/demandes/{b_dossier}/messages", P({"demandeur_b"})),
    # --- pieces: whoever sees the dossier (a submitter: their organisation's pieces) -------
    get("/pieces/<int:document_id>", "/pieces/{a_piece}", STAFF | {"demandeur_a"}),
    get("/pieces/<int:document_id>", "/pieces/{b_piece}", STAFF | {"demandeur_b"}),
    get("/pieces/<int:document_id>/ouvrir", "/pieces/{a_piece}/ouvrir", STAFF | {"demandeur_a"}),
    get(
        "/pieces/dossiers/<int:instance_id>.zip",
        "/pieces/dossiers/{a_dossier}.zip",
        STAFF | {"demandeur_a"},
    ),
    get(
        "/pieces/dossiers/<int:instance_id>/recapitulatif.pdf",
        "/pieces/dossiers/{b_dossier}/recapitulatif.pdf",
        STAFF | {"demandeur_b"},
    ),
    get(
        "/pieces-jointes/messages/<int:piece_id>",
        "/pieces-jointes/messages/{a_message_piece}",
        STAFF | {"demandeur_a"},
    ),
    # Annotations privées and experts' opinions: the staff, never a submitter.
    get(
        "/pieces-jointes/annotations/<int:piece_id>",
        "/pieces-jointes/annotations/{a_annotation_piece}",
        STAFF,
    ),
    get(
        "/pieces-jointes/avis-experts/<int:piece_id>",
        "/pieces-jointes/avis-experts/{a_opinion_piece}",
        STAFF,
    ),
    # --- the instruction space ------------------------------------------------------------
    get(
        "/instruction/",
        "/instruction/",
        REVIEWERS,
        hidden_from=P({"rapporteur_y"}),
        hidden=("x_task",),
    ),
    get("/instruction/dossiers", "/instruction/dossiers", STAFF),
    get(DOSSIER, "/instruction/dossiers/{a_dossier}", STAFF),
    get(DOSSIER + "/diagramme", "/instruction/dossiers/{a_dossier}/diagramme", STAFF),
    get(DOSSIER + "/marqueurs", "/instruction/dossiers/{a_dossier}/marqueurs", STAFF),
    get(
        DOSSIER + "/journal.<any(json, csv):extension>",
        "/instruction/dossiers/{a_dossier}/journal.csv",
        STAFF,
    ),
    # Messages: the staff who instruct (not admins nor process owners, refused 403).
    post(DOSSIER + "/messages", "/instruction/dossiers/{a_dossier}/messages", REVIEWERS),
    post(DOSSIER + "/annotations", "/instruction/dossiers/{a_dossier}/annotations", REVIEWERS),
    # Experts: the secretariat, or a rapporteur who may act on one of its open tasks (X).
    post(
        DOSSIER + "/avis-experts",
        "/instruction/dossiers/{a_dossier}/avis-experts",
        P({"recevabilite", "rapporteur_x"}),
    ),
    post(
        DOSSIER + "/avis-experts/<int:invitation_id>/revoquer",
        "/instruction/dossiers/{a_dossier}/avis-experts/{a_invitation}/revoquer",
        P({"recevabilite"}),
        order=80,
    ),
    # A task's page: who may work on it (X, designated) or hand it over (secretariat, admin).
    get(TASK, "/instruction/taches/{x_task}", P({"rapporteur_x", "recevabilite", "admin"})),
    post(TASK, "/instruction/taches/{x_task}", P({"rapporteur_x"})),
    post(TASK + "/prendre", "/instruction/taches/{x_task}/prendre", P({"rapporteur_x"}), order=1),
    post(TASK + "/liberer", "/instruction/taches/{x_task}/liberer", P({"rapporteur_x"}), order=2),
    post(TASK + "/reattribuer", "/instruction/taches/{x_task}/reattribuer", SECRETARIAT),
    # A submitter's task is not a reviewer's page.
    get(TASK, "/instruction/taches/{a_task}", SECRETARIAT),
    # Bulk actions: each action's own rule (engine/workflow/worklists/bulk_actions.py).
    post("/instruction/lot", "/instruction/lot", STAFF, data={"action": "exporter"}),
    # Messages are written by the staff who instruct, not administrators nor process owners.
    post("/instruction/lot", "/instruction/lot", REVIEWERS, data={"action": "message"}),
    post("/instruction/lot", "/instruction/lot", SECRETARIAT, data={"action": "reattribuer"}),
    post("/instruction/lot", "/instruction/lot", SECRETARIAT, data={"action": "seance"}),
    get("/instruction/export", "/instruction/export", STAFF),
    post("/instruction/export", "/instruction/export", STAFF),
    # An export and a saved view: their owner's (the secretariat's) alone; this export is
    # not ready yet (409 to its owner).
    get(
        "/instruction/exports/<int:export_id>", "/instruction/exports/{export}", P({"recevabilite"})
    ),
    get(
        "/instruction/exports/<int:export_id>/fichier",
        "/instruction/exports/{export}/fichier",
        P({"recevabilite"}),
        ok=P({409}),
    ),
    post("/instruction/vues", "/instruction/vues", STAFF),
    post(
        "/instruction/vues/<int:view_id>/supprimer",
        "/instruction/vues/{view}/supprimer",
        P({"recevabilite"}),
        order=80,
    ),
    get("/statistiques/suivi", "/statistiques/suivi", STAFF),
    # --- absences: one's own, an administrator anyone's --------------------------------------
    get("/absences/", "/absences/", AGENTS),
    post("/absences/", "/absences/", AGENTS),
    post(
        "/absences/<int:absence_id>/terminer",
        "/absences/{x_absence}/terminer",
        P({"rapporteur_x", "admin"}),
    ),
    post(
        "/absences/<int:absence_id>/annuler",
        "/absences/{x_absence}/annuler",
        P({"rapporteur_x", "admin"}),
        order=5,
    ),
    # --- séances -----------------------------------------------------------------------------
    get("/seances/", "/seances/", SEANCES),
    get(S, "/seances/{seance}", SEANCES),
    get(S + "/proces-verbal", "/seances/{seance}/proces-verbal", SEANCES),
    post(
        S + "/<any('ordre-du-jour', 'proces-verbal'):kind>.pdf",
        "/seances/{seance}/ordre-du-jour.pdf",
        SEANCES,
    ),
    get("/seances/nouvelle", "/seances/nouvelle", SECRETARIAT),
    post("/seances/nouvelle", "/seances/nouvelle", SECRETARIAT),
    get(S + "/modifier", "/seances/{seance}/modifier", SECRETARIAT),
    post(S + "/modifier", "/seances/{seance}/modifier", SECRETARIAT),
    post(S + "/inscrire", "/seances/{seance}/inscrire", SECRETARIAT),
    post(
        S + "/ordre/<int:inscription_id>/<any('monter', 'descendre'):sens>",
        "/seances/{seance}/ordre/{inscription}/monter",
        SECRETARIAT,
    ),
    post(S + "/tenue", "/seances/{seance}/tenue", SECRETARIAT),
    post(S + "/reporter", "/seances/{seance}/reporter", SECRETARIAT),
    post(S + "/annuler", "/seances/{seance}/annuler", SECRETARIAT, order=70),
    # --- the register's actions: the certifier's submitters; the commission's retrait ------
    post(
        "/registre/<numero>/renouvellement",
        "/registre/{numero}/renouvellement",
        P({"demandeur_b"}),
        order=60,
    ),
    post("/registre/<numero>/retrait", "/registre/{numero}/retrait", P({"commission"}), order=60),
    # --- administration ----------------------------------------------------------------------
    get("/admin/", "/admin/", ADMINISTRATION),
    get("/admin/incidents", "/admin/incidents", ADMINISTRATION),
    get("/admin/comptes", "/admin/comptes", ADMIN),
    get("/admin/comptes/nouveau", "/admin/comptes/nouveau", ADMIN),
    post("/admin/comptes/nouveau", "/admin/comptes/nouveau", ADMIN),
    get("/admin/comptes/<int:user_id>", "/admin/comptes/{spare_user}", ADMIN),
    post("/admin/comptes/<int:user_id>", "/admin/comptes/{spare_user}", ADMIN),
    post(
        "/admin/comptes/<int:user_id>/double-authentification",
        "/admin/comptes/{spare_user}/double-authentification",
        ADMIN,
    ),
    get("/admin/comptes/<int:user_id>/supprimer", "/admin/comptes/{spare_user}/supprimer", ADMIN),
    post(
        "/admin/comptes/<int:user_id>/supprimer",
        "/admin/comptes/{spare_user}/supprimer",
        ADMIN,
        order=95,
    ),
    get("/admin/organisations", "/admin/organisations", ADMIN),
    post("/admin/organisations", "/admin/organisations", ADMIN),
    get("/admin/courriels", "/admin/courriels", ADMIN),
    get("/admin/courriels/<int:email_id>", "/admin/courriels/{email}", ADMIN),
    get("/admin/courriels/modeles", "/admin/courriels/modeles", ADMIN),
    get("/admin/travaux", "/admin/travaux", ADMIN),
    post("/admin/travaux/<int:job_id>/relancer", "/admin/travaux/{job}/relancer", ADMIN),
    get("/admin/dossiers/<int:instance_id>/travaux", "/admin/dossiers/{a_dossier}/travaux", ADMIN),
    # Webhooks (docs/webhooks.md): administrators only.
    get("/admin/webhooks", "/admin/webhooks", ADMIN),
    get("/admin/webhooks/nouveau", "/admin/webhooks/nouveau", ADMIN),
    post("/admin/webhooks/nouveau", "/admin/webhooks/nouveau", ADMIN),
    get("/admin/webhooks/<int:subscription_id>", "/admin/webhooks/{webhook}", ADMIN),
    post(
        "/admin/webhooks/<int:subscription_id>/suspendre",
        "/admin/webhooks/{webhook}/suspendre",
        ADMIN,
        order=70,
    ),
    post(
        "/admin/webhooks/<int:subscription_id>/reprendre",
        "/admin/webhooks/{webhook}/reprendre",
        ADMIN,
        order=71,
    ),
    post(
        "/admin/webhooks/livraisons/<int:delivery_id>/renvoyer",
        "/admin/webhooks/livraisons/{delivery}/renvoyer",
        ADMIN,
        order=72,
    ),
    post(
        "/admin/webhooks/<int:subscription_id>/supprimer",
        "/admin/webhooks/{webhook}/supprimer",
        ADMIN,
        order=73,
    ),
    # Tokens for the JSON API: one's own in *Mon compte* (X's, revoked by X alone), and every
    # token in the administration (administrators).
    post("/compte/jetons", "/compte/jetons", SIGNED_IN, ok=P({201, 422})),
    post(
        "/compte/jetons/<int:token_id>/revoquer",
        "/compte/jetons/{x_spare_token}/revoquer",
        P({"rapporteur_x"}),
        ok=P({302}),
        order=96,
    ),
    get("/admin/jetons", "/admin/jetons", ADMIN),
    post("/admin/jetons", "/admin/jetons", ADMIN, ok=P({422})),
    post(
        "/admin/jetons/<int:token_id>/revoquer",
        "/admin/jetons/{x_other_token}/revoquer",
        ADMIN,
        ok=P({302}),
        order=96,
    ),
    # --- the studio: process owners --------------------------------------------------------
    get("/studio/", "/studio/", OWNER),
    get(STUDIO + "/", "/studio/recensement/", OWNER),
    get(STUDIO + "/editeur", "/studio/recensement/editeur", OWNER),
    get(
        STUDIO + "/decisions/<path:name>",
        "/studio/recensement/decisions/prequalification.dmn",
        OWNER,
    ),
    get(STUDIO + "/migration", "/studio/recensement/migration", OWNER),
    post(STUDIO + "/migration", "/studio/recensement/migration", OWNER),
    post(STUDIO + "/verification", "/studio/recensement/verification", OWNER),
    post(STUDIO + "/scenarios", "/studio/recensement/scenarios", OWNER),
    post(STUDIO + "/deploiement", "/studio/recensement/deploiement", OWNER),
    post(STUDIO + "/import", "/studio/recensement/import", OWNER),
    get(API + "/brouillon", "/studio/api/recensement/brouillon", OWNER, ok=P({200, 404})),
    put(API + "/brouillon", "/studio/api/recensement/brouillon", OWNER),
    post(API + "/brouillon/verification", "/studio/api/recensement/brouillon/verification", OWNER),
    post("/studio/api/formulaire/apercu", "/studio/api/formulaire/apercu", OWNER),
    get(
        API + "/versions/<int:number>/diagramme",
        "/studio/api/recensement/versions/1/diagramme",
        OWNER,
    ),
    get(
        API + "/versions/<int:number>/marqueurs",
        "/studio/api/recensement/versions/1/marqueurs",
        OWNER,
    ),
)
