"""View models of forms for the templates (`macros/form.html`), which never read a schema.

`build_form_view` turns a form definition, the current data (typed) and the errors into what the
macros print; `build_answers_view` gives the read-only summary of what was filed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, has_app_context

from engine.core.settings import DEFAULT_MAX_PIECE_BYTES, megabytes
from engine.definitions.forms import (
    FieldSpec,
    FormDefinition,
    FormPage,
    choice_value,
    format_number,
    visible_fields,
)
from engine.definitions.forms.sources import CHOICE_LABELS

ACCEPTED_FILES = ".pdf,.odt,.docx"
FILE_HINT = "Taille maximale\u00a0: {size}. Formats acceptés\u00a0: PDF, ODT, DOCX."
DATE_HINT = "Format attendu\u00a0: JJ/MM/AAAA."
UNNAMED_DOCUMENT = "Document joint"
ID_PREFIX = "champ-"
CHOICE_WIDGETS = frozenset({"radio", "select", "checkboxes", "checkbox"})


@dataclass
class FieldView:
    """One field as the macros print it; `value`/`values` are the strings to put back."""

    name: str
    html_id: str
    label: str
    widget: str
    hint: str | None = None
    format_hint: str | None = None
    required: bool = False
    value: str = ""
    values: list[str] = field(default_factory=list)
    checked: bool = False
    choices: list[tuple[str, str, bool]] = field(default_factory=list)
    error: str | None = None
    rows: int | None = None
    max_length: int | None = None
    multiple: bool = False
    accept: str | None = None
    documents: list[tuple[str, str]] = field(default_factory=list)
    input_type: str = "text"
    inputmode: str | None = None

    @property
    def hint_id(self) -> str:
        return f"{self.html_id}-aide"

    @property
    def error_id(self) -> str:
        return f"{self.html_id}-erreur"

    @property
    def has_hint(self) -> bool:
        return bool(self.hint or self.format_hint)

    @property
    def describedby(self) -> str:
        """Ids of the hint and the error, for `aria-describedby` (empty when none)."""
        ids = [self.hint_id] if self.has_hint else []
        if self.error:
            ids.append(self.error_id)
        return " ".join(ids)

    @property
    def grouped(self) -> bool:
        """Radios and checkboxes go in a fieldset whose legend is the label."""
        return self.widget in ("radio", "checkboxes")

    def choice_id(self, index: int) -> str:
        """Id of the n-th choice (0-based); the first one takes the field's id."""
        return self.html_id if index == 0 else f"{self.html_id}-{index + 1}"


@dataclass
class PageView:
    id: str
    title: str
    number: int
    current: bool


@dataclass
class FormView:
    """A form (or one of its pages) ready to print."""

    name: str
    title: str
    description: str | None
    page: FormPage | None
    pages: list[PageView]
    fields: list[FieldView]
    errors: list[tuple[str, str]]
    submit_label: str
    multipart: bool = False

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    @property
    def error_title(self) -> str:
        count = len(self.errors)
        return f"Le formulaire contient {count} erreur{'s' if count > 1 else ''}"

    @property
    def current_page(self) -> PageView | None:
        return next((page for page in self.pages if page.current), None)

    @property
    def next_page(self) -> PageView | None:
        current = self.current_page
        if current is None or current.number >= len(self.pages):
            return None
        return self.pages[current.number]


def build_form_view(
    form: FormDefinition,
    data: Mapping[str, Any],
    errors: Mapping[str, str],
    *,
    page_id: str | None = None,
    user_choices: Mapping[str, list[tuple[str, str]]] | None = None,
    documents: Mapping[str, str] | None = None,
) -> FormView:
    """The view of one page (`page_id`) or of the whole form, showing `data` and `errors`.

    `user_choices` gives, for each `user` field, the (user id, name) pairs to offer;
    `documents` maps the ids of already uploaded documents to their names.
    """
    page = form.get_page(page_id) if page_id is not None else None
    required = form.required_fields(data)
    fields = [
        _field_view(
            spec,
            data[spec.name] if spec.name in data else _default(spec),
            errors.get(spec.name),
            required=spec.name in required,
            users=(user_choices or {}).get(spec.name, []),
            documents=documents or {},
        )
        for spec in visible_fields(form, page_id, data)
    ]
    return FormView(
        name=form.name,
        title=form.title,
        description=form.description,
        page=page,
        pages=_page_views(form, page),
        fields=fields,
        errors=_summary(form, errors, fields),
        submit_label=form.submit_label,
        multipart=any(view.widget in ("file", "files") for view in fields),
    )


def _default(spec: FieldSpec) -> Any:
    """The schema's default pre-selects a choice; a text field emptied by the user stays empty."""
    return spec.default if spec.widget in CHOICE_WIDGETS else None


def _page_views(form: FormDefinition, page: FormPage | None) -> list[PageView]:
    if len(form.pages) < 2:
        return []
    current = page.id if page else None
    return [
        PageView(p.id, p.title, number, p.id == current)
        for number, p in enumerate(form.pages, start=1)
    ]


