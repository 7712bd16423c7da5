"""Form view models and the DSFR macros that print them."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from engine.definitions.forms import FormDefinition, parse_submission, validate
from web.formrender import FormView, build_answers_view, build_form_view

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"
PAGE = """{% from "macros/form.html" import error_summary, stepper, form_fields, answers %}
{{ error_summary(view) }}{{ stepper(view) }}{{ form_fields(view) }}"""


@pytest.fixture
def form() -> FormDefinition:
    schema = {
        "type": "object",
        "title": "Demande de recensement",
        "required": ["intitule", "decision", "referentiel"],
        "properties": {
            "intitule": {"type": "string", "title": "Intitulé", "maxLength": 200},
            "blocs": {"type": "integer", "title": "Nombre de blocs"},
            "date_creation": {"type": "string", "title": "Date de création", "format": "date"},
            "decision": {
                "type": "string",
                "title": "Décision",
                "oneOf": [
                    {"const": "recevable", "title": "Recevable"},
                    {"const": "irrecevable", "title": "Irrecevable"},
                ],
            },
            "motif": {"type": "string", "title": "Motif"},
            "publics": {
                "type": "array",
                "title": "Publics",
                "items": {
                    "type": "string",
                    "oneOf": [
                        {"const": "salaries", "title": "Salariés"},
                        {"const": "jeunes", "title": "Jeunes"},
                    ],
                },
            },
            "atteste": {"type": "boolean", "title": "J'atteste l'exactitude"},
            "referentiel": {"type": "string", "title": "Référentiel"},
            "annexes": {"type": "array", "title": "Annexes", "items": {"type": "string"}},
            "rapporteur_id": {"type": "string", "title": "Rapporteur"},
        },
        "allOf": [
            {
                "if": {
                    "properties": {"decision": {"const": "irrecevable"}},
                    "required": ["decision"],
                },
                "then": {"required": ["motif"]},
            }
        ],
    }
    ui = {
        "intitule": {"ui:help": "Tel qu'il figure sur le parchemin."},
        "motif": {"ui:widget": "textarea", "ui:options": {"rows": 6}},
        "referentiel": {"ui:widget": "file"},
        "annexes": {"ui:widget": "files"},
        "rapporteur_id": {"ui:widget": "user", "ui:options": {"role": "rapporteur"}},
    }
    return FormDefinition("saisir_demande", schema, ui)


def render(view: FormView) -> str:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined
    )
    return env.from_string(PAGE).render(view=view)


class Markup(HTMLParser):
    """Collects what an accessibility check looks at: controls, labels, ids."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.ids: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.append(str(attributes["id"]))
        if tag == "label" and attributes.get("for"):
            self.label_for.add(str(attributes["for"]))
        if tag in ("input", "select", "textarea") and attributes.get("type") != "hidden":
            self.controls.append(attributes)


def test_the_view_puts_typed_values_back_as_strings(form: FormDefinition) -> None:
    data = {
        "intitule": "Titre",
        "blocs": 4,
        "date_creation": "2026-03-01",
        "decision": "irrecevable",
        "publics": ["jeunes"],
        "atteste": True,
    }
    view = build_form_view(form, data, {})
    fields = {field.name: field for field in view.fields}
    assert fields["intitule"].html_id == "champ-intitule"
    assert fields["blocs"].value == "4"
    assert fields["blocs"].inputmode == "numeric"
    assert fields["date_creation"].value == "2026-03-01"
    assert fields["date_creation"].input_type == "date"
    assert fields["decision"].choices == [
        ("recevable", "Recevable", False),
        ("irrecevable", "Irrecevable", True),
    ]
    assert fields["publics"].values == ["jeunes"]
    assert fields["atteste"].checked is True
    assert fields["motif"].required is True  # the decision is irrecevable
    assert fields["motif"].rows == 6
    assert view.submit_label == "Valider"
    assert view.multipart is True
    assert not view.has_errors


def test_errors_are_listed_form_level_first_then_in_field_order(form: FormDefinition) -> None:
    errors = {
        "blocs": "Saisissez un nombre entier.",
        "intitule": "Le champ «\u00a0Intitulé\u00a0» est obligatoire.",
        "": "Champ inconnu\u00a0: pirate",
    }
    view = build_form_view(form, {"blocs": "douze"}, errors)
    assert view.errors == [
        ("", "Champ inconnu\u00a0: pirate"),
        ("champ-intitule", "Le champ «\u00a0Intitulé\u00a0» est obligatoire."),
        ("champ-blocs", "Nombre de blocs\u00a0: Saisissez un nombre entier."),
    ]
    assert view.error_title == "Le formulaire contient 3 erreurs"


def test_an_error_on_another_page_is_listed_without_a_link() -> None:
    paged = FormDefinition(
        "paged",
        {
            "type": "object",
            "required": ["a"],
            "properties": {"a": {"type": "string", "title": "A"}, "b": {"type": "string"}},
        },
        {
            "ui:pages": [
                {"id": "un", "title": "Un", "fields": ["a"]},
                {"id": "deux", "title": "Deux", "fields": ["b"]},
            ]
        },
    )
    view = build_form_view(
        paged, {}, {"a": "Le champ «\u00a0A\u00a0» est obligatoire."}, page_id="deux"
    )
    assert view.errors == [("", "Le champ «\u00a0A\u00a0» est obligatoire.")]
    assert [(page.id, page.current) for page in view.pages] == [("un", False), ("deux", True)]
    assert view.next_page is None
    assert "Étape 2 sur 2" in render(view)


