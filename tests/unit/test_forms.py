"""Forms: reading definitions, parsing submitted strings, French validation messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from engine.core.errors import NotFound, ProcessModelError
from engine.definitions.forms import (
    MAX_ARRAY_ITEMS,
    FormDefinition,
    load_form,
    load_form_from_texts,
    merge_submission,
    parse_submission,
    prune_hidden,
    split_for_storage,
    validate,
    visible_fields,
)

DECISIONS = [
    {"const": "recevable", "title": "Recevable"},
    {"const": "irrecevable", "title": "Irrecevable"},
]
MOTIF_IF_IRRECEVABLE = {
    "if": {"properties": {"decision": {"const": "irrecevable"}}, "required": ["decision"]},
    "then": {"required": ["motif"]},
}


def make_form(
    properties: dict[str, Any],
    required: list[str] | None = None,
    ui: dict[str, Any] | None = None,
    **extra: Any,
) -> FormDefinition:
    schema = {"type": "object", "properties": properties, "required": required or [], **extra}
    return FormDefinition("essai", schema, ui or {})


@pytest.fixture
def demande() -> FormDefinition:
    return make_form(
        {
            "intitule": {"type": "string", "title": "Intitulé", "maxLength": 80},
            "sigle": {"type": "string", "title": "Sigle", "minLength": 2},
            "code": {
                "type": "string",
                "title": "Code",
                "pattern": "^RS[0-9]+$",
            },
            "code_nsf": {"type": "string", "title": "Code NSF", "pattern": "^[0-9]{3}$"},
            "blocs": {"type": "integer", "title": "Nombre de blocs", "minimum": 1, "maximum": 12},
            "duree": {"type": "number", "title": "Durée (heures)", "exclusiveMinimum": 0},
            "courriel": {"type": "string", "title": "Courriel", "format": "email"},
            "date_creation": {"type": "string", "title": "Date de création", "format": "date"},
            "decision": {"type": "string", "title": "Décision", "oneOf": DECISIONS},
            "niveau": {"type": "string", "title": "Niveau", "enum": ["5", "6", "7"]},
            "motif": {"type": "string", "title": "Motif"},
            "actif": {"type": "boolean", "title": "Actif"},
            "publics": {
                "type": "array",
                "title": "Publics",
                "items": {"type": "string", "enum": ["salaries", "demandeurs", "jeunes"]},
            },
            "annexes": {"type": "array", "title": "Annexes", "items": {"type": "string"}},
        },
        required=["intitule"],
        ui={
            "code": {"ui:options": {"patternMessage": "Le code commence par RS."}},
            "motif": {"ui:widget": "textarea"},
            "annexes": {"ui:widget": "files"},
        },
        allOf=[MOTIF_IF_IRRECEVABLE],
    )


# --- definitions -----------------------------------------------------------------------------


def test_widgets_are_derived_from_the_schema(demande: FormDefinition) -> None:
    widgets = {spec.name: spec.widget for spec in demande.fields}
    assert widgets["intitule"] == "text"
    assert widgets["decision"] == "radio"
    assert widgets["date_creation"] == "date"
    assert widgets["actif"] == "checkbox"
    assert widgets["publics"] == "checkboxes"
    assert widgets["motif"] == "textarea"
    assert widgets["annexes"] == "files"


def test_many_choices_make_a_select_and_choices_keep_their_titles() -> None:
    form = make_form({"region": {"type": "string", "enum": [f"R{i}" for i in range(6)]}})
    spec = form.get_field("region")
    assert spec.widget == "select"
    assert spec.choices[0] == ("R0", "R0")
    decision = make_form({"d": {"type": "string", "oneOf": DECISIONS}}).get_field("d")
    assert decision.choices == (("recevable", "Recevable"), ("irrecevable", "Irrecevable"))


@pytest.mark.parametrize(
    ("schema", "ui", "expected"),
    [
        ({"type": "array"}, {}, "de type «\u00a0object\u00a0»"),
        ({"type": "object"}, {}, "properties"),
        ({"type": "object", "properties": {"a": {"type": "strin"}}}, {}, "schéma JSON"),
        ({"type": "object", "properties": {"a": {"type": "object"}}}, {}, "pas pris en charge"),
        (
            {"type": "object", "properties": {}, "additionalProperties": True},
            {},
            "additionalProperties",
        ),
        (
            {"type": "object", "properties": {"a": {"type": "string"}}},
            {"a": {"ui:widget": "carrousel"}},
            "«\u00a0carrousel\u00a0»",
        ),
        (
            {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}},
            {"ui:pages": [{"id": "p1", "title": "Une", "fields": ["a"]}]},
            "«\u00a0b\u00a0» n'est sur aucune page",
        ),
        (
            {"type": "object", "properties": {"a": {"type": "string"}}},
            {"a": {"ui:widget": "user"}},
            "ui:options.role",
        ),
        (
            {"type": "object", "properties": {"a": {"type": "string"}}},
            {"a": {"ui:visibleIf": {"inexistant": ["x"]}}},
            "«\u00a0inexistant\u00a0»",
        ),
        (
            {"type": "object", "properties": {"a": {"type": "string"}}},
            {"intiulé": {"ui:help": "faute de frappe"}},
            "«\u00a0intiulé\u00a0»",
        ),
    ],
)
def test_a_bad_definition_is_refused_in_french(
    schema: dict[str, Any], ui: dict[str, Any], expected: str
) -> None:
    with pytest.raises(ProcessModelError) as caught:
        FormDefinition("demande", schema, ui)
    assert caught.value.user_message.startswith(
        "Le formulaire «\u00a0demande\u00a0» n'est pas valide"
    )
    assert any(expected in problem for problem in caught.value.problems)


def test_additional_properties_are_refused_even_when_the_schema_omits_it() -> None:
    form = make_form({"a": {"type": "string"}})
    assert form.schema["additionalProperties"] is False


def test_pages_order_fields_and_default_to_one_page() -> None:
    properties = {name: {"type": "string"} for name in ("a", "b", "c")}
    single = make_form(properties, ui={"ui:order": ["c", "*"]})
    assert [page.id for page in single.pages] == ["formulaire"]
    assert [spec.name for spec in single.fields] == ["c", "a", "b"]
    paged = make_form(
        properties,
        ui={
            "ui:pages": [
                {"id": "deux", "title": "Deux", "fields": ["b"]},
                {"id": "un", "title": "Un", "fields": ["c", "a"]},
            ],
            "ui:submitLabel": "Déposer la demande",
        },
    )
    assert [spec.name for spec in paged.fields] == ["b", "c", "a"]
    assert paged.get_page("un").fields == ("c", "a")
    assert paged.page_of("a").id == "un"
    assert paged.submit_label == "Déposer la demande"
    with pytest.raises(NotFound):
        paged.get_page("trois")


def test_storage_files_and_users() -> None:
    form = make_form(
        {
            "intitule": {"type": "string"},
            "descriptif": {"type": "string"},
            "referentiel": {"type": "string"},
            "rapporteur_id": {"type": "string"},
        },
        ui={
            "descriptif": {"ui:widget": "textarea", "ui:storage": "dossier"},
            "referentiel": {"ui:widget": "file"},
            "rapporteur_id": {"ui:widget": "user", "ui:options": {"role": "rapporteur"}},
        },
    )
    assert form.process_fields() == ["intitule", "referentiel", "rapporteur_id"]
    assert form.file_fields() == ["referentiel"]
    assert form.user_fields() == {"rapporteur_id": "rapporteur"}
    process, dossier = split_for_storage(form, {"intitule": "Titre", "descriptif": "Long texte"})
    assert process == {"intitule": "Titre"}
    assert dossier == {"descriptif": "Long texte"}


# --- loading ---------------------------------------------------------------------------------


def write_json(path: Path, content: Any) -> None:
    path.write_text(json.dumps(content), encoding="utf-8")


def test_load_form_reads_the_schema_and_its_ui(tmp_path: Path) -> None:
    write_json(
        tmp_path / "saisir.schema.json",
        {"type": "object", "properties": {"a": {"type": "string", "title": "A"}}},
    )
    write_json(tmp_path / "saisir.ui.json", {"a": {"ui:help": "Une aide"}})
    form = load_form(tmp_path, "saisir.schema.json", "saisir.ui.json")
    assert form.name == "saisir"
    assert form.get_field("a").hint == "Une aide"
    assert load_form(tmp_path, "saisir.schema.json", "saisir.ui.json") is form


def test_load_form_explains_missing_or_broken_files(tmp_path: Path) -> None:
    with pytest.raises(ProcessModelError, match="introuvable"):
        load_form(tmp_path, "absent.schema.json", None)
    (tmp_path / "casse.schema.json").write_text("{ pas du json", encoding="utf-8")
    with pytest.raises(ProcessModelError, match="n'est pas un JSON valide"):
        load_form(tmp_path, "casse.schema.json", None)
    with pytest.raises(ProcessModelError, match="hors du dossier"):
        load_form(tmp_path / "forms", "../casse.schema.json", None)


def test_load_form_from_texts() -> None:
    form = load_form_from_texts(
        "saisir.schema.json",
        '{"type": "object", "properties": {"a": {"type": "string"}}}',
        '{"ui:submitLabel": "Envoyer"}',
    )
    assert form.submit_label == "Envoyer"
    with pytest.raises(ProcessModelError, match="introuvable"):
        load_form_from_texts("saisir.schema.json", None)


# --- parsing ---------------------------------------------------------------------------------


def test_parse_types_html_strings(demande: FormDefinition) -> None:
    data, errors = parse_submission(
        demande,
        {
            "intitule": ["  Titre  "],
            "blocs": ["1 2"],
            "duree": ["3,5"],
            "date_creation": ["01/03/2026"],
            "actif": ["on"],
            "publics": ["salaries", "jeunes", "salaries"],
            "sigle": [""],
            "motif": ["ligne 1\r\nligne 2"],
            "csrf_token": ["jeton"],
            "_action": ["enregistrer"],
        },
    )
    assert errors == {}
    assert data == {
        "intitule": "Titre",
        "blocs": 12,
        "duree": 3.5,
        "date_creation": "2026-03-01",
        "actif": True,
        "publics": ["salaries", "jeunes"],
        "motif": "ligne 1\nligne 2",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [("true", True), ("on", True), ("oui", True), ("false", False), ("non", False), ("", False)],
)
def test_parse_booleans(demande: FormDefinition, text: str, expected: bool) -> None:
    data, errors = parse_submission(demande, {"actif": [text]}, fields=["actif"])
    assert errors == {}
    assert data == {"actif": expected}


def test_an_unticked_checkbox_is_false(demande: FormDefinition) -> None:
    data, _ = parse_submission(demande, {}, fields=["actif", "intitule"])
    assert data == {"actif": False}


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("blocs", "douze", "Saisissez un nombre entier."),
        ("blocs", "1,5", "Saisissez un nombre entier."),
        ("duree", "3h", "Saisissez un nombre."),
        ("date_creation", "31/02/2026", "Saisissez une date valide (JJ/MM/AAAA)."),
        ("date_creation", "demain", "Saisissez une date valide (JJ/MM/AAAA)."),
    ],
)
def test_unreadable_values_are_kept_with_an_error(
    demande: FormDefinition, field: str, text: str, message: str
) -> None:
    data, errors = parse_submission(demande, {field: [text]}, fields=[field])
    assert errors == {field: message}
    assert data == {field: text}
    assert validate(demande, {"intitule": "T", **data})[field] == message


def test_html_dates_are_kept_iso(demande: FormDefinition) -> None:
    data, _ = parse_submission(demande, {"date_creation": ["2026-03-01"]})
    assert data["date_creation"] == "2026-03-01"


def test_unknown_fields_are_refused(demande: FormDefinition) -> None:
    _, errors = parse_submission(demande, {"intitule": ["T"], "role": ["admin"]})
    assert errors == {"": "Champ inconnu\u00a0: role"}


def test_parse_reads_only_the_page_fields(demande: FormDefinition) -> None:
    data, errors = parse_submission(
        demande, {"intitule": ["T"], "blocs": ["3"]}, fields=["intitule"]
    )
    assert data == {"intitule": "T"}
    assert errors == {"": "Champ inconnu\u00a0: blocs"}


def test_parse_accepts_a_multidict_and_keeps_document_ids(demande: FormDefinition) -> None:
    raw = MultiDict([("annexes", "12"), ("annexes", "15"), ("intitule", "Ti\x00tre")])
    data, errors = parse_submission(demande, raw)
    assert errors == {}
    assert data == {"annexes": ["12", "15"], "intitule": "Titre", "actif": False}


def test_merge_submission_clears_emptied_fields() -> None:
    stored = {"intitule": "Ancien", "sigle": "AB", "blocs": 3}
    merged = merge_submission(stored, {"intitule": "Nouveau"}, ["intitule", "sigle"])
    assert merged == {"intitule": "Nouveau", "blocs": 3}


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "intitule", "Le champ «\u00a0Intitulé\u00a0» est obligatoire."),
        ({"blocs": "douze"}, "blocs", "Saisissez un nombre entier."),
        ({"duree": "long"}, "duree", "Saisissez un nombre."),
        ({"actif": "peut-être"}, "actif", "Valeur invalide."),
        ({"decision": "peut-etre"}, "decision", "Choisissez une valeur de la liste."),
        ({"niveau": "8"}, "niveau", "Choisissez une valeur de la liste."),
        ({"publics": ["retraites"]}, "publics", "Choisissez une valeur de la liste."),
        (
            {"intitule": "x" * 81},
            "intitule",
            "Ce texte dépasse la longueur autorisée (80 caractères au plus).",
        ),
        ({"sigle": "A"}, "sigle", "Ce texte est trop court (2 caractères au moins)."),
        ({"code_nsf": "31"}, "code_nsf", "Le format n'est pas valide."),
        ({"code": "X12"}, "code", "Le code commence par RS."),
        (
            {"courriel": "nom@domaine"},
            "courriel",
            "Saisissez une adresse électronique valide (ex. nom@domaine.fr).",
        ),
        (
            {"date_creation": "2026-02-31"},
            "date_creation",
            "Saisissez une date valide (JJ/MM/AAAA).",
        ),
        ({"blocs": 0}, "blocs", "La valeur doit être supérieure ou égale à 1."),
        ({"blocs": 13}, "blocs", "La valeur doit être inférieure ou égale à 12."),
        ({"duree": 0}, "duree", "La valeur doit être strictement supérieure à 0."),
        ({"pirate": "x"}, "", "Champ inconnu\u00a0: pirate"),
    ],
)
def test_each_error_has_its_french_message(
    demande: FormDefinition, data: dict[str, Any], field: str, message: str
) -> None:
    base = {} if field == "intitule" and not data else {"intitule": "Titre"}
    errors = validate(demande, {**base, **data})
    assert errors == {field: message}


def test_valid_data_has_no_error(demande: FormDefinition) -> None:
    data = {
        "intitule": "Titre",
        "blocs": 4,
        "duree": 12.5,
        "courriel": "nom@domaine.fr",
        "date_creation": "2026-03-01",
        "decision": "recevable",
        "publics": ["jeunes"],
        "annexes": ["3"],
    }
    assert validate(demande, data) == {}


def test_a_draft_may_lack_required_fields_but_not_be_malformed(demande: FormDefinition) -> None:
    draft = {"decision": "irrecevable", "blocs": "douze"}
    assert validate(demande, draft, partial=True) == {"blocs": "Saisissez un nombre entier."}
    assert validate(demande, {}, partial=True) == {}


def test_a_box_left_unticked_blocks_the_filing_not_the_draft() -> None:
    form = make_form({"atteste": {"type": "boolean", "title": "J'atteste", "const": True}})
    assert validate(form, {"atteste": False}) == {
        "atteste": "Cochez la case «\u00a0J'atteste\u00a0»."
    }
    assert validate(form, {"atteste": False}, partial=True) == {}


def test_texts_are_capped_even_without_max_length(demande: FormDefinition) -> None:
    errors = validate(demande, {"intitule": "T", "motif": "x" * 100_000})
    assert errors == {
        "motif": "Ce texte dépasse la longueur autorisée (20\u202f000 caractères au plus)."
    }
    errors = validate(demande, {"intitule": "x" * 100_000}, partial=True)
    assert errors == {"intitule": "Ce texte dépasse la longueur autorisée (80 caractères au plus)."}


def test_lists_are_capped(demande: FormDefinition) -> None:
    ids = [str(i) for i in range(MAX_ARRAY_ITEMS + 1)]
    errors = validate(demande, {"intitule": "T", "annexes": ids})
    assert errors == {"annexes": "Choisissez au plus 200 éléments."}


def test_conditional_requirement_names_the_missing_field(demande: FormDefinition) -> None:
    errors = validate(demande, {"intitule": "T", "decision": "irrecevable"})
    assert errors == {"motif": "Le champ «\u00a0Motif\u00a0» est obligatoire."}
    assert validate(demande, {"intitule": "T", "decision": "recevable"}) == {}
    assert demande.required_fields({"decision": "irrecevable"}) == {"intitule", "motif"}


def test_validation_of_one_page_keeps_its_errors_only(demande: FormDefinition) -> None:
    data = {"decision": "irrecevable", "blocs": "douze"}
    assert validate(demande, data, fields=["motif", "decision"]) == {
        "motif": "Le champ «\u00a0Motif\u00a0» est obligatoire."
    }


def test_not_an_object_is_invalid(demande: FormDefinition) -> None:
    assert validate(demande, ["intitule"]) == {"": "Valeur invalide."}  # type: ignore[arg-type]


# --- visibility ------------------------------------------------------------------------------


@pytest.fixture
def conditionnel() -> FormDefinition:
    return make_form(
        {
            "categorie": {"type": "string", "title": "Catégorie", "enum": ["A", "B"]},
            "precision": {"type": "string", "title": "Précision"},
            "commentaire": {"type": "string", "title": "Commentaire"},
        },
        required=["precision"],
        ui={"precision": {"ui:visibleIf": {"categorie": ["A"]}}},
    )


def names(specs: list[Any]) -> list[str]:
    return [spec.name for spec in specs]


def test_visible_if_shows_a_field_for_the_listed_values(conditionnel: FormDefinition) -> None:
    everything = ["categorie", "precision", "commentaire"]
    assert names(visible_fields(conditionnel, None, {"categorie": "A"})) == everything
    assert names(visible_fields(conditionnel, "formulaire", {})) == everything
    assert names(visible_fields(conditionnel, None, {"categorie": "B"})) == [
        "categorie",
        "commentaire",
    ]


def test_a_hidden_field_is_neither_required_nor_kept(conditionnel: FormDefinition) -> None:
    data = {"categorie": "B", "precision": "ancienne saisie"}
    assert validate(conditionnel, {"categorie": "B"}) == {}
    assert validate(conditionnel, {"categorie": "A"}) == {
        "precision": "Le champ «\u00a0Précision\u00a0» est obligatoire."
    }
    assert prune_hidden(conditionnel, data) == {"categorie": "B"}


def test_a_yes_no_question_with_titled_answers_is_a_radio() -> None:
    form = make_form(
        {
            "mandat": {
                "type": "boolean",
                "default": False,
                "oneOf": [{"const": False, "title": "Non"}, {"const": True, "title": "Oui"}],
            }
        }
    )
    spec = form.get_field("mandat")
    assert spec.widget == "radio"
    assert spec.choices == (("false", "Non"), ("true", "Oui"))
    assert parse_submission(form, {"mandat": ["true"]}) == ({"mandat": True}, {})
    assert parse_submission(form, {}) == ({}, {})


def test_a_user_field_may_hold_an_integer_id() -> None:
    form = make_form(
        {"rapporteur_id": {"type": "integer", "minimum": 1}},
        ui={"rapporteur_id": {"ui:widget": "user", "ui:options": {"role": "rapporteur"}}},
    )
    assert parse_submission(form, {"rapporteur_id": ["3"]}) == ({"rapporteur_id": 3}, {})
    assert form.user_fields() == {"rapporteur_id": "rapporteur"}


def test_a_draft_may_hold_fewer_items_than_required() -> None:
    items = {"type": "string", "enum": ["a", "b"]}
    form = make_form({"criteres": {"type": "array", "minItems": 2, "items": items}})
    assert validate(form, {"criteres": ["a"]}) == {"criteres": "Choisissez au moins 2 éléments."}
    assert validate(form, {"criteres": ["a"]}, partial=True) == {}