def _field_view(
    spec: FieldSpec,
    value: Any,
    error: str | None,
    *,
    required: bool,
    users: list[tuple[str, str]],
    documents: Mapping[str, str],
) -> FieldView:
    values = _texts(value)
    choices = users if spec.widget in ("user", "choix") else list(spec.choices)
    return FieldView(
        name=spec.name,
        html_id=ID_PREFIX + spec.name,
        label=spec.title,
        widget=spec.widget,
        hint=spec.hint,
        format_hint=_format_hint(spec),
        required=required,
        value=values[0] if values and not spec.multiple else "",
        values=values,
        checked=value is True,
        choices=[(code, label, code in values) for code, label in choices],
        error=error,
        rows=spec.rows,
        max_length=spec.max_length,
        multiple=spec.multiple,
        accept=ACCEPTED_FILES if spec.is_file else None,
        documents=[(doc_id, documents.get(doc_id, UNNAMED_DOCUMENT)) for doc_id in values]
        if spec.is_file
        else [],
        input_type=_input_type(spec),
        inputmode={"integer": "numeric", "number": "decimal"}.get(spec.json_type),
    )


def _texts(value: Any) -> list[str]:
    """A typed value written back as form strings (numbers the French way: 2,5)."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [
        format_number(item).replace("\u202f", "") if isinstance(item, float) else choice_value(item)
        for item in items
    ]


def _format_hint(spec: FieldSpec) -> str | None:
    if spec.is_file:
        return FILE_HINT.format(size=_max_piece_size())
    if spec.widget == "date":
        return DATE_HINT
    if spec.max_length and spec.widget in ("text", "textarea"):
        return f"{format_number(spec.max_length)} caractères au plus."
    if spec.json_type in ("integer", "number") and spec.maximum is not None:
        # The bound the form checks, said before the user types (a rule of the process).
        high = format_number(spec.maximum)
        if spec.minimum is None:
            return f"{high} au plus."
        return f"Nombre de {format_number(spec.minimum)} à {high}."
    return None


def _max_piece_size() -> str:
    """The configured limit (« 20 Mo »); the default one outside an application."""
    if has_app_context():
        return str(current_app.extensions["engine_settings"].max_piece_size)
    return megabytes(DEFAULT_MAX_PIECE_BYTES)


def _input_type(spec: FieldSpec) -> str:
    if spec.widget == "date":
        return "date"
    if spec.format == "email":
        return "email"
    return "text"


def _summary(
    form: FormDefinition, errors: Mapping[str, str], fields: list[FieldView]
) -> list[tuple[str, str]]:
    """Form-level errors first, then the fields' errors in the form's order.

    An error of a field that is not on this page (or not shown) has no link, and names the field.
    """
    shown = {view.name: view for view in fields if view.widget != "hidden"}
    summary = [("", message) for name, message in errors.items() if name not in form]
    for spec in form.fields:
        message = errors.get(spec.name)
        if message is None:
            continue
        if spec.name in shown:
            summary.append((shown[spec.name].html_id, _naming(spec.title, message)))
        else:
            summary.append(("", _naming(spec.title, message)))
    return summary


def _naming(label: str, message: str) -> str:
    """`« Intitulé » : message` unless the message already names the field."""
    return message if f"«\u00a0{label}\u00a0»" in message else f"{label}\u00a0: {message}"


def build_answers_view(
    form: FormDefinition,
    data: Mapping[str, Any],
    documents: Mapping[str, str] | None = None,
    *,
    users: Mapping[str, str] | None = None,
) -> list[tuple[str, str | list[str]]]:
    """(label, readable value) for each filled and visible field: what a reviewer reads."""
    answers: list[tuple[str, str | list[str]]] = []
    chosen = data.get(CHOICE_LABELS)
    chosen = chosen if isinstance(chosen, Mapping) else {}
    for spec in visible_fields(form, None, data):
        value = data.get(spec.name)
        if spec.widget == "hidden" or value is None or value in ("", []):
            continue
        if spec.widget == "choix" and spec.name in chosen:
            answers.append((spec.title, str(chosen[spec.name])))
            continue
        readable = [_readable(spec, item, documents or {}, users or {}) for item in _items(value)]
        answers.append((spec.title, readable if spec.multiple else readable[0]))
    return answers


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _readable(
    spec: FieldSpec, value: Any, documents: Mapping[str, str], users: Mapping[str, str]
) -> str:
    if spec.is_file:
        return documents.get(str(value), UNNAMED_DOCUMENT)
    if spec.widget == "user":
        return users.get(str(value), str(value))
    labels = dict(spec.choices)
    if choice_value(value) in labels:
        return labels[choice_value(value)]
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, float):
        return format_number(value)
    if spec.is_date and isinstance(value, str):
        return _french_date(value)
    return str(value)


def _french_date(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).strftime("%d/%m/%Y")
    except ValueError:
        return text
