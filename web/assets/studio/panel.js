// The side panel: the selected element's properties, in French, with real labels and fieldsets.
// Text fields commit on `change` (leaving the field) and after a pause in typing; every commit is
// a bpmn-js command (undo works). The form editor edits the draft's files directly.
import { getLabel } from 'bpmn-js/lib/util/LabelUtil';
import { is, isAny } from 'bpmn-js/lib/util/ModelUtil';

import { debounce, h } from './dom';
import { requestJson } from './http';
import {
  TIMER_KINDS,
  getBody,
  getDocumentation,
  getProperty,
  getTimer,
} from './extensions';

const TYPE_LABELS = {
  'bpmn:UserTask': 'Tâche utilisateur',
  'bpmn:ScriptTask': 'Tâche script',
  'bpmn:ServiceTask': 'Tâche de service',
  'bpmn:BusinessRuleTask': 'Tâche de règle métier',
  'bpmn:ManualTask': 'Tâche manuelle',
  'bpmn:SendTask': "Tâche d'envoi",
  'bpmn:ReceiveTask': 'Tâche de réception',
  'bpmn:Task': 'Tâche',
  'bpmn:CallActivity': 'Activité appelée',
  'bpmn:SubProcess': 'Sous-processus',
  'bpmn:Transaction': 'Transaction',
  'bpmn:StartEvent': 'Événement de début',
  'bpmn:EndEvent': 'Événement de fin',
  'bpmn:IntermediateCatchEvent': "Événement intermédiaire d'attente",
  'bpmn:IntermediateThrowEvent': 'Événement intermédiaire',
  'bpmn:BoundaryEvent': 'Événement de bordure',
  'bpmn:ExclusiveGateway': 'Passerelle exclusive',
  'bpmn:ParallelGateway': 'Passerelle parallèle',
  'bpmn:InclusiveGateway': 'Passerelle inclusive',
  'bpmn:EventBasedGateway': 'Passerelle sur événements',
  'bpmn:ComplexGateway': 'Passerelle complexe',
  'bpmn:SequenceFlow': 'Flux de séquence',
  'bpmn:MessageFlow': 'Flux de message',
  'bpmn:Participant': 'Bassin (participant)',
  'bpmn:Lane': 'Couloir',
  'bpmn:TextAnnotation': 'Annotation',
  'bpmn:Association': 'Association',
  'bpmn:DataObjectReference': 'Objet de données',
  'bpmn:DataStoreReference': 'Stockage de données',
  'bpmn:Group': 'Groupe',
  'bpmn:Process': 'Processus',
  'bpmn:Collaboration': 'Collaboration',
};

const TIMER_LABELS = {
  timeDuration: 'Durée (timeDuration)',
  timeDate: 'Date (timeDate)',
  timeCycle: 'Cycle (timeCycle)',
};

// The statuses of docs/process-model.md, offered as suggestions (any text is allowed).
const STATUTS = [
  'Brouillon', 'Déposée', 'En examen de recevabilité', 'En attente de compléments',
  'En instruction', "Inscrite à l'ordre du jour", 'Recensée', 'Refusée', 'Irrecevable',
  'Classée sans suite',
];

const COMMIT_DELAY = 600;
const PREVIEW_DELAY = 400;

export function typeLabel(bo) {
  return TYPE_LABELS[bo.$type] || bo.$type.replace(/^bpmn:/, '');
}

