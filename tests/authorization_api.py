"""The authorization matrix's table for the JSON API (`/api/v1`, docs/api.md): the same rules
as the pages, a principal being their bearer token (tests/authorization.py says how a case
reads). A dossier or a task is allowed to whoever one of its pages shows it to; a draft's form
to its organisation's submitters; versions and BPMN to the process owner with the `admin`
scope; a read-only token writes nothing.
"""

from __future__ import annotations

from tests.authorization import (
    ADMIN,
    CASES,
    DEMANDEURS,
    EVERYONE,
    NOBODY,
    NOT_REFUSED_FORM,
    OWNER,
    REVIEWERS,
    SECRETARIAT,
    SIGNED_IN,
    STAFF,
    V1,
    Case,
    P,
    get,
    patch,
    post,
)

# The API reads every bearer token it is sent: the expert's (an unknown one) is refused even
# where none is needed.
API_PUBLIC = EVERYONE - {"expert"}
NEW_DOSSIER: dict[str, object] = {"processus": "recensement"}
NO_DATA: dict[str, object] = {"donnees": {}}

API_CASES: tuple[Case, ...] = (
    get(V1 + "/", V1 + "/", API_PUBLIC),
    get(V1 + "/openapi.json", V1 + "/openapi.json", API_PUBLIC),
    # spectree's copy of the document, outside the API's blueprint: it reads no token.
    get(V1 + "/doc/openapi.json", V1 + "/doc/openapi.json", EVERYONE),
    # The register: public, as its pages (never a dossier not published).
    get(
        V1 + "/registre",
        V1 + "/registre",
        API_PUBLIC,
        hidden_from=API_PUBLIC,
        hidden=("a_dossier", "a_draft"),
    ),
    get(V1 + "/registre/<numero>", V1 + "/registre/{numero}", API_PUBLIC),
    get(V1 + "/registre/changements", V1 + "/registre/changements", API_PUBLIC),
    # The processes one may file (a list, empty for the staff) and their forms (submitters,
    # as /demandes/nouvelle); versions and BPMN: the process owner with the `admin` scope.
    get(V1 + "/processus", V1 + "/processus", SIGNED_IN),
    get(
        V1 + "/processus/<cle>/formulaire",
        V1 + "/processus/recensement/formulaire",
        DEMANDEURS,
    ),
    get(V1 + "/processus/<cle>/versions", V1 + "/processus/recensement/versions", OWNER),
    get(
        V1 + "/processus/<cle>/versions/<int(max=2147483647):numero>/bpmn",
        V1 + "/processus/recensement/versions/1/bpmn",
        OWNER,
    ),
    # Dossiers: who sees them on /demandes/ or /instruction/dossiers (a submitter: their
    # organisation's, drafts included; the staff: all).
    get(
        V1 + "/dossiers",
        V1 + "/dossiers",
        SIGNED_IN,
        hidden_from=P({"demandeur_b"}),
        hidden=("a_dossier", "a_complements", "a_draft"),
    ),
    get(V1 + "/dossiers/<int:dossier_id>", V1 + "/dossiers/{a_dossier}", STAFF | {"demandeur_a"}),
    get(V1 + "/dossiers/<int:dossier_id>", V1 + "/dossiers/{b_dossier}", STAFF | {"demandeur_b"}),
    get(V1 + "/dossiers/<int:dossier_id>", V1 + "/dossiers/{a_draft}", STAFF | {"demandeur_a"}),
    # A draft's form, filled and filed: its organisation's submitters (/demandes/<id>/saisie).
    post(V1 + "/dossiers", V1 + "/dossiers", DEMANDEURS, ok=P({201}), json=NEW_DOSSIER),
    get(
        V1 + "/dossiers/<int:dossier_id>/brouillon",
        V1 + "/dossiers/{a_draft}/brouillon",
        P({"demandeur_a"}),
    ),
    patch(
        V1 + "/dossiers/<int:dossier_id>/brouillon",
        V1 + "/dossiers/{a_draft}/brouillon",
        P({"demandeur_a"}),
        json=NO_DATA,
    ),
    post(
        V1 + "/dossiers/<int:dossier_id>/pieces",
        V1 + "/dossiers/{a_draft}/pieces",
        P({"demandeur_a"}),
        ok=P({422}),
    ),
    post(
        V1 + "/dossiers/<int:dossier_id>/depot",
        V1 + "/dossiers/{a_draft}/depot",
        P({"demandeur_a"}),
        ok=P({422}),
        json=NO_DATA,
    ),
    # Tasks: the Bannette's rule; a task read by who opens its page (X designated, the
    # secretariat and an administrator who hand it over; the submitter's by its organisation),
    # completed by who may work on it.
    get(
        V1 + "/taches",
        V1 + "/taches",
        SIGNED_IN,
        hidden_from=P({"rapporteur_y", "demandeur_b"}),
        hidden=("x_task", "a_task"),
    ),
    get(
        V1 + "/taches/<int:task_id>",
        V1 + "/taches/{x_task}",
        P({"rapporteur_x", "recevabilite", "admin"}),
    ),
    get(V1 + "/taches/<int:task_id>", V1 + "/taches/{a_task}", SECRETARIAT | {"demandeur_a"}),
    post(V1 + "/taches/<int:task_id>", V1 + "/taches/{x_task}", P({"rapporteur_x"}), json=NO_DATA),
    post(V1 + "/taches/<int:task_id>", V1 + "/taches/{a_task}", P({"demandeur_a"}), json=NO_DATA),
    # A read-only token writes nothing, whoever holds it (403 naming the scope).
    post(V1 + "/dossiers", V1 + "/dossiers", NOBODY, json=NEW_DOSSIER, read_only=True),
    patch(
        V1 + "/dossiers/<int:dossier_id>/brouillon",
        V1 + "/dossiers/{a_draft}/brouillon",
        NOBODY,
        json=NO_DATA,
        read_only=True,
    ),
    post(
        V1 + "/taches/<int:task_id>",
        V1 + "/taches/{a_task}",
        NOBODY,
        json=NO_DATA,
        read_only=True,
    ),
    # A dossier's messages (each side, as its page), task claims, webhook subscriptions
    # (administrators with the `admin` scope, as /admin/webhooks).
    get(
        "/api/v1/dossiers/<int:dossier_id>/messages",
        "/api/v1/dossiers/{a_dossier}/messages",
        STAFF | {"demandeur_a"},
    ),
    get(
        "/api/v1/dossiers/<int:dossier_id>/messages",
        "/api/v1/dossiers/{b_dossier}/messages",
        STAFF | {"demandeur_b"},
    ),
    post(
        "/api/v1/dossiers/<int:dossier_id>/messages",
        "/api/v1/dossiers/{a_dossier}/messages",
        REVIEWERS | {"demandeur_a"},
    ),
    post(
        "/api/v1/taches/<int:task_id>/prendre",
        "/api/v1/taches/{x_task}/prendre",
        P({"rapporteur_x"}),
        order=3,
    ),
    post(
        "/api/v1/taches/<int:task_id>/liberer",
        "/api/v1/taches/{x_task}/liberer",
        P({"rapporteur_x"}),
        order=4,
    ),
    get("/api/v1/webhooks", "/api/v1/webhooks", ADMIN),
    post("/api/v1/webhooks", "/api/v1/webhooks", ADMIN),
    get("/api/v1/webhooks/<int:subscription_id>", "/api/v1/webhooks/{api_webhook}", ADMIN),
    Case(
        "PATCH",
        "/api/v1/webhooks/<int:subscription_id>",
        "/api/v1/webhooks/{api_webhook}",
        ADMIN,
        ok=NOT_REFUSED_FORM,
        order=74,
    ),
    get(
        "/api/v1/webhooks/<int:subscription_id>/livraisons",
        "/api/v1/webhooks/{api_webhook}/livraisons",
        ADMIN,
    ),
    post(
        "/api/v1/webhooks/<int:subscription_id>/suspendre",
        "/api/v1/webhooks/{api_webhook}/suspendre",
        ADMIN,
        order=75,
    ),
    post(
        "/api/v1/webhooks/<int:subscription_id>/reprendre",
        "/api/v1/webhooks/{api_webhook}/reprendre",
        ADMIN,
        order=76,
    ),
    post(
        "/api/v1/webhooks/livraisons/<int:delivery_id>/renvoyer",
        "/api/v1/webhooks/livraisons/{api_delivery}/renvoyer",
        ADMIN,
        order=77,
    ),
    Case(
        "DELETE",
        "/api/v1/webhooks/<int:subscription_id>",
        "/api/v1/webhooks/{api_webhook}",
        ADMIN,
        ok=frozenset({204}),
        order=78,
    ),
)
ALL_CASES: tuple[Case, ...] = CASES + API_CASES