def test_every_control_has_a_label_and_its_descriptions_exist(form: FormDefinition) -> None:
    errors = {
        "intitule": "Le champ «\u00a0Intitulé\u00a0» est obligatoire.",
        "decision": "Choisissez.",
    }
    view = build_form_view(
        form,
        {"referentiel": "7", "annexes": ["8", "9"]},
        errors,
        user_choices={"rapporteur_id": [("3", "Camille Martin")]},
        documents={"7": "referentiel.pdf", "8": "annexe1.pdf", "9": "annexe2.odt"},
    )
    markup = Markup(render(view))
    assert len(markup.ids) == len(set(markup.ids)), "ids must be unique"
    for control in markup.controls:
        assert control["id"] in markup.label_for, control
        for described in (control.get("aria-describedby") or "").split():
            assert described in markup.ids


def test_the_page_links_the_summary_hints_and_errors(form: FormDefinition) -> None:
    data, errors = parse_submission(form, {"blocs": ["douze"]}, fields=["blocs", "intitule"])
    errors |= validate(form, data, fields=["blocs", "intitule"])
    html = render(build_form_view(form, data, errors))
    assert 'role="alert"' in html
    assert 'tabindex="-1" id="resume-erreurs"' in html
    assert "Le formulaire contient 2 erreurs" in html
    assert '<a href="#champ-intitule">Le champ «\u00a0Intitulé\u00a0» est obligatoire.</a>' in html
    assert '<a href="#champ-blocs">' in html
    assert '<label class="fr-label" for="champ-intitule">Intitulé' in html
    assert "(obligatoire)" in html
    assert 'aria-describedby="champ-intitule-aide champ-intitule-erreur"' in html
    assert 'aria-invalid="true"' in html
    assert 'id="champ-intitule-erreur"' in html
    assert 'class="fr-input-group fr-input-group--error"' in html
    assert 'value="douze"' in html  # what the user typed is shown again


def test_radios_and_checkboxes_are_grouped_in_a_fieldset(form: FormDefinition) -> None:
    html = render(build_form_view(form, {"decision": "recevable"}, {}))
    assert '<legend class="fr-fieldset__legend fr-fieldset__legend--regular">Décision' in html
    assert 'type="radio" id="champ-decision" name="decision" value="recevable" checked' in html
    assert 'type="radio" id="champ-decision-2" name="decision" value="irrecevable">' in html
    assert 'class="fr-checkbox-group"' in html


def test_uploaded_pieces_are_kept_by_hidden_inputs(form: FormDefinition) -> None:
    view = build_form_view(form, {"annexes": ["8"]}, {}, documents={"8": "annexe.pdf"})
    html = render(view)
    assert 'type="file" id="champ-annexes" name="annexes" accept=".pdf,.odt,.docx" multiple' in html
    assert '<input type="hidden" name="annexes" value="8">' in html
    assert 'name="_retirer_annexes" value="8"' in html
    assert "annexe.pdf" in html


def test_values_are_escaped(form: FormDefinition) -> None:
    evil = '<script>alert("x")</script>'
    view = build_form_view(
        form,
        {"intitule": evil, "motif": evil, "annexes": ["1"]},
        {"intitule": evil},
        documents={"1": evil},
    )
    html = render(view)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_answers_are_readable(form: FormDefinition) -> None:
    data: dict[str, Any] = {
        "intitule": "Titre\nsur deux lignes",
        "date_creation": "2026-03-01",
        "decision": "irrecevable",
        "publics": ["salaries", "jeunes"],
        "atteste": False,
        "referentiel": "7",
        "annexes": ["8"],
    }
    items = build_answers_view(form, data, {"7": "referentiel.pdf", "8": "annexe.pdf"})
    assert items == [
        ("Intitulé", "Titre\nsur deux lignes"),
        ("Date de création", "01/03/2026"),
        ("Décision", "Irrecevable"),
        ("Publics", ["Salariés", "Jeunes"]),
        ("J'atteste l'exactitude", "Non"),
        ("Référentiel", "referentiel.pdf"),
        ("Annexes", ["annexe.pdf"]),
    ]
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)
    html = env.from_string(
        '{% from "macros/form.html" import answers %}{{ answers(items) }}'
    ).render(items=[*items, ("Note", "<b>gras</b>")])
    assert "<dt" in html
    assert "Titre<br>sur deux lignes" in html
    assert "<li>Salariés</li>" in html
    assert "&lt;b&gt;gras&lt;/b&gt;" in html


def test_a_default_preselects_a_choice_only() -> None:
    defaults = FormDefinition(
        "defauts",
        {
            "type": "object",
            "properties": {
                "mandat": {
                    "type": "boolean",
                    "default": False,
                    "oneOf": [{"const": False, "title": "Non"}, {"const": True, "title": "Oui"}],
                },
                "nom": {"type": "string", "default": "Camille"},
            },
        },
        {"mandat": {"ui:widget": "radio"}},
    )
    mandat, nom = build_form_view(defaults, {}, {}).fields
    assert mandat.choices == [("false", "Non", True), ("true", "Oui", False)]
    assert nom.value == ""


def test_the_required_notice_appears_when_a_field_is_required(form: FormDefinition) -> None:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)
    notice = env.from_string(
        '{% from "macros/form.html" import required_notice %}{{ required_notice(view) }}'
    )
    assert "(obligatoire)" in notice.render(view=build_form_view(form, {}, {}))
    optional = FormDefinition("x", {"type": "object", "properties": {"a": {"type": "string"}}})
    assert "(obligatoire)" not in notice.render(view=build_form_view(optional, {}, {}))
