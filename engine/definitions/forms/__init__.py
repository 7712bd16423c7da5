"""Forms of user tasks: a JSON Schema (draft 2020-12 subset) plus a UI schema.

The schema is the contract (types, required fields, conditions); the UI schema says how to show
it (pages, widgets, hints). The package reads both and checks them once (`schema`, `loading`),
holds the result (`spec`, `fields`), turns HTML-form strings into typed values (`parsing`),
validates them with French messages (`validation`, `validator`, `messages`), and knows which
fields show (`visibility`) and where their values are kept (`storage`). It knows nothing about
HTML or Flask. Other packages import from here; the modules import each other directly.
"""

from engine.definitions.forms.fields import FieldSpec, FormPage, choice_value
from engine.definitions.forms.loading import load_form, load_form_from_texts
from engine.definitions.forms.messages import format_number
from engine.definitions.forms.parsing import merge_submission, parse_submission
from engine.definitions.forms.spec import FormDefinition
from engine.definitions.forms.storage import split_for_storage
from engine.definitions.forms.validation import MAX_ARRAY_ITEMS, validate
from engine.definitions.forms.visibility import prune_hidden, visible_fields

__all__ = [
    "MAX_ARRAY_ITEMS",
    "FieldSpec",
    "FormDefinition",
    "FormPage",
    "choice_value",
    "format_number",
    "load_form",
    "load_form_from_texts",
    "merge_submission",
    "parse_submission",
    "prune_hidden",
    "split_for_storage",
    "validate",
    "visible_fields",
]