export function createPanel({ container, modeler, editing, draft, previewUrl, csrf, onFilesChange }) {
  const elementRegistry = modeler.get('elementRegistry');
  const pending = new Map();
  let current = null;
  let committing = false;
  let preview = { key: null, html: '', errors: [] };
  let previewAbort = null;

  // ---- commits ---------------------------------------------------------------------------

  function commit(key, element, apply) {
    const entry = pending.get(key);
    if (entry) entry.timer.cancel();
    pending.delete(key);
    // the element may have been removed or replaced meanwhile
    if (elementRegistry.get(element.id) !== element) return false;
    committing = true;
    let changed;
    try {
      changed = apply();
    } finally {
      committing = false;
    }
    return changed;
  }

  function schedule(key, element, apply) {
    let entry = pending.get(key);
    if (!entry) {
      entry = { timer: debounce(() => entry.run(), COMMIT_DELAY) };
      pending.set(key, entry);
    }
    entry.run = () => commit(key, element, apply);
    entry.timer();
  }

  function flush() {
    for (const entry of [...pending.values()]) entry.run();
    pending.clear();
  }

  // ---- fields ----------------------------------------------------------------------------

  function fieldId(key) {
    return key === 'name' ? 'studio-name' : `studio-champ-${key}`;
  }

  function hint(text) {
    return text ? h('span', { class: 'fr-hint-text' }, text) : null;
  }

  // A text input or textarea. onValue(value) performs the edit and returns whether it changed
  // the model; `rerender` re-draws the panel afterwards (fields that change what is shown).
  function textField(element, key, { label, help, value, multiline, rows, code, readOnly, list,
    onValue, rerender }) {
    const id = fieldId(key);
    const attrs = {
      id,
      name: key,
      class: `fr-input${code ? ' studio-code' : ''}`,
      value: value || '',
      readonly: readOnly,
      list,
      spellcheck: code ? 'false' : undefined,
      autocomplete: 'off',
    };
    let control;
    if (multiline) {
      control = h('textarea', { ...attrs, rows: rows || 4 });
    } else {
      control = h('input', { ...attrs, type: 'text' });
    }
    if (!readOnly) {
      const apply = () => {
        const changed = onValue(control.value);
        if (changed && rerender) render(current, { keepFocus: true });
        return changed;
      };
      control.addEventListener('input', () => schedule(key, element, apply));
      control.addEventListener('change', () => commit(key, element, apply));
    }
    return h('div', { class: 'fr-input-group' },
      h('label', { class: 'fr-label', for: id }, label, hint(help)),
      control);
  }

  function checkboxField(element, key, { label, help, checked, onValue, rerender }) {
    const id = fieldId(key);
    const control = h('input', { type: 'checkbox', id, name: key, checked });
    control.addEventListener('change', () => {
      const changed = commit(key, element, () => onValue(control.checked));
      if (changed && rerender) render(current, { keepFocus: true });
    });
    return h('div', { class: 'fr-fieldset__element' },
      h('div', { class: 'fr-checkbox-group fr-checkbox-group--sm' },
        control,
        h('label', { class: 'fr-label', for: id }, label, hint(help))));
  }

  function selectField(element, key, { label, help, options, value, onValue }) {
    const id = fieldId(key);
    const control = h('select', { class: 'fr-select', id, name: key },
      options.map(([optionValue, optionLabel]) =>
        h('option', { value: optionValue, selected: optionValue === value }, optionLabel)));
    control.addEventListener('change', () => commit(key, element, () => onValue(control.value)));
    return h('div', { class: 'fr-select-group' },
      h('label', { class: 'fr-label', for: id }, label, hint(help)),
      control);
  }

  function fieldset(legend, ...children) {
    return h('fieldset', { class: 'fr-fieldset studio-fieldset' },
      h('legend', { class: 'fr-fieldset__legend fr-text--bold' }, legend),
      children.map((child) =>
        child && child.classList && child.classList.contains('fr-fieldset__element')
          ? child
          : child && h('div', { class: 'fr-fieldset__element' }, child)));
  }

  function note(text) {
    return h('p', { class: 'fr-text--sm studio-note' }, text);
  }

  // ---- sections by element type ----------------------------------------------------------

  function generalSection(element) {
    const bo = element.businessObject;
    const labelled = !is(bo, 'bpmn:Association');
    return fieldset('Général',
      textField(element, 'id', {
        label: 'Identifiant',
        help: 'Les scénarios et les étapes des dossiers y renvoient\u00a0: changer celui d’une étape déjà déployée empêche les dossiers qui y sont passés de migrer.',
        value: bo.id,
        code: true,
        onValue: (value) => {
          const problem = editing.idProblem(element, String(value).trim());
          const field = document.getElementById(fieldId('id'));
          if (field) {
            field.setCustomValidity(problem || '');
            field.setAttribute('aria-invalid', problem ? 'true' : 'false');
            field.title = problem || '';
          }
          return problem ? false : editing.setId(element, value);
        },
      }),
      labelled ? textField(element, 'name', {
        label: is(bo, 'bpmn:TextAnnotation') ? 'Texte' : 'Nom',
        value: getLabel(element),
        multiline: is(bo, 'bpmn:TextAnnotation'),
        onValue: (value) => {
          const changed = editing.setName(element, value);
          const title = document.getElementById('studio-panel-titre');
          if (changed && title) title.textContent = headingText(element);
          return changed;
        },
      }) : null,
      isAny(bo, ['bpmn:FlowNode', 'bpmn:SequenceFlow', 'bpmn:Participant'])
        ? textField(element, 'documentation', {
          label: 'Description',
          help: "Pour les personnes qui lisent le diagramme\u202f; elle n'est pas affichée aux usagers.",
          value: getDocumentation(bo),
          multiline: true,
          rows: 3,
          onValue: (value) => editing.setDocumentation(element, value),
        })
        : null);
  }

  function propertyField(element, key, label, help, extra = {}) {
    return textField(element, key, {
      label,
      help,
      value: getProperty(element.businessObject, key),
      onValue: (value) => editing.setProperty(element, key, value),
      ...extra,
    });
  }

  function flagField(element, key, label, help) {
    return checkboxField(element, key, {
      label,
      help,
      checked: getProperty(element.businessObject, key) === 'true',
      onValue: (checked) => editing.setProperty(element, key, checked ? 'true' : ''),
    });
  }

  function bodyField(element, key, type, label, help, extra = {}) {
    return textField(element, key, {
      label,
      help,
      value: getBody(element.businessObject, type),
      multiline: true,
      onValue: (value) => editing.setBody(element, type, value),
      ...extra,
    });
  }

  function statutField(element, help) {
    return propertyField(element, 'statut', 'Statut du dossier', help, { list: 'studio-statuts' });
  }

  function userTaskSections(element) {
    return [
      fieldset('Formulaire',
        propertyField(element, 'formJsonSchemaFilename', 'Fichier du schéma (JSON Schema)',
          'Dans le dossier forms/, par exemple examiner_recevabilite.schema.json.',
          { rerender: true }),
        propertyField(element, 'formUiSchemaFilename', "Fichier du schéma d'interface",
          'Dans le dossier forms/, par exemple examiner_recevabilite.ui.json.',
          { rerender: true }),
        bodyField(element, 'instructionsForEndUser', 'spiffworkflow:InstructionsForEndUser',
          "Instructions affichées au-dessus du formulaire",
          'Les variables du processus s’y insèrent ainsi\u00a0: {{ categorie }}.', { rows: 4 })),
      fieldset('Statut du dossier',
        statutField(element, 'Tant que le dossier attend à cette tâche.'),
        propertyField(element, 'statutPrisEnCharge', 'Statut une fois la tâche prise en charge',
          'Facultatif, par exemple «\u00a0En examen de recevabilité\u00a0».', { list: 'studio-statuts' })),
      fieldset('Options',
        flagField(element, 'visiblePourDemandeur', 'Réponses visibles par le demandeur',
          'Le demandeur lit les réponses données à cette tâche (décision, motifs).'),
        flagField(element, 'depot', 'Tâche de dépôt',
          'Sa validation dépose la demande\u00a0: référence et accusé de réception.')),
      fieldset('Scripts',
        bodyField(element, 'preScript', 'spiffworkflow:PreScript', 'Script avant la tâche',
          'Python restreint, exécuté quand la tâche devient disponible.', { code: true }),
        bodyField(element, 'postScript', 'spiffworkflow:PostScript', 'Script après la tâche',
          'Python restreint, exécuté à la validation du formulaire.', { code: true })),
      formEditor(element),
    ];
  }

  function scriptTaskSections(element) {
    return [fieldset('Script',
      textField(element, 'script', {
        label: 'Script (Python restreint)',
        help: 'Pas d’import ni de nom commençant par «\u00a0_\u00a0»\u202f; les variables du processus sont lues et écrites directement.',
        value: element.businessObject.script,
        multiline: true,
        rows: 8,
        code: true,
        onValue: (value) => editing.setScript(element, value),
      }))];
  }

  function sequenceFlowSections(element) {
    const bo = element.businessObject;
    const source = element.source;
    const fromGateway = source && isAny(source.businessObject,
      ['bpmn:ExclusiveGateway', 'bpmn:InclusiveGateway']);
    if (!fromGateway && !bo.conditionExpression) return [];
    const isDefault = fromGateway && source.businessObject.default === bo;
    const children = [];
    if (fromGateway) {
      children.push(checkboxField(element, 'default', {
        label: 'Flux par défaut de la passerelle',
        help: 'Pris quand aucune autre condition n’est vraie\u202f; il n’a pas de condition.',
        checked: isDefault,
        onValue: (checked) => editing.setDefaultFlow(element, checked),
        rerender: true,
      }));
    }
    if (!isDefault) {
      children.push(textField(element, 'conditionExpression', {
        label: 'Condition',
        help: 'Expression Python sur les variables du processus, par exemple decision == "irrecevable".',
        value: bo.conditionExpression ? bo.conditionExpression.body : '',
        multiline: true,
        rows: 3,
        code: true,
        onValue: (value) => editing.setCondition(element, value),
      }));
    }
    return [fieldset('Condition', ...children)];
  }

  function timerSection(element) {
    const timer = getTimer(element.businessObject);
    if (!timer) return null;
    let kind = timer.kind;
    const kindField = selectField(element, 'timerKind', {
      label: 'Type de minuterie',
      options: TIMER_KINDS.map((k) => [k, TIMER_LABELS[k]]),
      value: kind,
      onValue: (value) => {
        kind = value;
        const text = document.getElementById(fieldId('timerExpression'));
        return editing.setTimer(element, kind, text ? text.value : timer.body);
      },
    });
    const expressionField = textField(element, 'timerExpression', {
      label: 'Expression de la minuterie',
      help: 'Expression Python\u00a0: un texte ISO 8601 entre guillemets ("P30D", "2025-01-31T12:00:00+01:00", "R3/2025-01-01T09:00:00+01:00/P1D") ou une variable (delai_complements).',
      value: timer.body,
      multiline: true,
      rows: 2,
      code: true,
      onValue: (value) => editing.setTimer(element, kind, value),
    });
    return fieldset('Minuterie', kindField, expressionField);
  }

  function laneSection(element) {
    const name = element.businessObject.name || '';
    let lanes = null;
    try {
      lanes = JSON.parse(draft.files['process.json'] || '{}').lanes || null;
    } catch (_error) {
      lanes = null;
    }
    if (!lanes) return null;
    const lane = lanes[name];
    return fieldset('Rôle',
      lane
        ? note(`Ce couloir correspond au rôle «\u00a0${lane.role}\u00a0» (process.json).`)
        : note('Aucun rôle ne correspond à ce nom de couloir dans process.json\u00a0: la validation le signalera.'));
  }

  function sectionsFor(element) {
    const bo = element.businessObject;
    const sections = [];
    if (is(bo, 'bpmn:UserTask')) sections.push(...userTaskSections(element));
    else if (is(bo, 'bpmn:ScriptTask')) sections.push(...scriptTaskSections(element));
    else if (is(bo, 'bpmn:BusinessRuleTask')) {
      sections.push(fieldset('Décision',
        textField(element, 'calledDecisionId', {
          label: 'Table de décision appelée (identifiant DMN)',
          help: 'Identifiant de la décision dans un fichier .dmn du modèle, par exemple prequalification_demandeur.',
          value: getBody(bo, 'spiffworkflow:CalledDecisionId'),
          onValue: (value) => editing.setBody(element, 'spiffworkflow:CalledDecisionId', value),
        })));
    } else if (is(bo, 'bpmn:SequenceFlow')) sections.push(...sequenceFlowSections(element));
    else if (is(bo, 'bpmn:Lane')) sections.push(laneSection(element));
    if (is(bo, 'bpmn:Event')) sections.push(timerSection(element));
    if (isAny(bo, ['bpmn:EndEvent', 'bpmn:IntermediateCatchEvent', 'bpmn:IntermediateThrowEvent'])) {
      sections.push(fieldset('Statut du dossier',
        statutField(element, is(bo, 'bpmn:EndEvent')
          ? 'Le statut final du dossier qui se termine ici.'
          : 'Tant que le dossier attend ici.')));
    }
    return sections.filter(Boolean);
  }

  // ---- the form editor (the draft's files) and its live preview --------------------------

  function formEditor(element) {
    const bo = element.businessObject;
    const schemaName = getProperty(bo, 'formJsonSchemaFilename');
    const uiName = getProperty(bo, 'formUiSchemaFilename');
    if (!schemaName && !uiName) {
      const create = h('button', { type: 'button', class: 'fr-btn fr-btn--secondary fr-btn--sm' },
        'Créer le formulaire de cette tâche');
      create.addEventListener('click', () => {
        const base = bo.id;
        commit('createForm', element, () => {
          editing.batch(() => {
            editing.setProperty(element, 'formJsonSchemaFilename', `${base}.schema.json`);
            editing.setProperty(element, 'formUiSchemaFilename', `${base}.ui.json`);
          });
          return true;
        });
        const schemaPath = `forms/${base}.schema.json`;
        const uiPath = `forms/${base}.ui.json`;
        if (!(schemaPath in draft.files)) {
          draft.files[schemaPath] = JSON.stringify({
            type: 'object', additionalProperties: false, required: [], properties: {},
          }, null, 2) + '\n';
        }
        if (!(uiPath in draft.files)) draft.files[uiPath] = JSON.stringify({ 'ui:order': [] }, null, 2) + '\n';
        onFilesChange();
        render(current, { keepFocus: false });
        const target = document.getElementById('studio-form-schema');
        if (target) target.focus();
      });
      return fieldset('Édition du formulaire',
        note('Cette tâche n’a pas encore de formulaire.'),
        create);
    }

    const box = h('div', { id: 'studio-form-preview', class: 'studio-apercu' });
    const schemaArea = fileArea('studio-form-schema', schemaName, 'Schéma du formulaire (JSON)',
      'Champs, types, obligations\u00a0: JSON Schema 2020-12.', box);
    const uiArea = fileArea('studio-form-ui', uiName, "Schéma d'interface (JSON)",
      'Ordre, widgets, aides, pages.', box);
    const section = fieldset('Édition du formulaire', schemaArea, uiArea,
      h('div', { class: 'studio-apercu-bloc' },
        h('h3', { class: 'fr-h6 fr-mb-1w', id: 'studio-form-preview-titre' }, 'Aperçu'),
        box));
    box.setAttribute('aria-labelledby', 'studio-form-preview-titre');
    box.addEventListener('submit', (event) => event.preventDefault(), true);
    const key = previewKey();
    if (key === preview.key) showPreview(box, preview);
    else requestPreview();
    return section;
  }

  function formPaths() {
    if (!current || !is(current.businessObject, 'bpmn:UserTask')) return null;
    const bo = current.businessObject;
    const schemaName = getProperty(bo, 'formJsonSchemaFilename');
    const uiName = getProperty(bo, 'formUiSchemaFilename');
    return {
      schema: schemaName ? `forms/${schemaName}` : null,
      ui: uiName ? `forms/${uiName}` : null,
    };
  }

  function previewKey() {
    const paths = formPaths();
    if (!paths) return null;
    return JSON.stringify([draft.files[paths.schema] || '', draft.files[paths.ui] || '']);
  }

  function fileArea(id, fileName, label, help, box) {
    const path = fileName ? `forms/${fileName}` : null;
    const exists = path && path in draft.files;
    const errorId = `${id}-erreur`;
    const error = h('p', { class: 'fr-error-text', id: errorId, hidden: true });
    const area = h('textarea', {
      id,
      class: 'fr-input studio-code',
      rows: 12,
      spellcheck: 'false',
      readonly: !path,
      value: exists ? draft.files[path] : '',
      'aria-describedby': errorId,
    });
    const group = h('div', { class: 'fr-input-group' },
      h('label', { class: 'fr-label', for: id }, label,
        hint(path
          ? `${help} Fichier ${path}${exists ? '' : ' (il sera créé à l’enregistrement)'}.`
          : `${help} Indiquez d’abord le nom du fichier ci-dessus.`)),
      area, error);
    const check = () => {
      let message = '';
      if (area.value.trim()) {
        try {
          JSON.parse(area.value);
        } catch (parseError) {
          message = `JSON invalide\u00a0: ${parseError.message}`;
        }
      }
      error.textContent = message;
      error.hidden = !message;
      group.classList.toggle('fr-input-group--error', Boolean(message));
    };
    if (path) {
      area.addEventListener('input', () => {
        draft.files[path] = area.value;
        onFilesChange();
        check();
        requestPreview();
      });
    }
    check();
    return group;
  }

  const requestPreview = debounce(async () => {
    const paths = formPaths();
    if (!paths) return;
    const key = previewKey();
    if (previewAbort) previewAbort.abort();
    const controller = new AbortController();
    previewAbort = controller;
    let result;
    try {
      const data = await requestJson(previewUrl, {
        method: 'POST',
        csrf,
        signal: controller.signal,
        body: {
          schema: draft.files[paths.schema] || '',
          ui: draft.files[paths.ui] || '',
        },
      });
      result = { key, html: (data && data.html) || '', errors: (data && data.errors) || [] };
    } catch (error) {
      if (error.name === 'AbortError') return;
      result = { key: null, html: '', errors: [`L’aperçu n’a pas pu être calculé (${error.status ? `erreur ${error.status}` : 'serveur injoignable'}).`] };
    }
    if (previewAbort === controller) previewAbort = null;
    preview = result;
    const box = document.getElementById('studio-form-preview');
    if (box && previewKey() === key) showPreview(box, result);
  }, PREVIEW_DELAY);

  function showPreview(box, { html, errors }) {
    box.replaceChildren();
    if (errors.length) {
      box.append(h('div', { class: 'fr-alert fr-alert--error fr-alert--sm fr-mb-2w' },
        h('p', {}, errors.length > 1 ? 'Le formulaire a des erreurs\u00a0:' : 'Le formulaire a une erreur\u00a0:'),
        h('ul', {}, errors.map((message) => h('li', {}, message)))));
    }
    // The server renders the form with the same code as the real task pages.
    const rendered = h('div', { class: 'studio-apercu-contenu' });
    rendered.innerHTML = html;
    box.append(rendered);
  }

  // ---- rendering -------------------------------------------------------------------------

  function headingText(element) {
    const bo = element.businessObject;
    const name = getLabel(element);
    return `${typeLabel(bo)}${name ? ` «\u00a0${name}\u00a0»` : ''}`;
  }

  function heading(text) {
    return h('h2', { class: 'fr-h5', id: 'studio-panel-titre', tabindex: '-1' }, text);
  }

  function render(element, { keepFocus = true, focusHeading = false } = {}) {
    const sameElement = element && current && element.id === current.id;
    const active = document.activeElement;
    const focusedId = keepFocus && sameElement && container.contains(active) ? active.id : null;
    const selection = focusedId && 'selectionStart' in active
      ? [active.selectionStart, active.selectionEnd] : null;
    const scrollTop = container.scrollTop;

    if (!sameElement) {
      for (const entry of pending.values()) entry.timer.cancel();
      pending.clear();
    }
    current = element;
    const children = [];
    if (!element) {
      children.push(heading('Propriétés'),
        note('Sélectionnez un élément du diagramme pour voir et modifier ses propriétés.'),
        note('Ajoutez des éléments avec la palette à gauche du diagramme\u202f; Ctrl+Z annule, Ctrl+S enregistre le brouillon.'));
    } else {
      children.push(heading(headingText(element)));
      children.push(generalSection(element), ...sectionsFor(element));
    }
    children.push(h('datalist', { id: 'studio-statuts' },
      STATUTS.map((statut) => h('option', { value: statut }))));
    container.replaceChildren(...children);

    if (focusedId) {
      const target = document.getElementById(focusedId);
      if (target) {
        target.focus({ preventScroll: true });
        if (selection && 'setSelectionRange' in target) {
          try { target.setSelectionRange(selection[0], selection[1]); } catch (_error) { /* checkbox */ }
        }
      }
    }
    if (sameElement) container.scrollTop = scrollTop;
    else container.scrollTop = 0;
    if (focusHeading) {
      const title = document.getElementById('studio-panel-titre');
      if (title) title.focus();
    }
  }

  return {
    render,
    flush,
    get current() { return current; },
    get committing() { return committing; },
  };
}
