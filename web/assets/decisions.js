// Entry of web/static/build/decisions.js: the process owners' decision-table editor (dmn-js) on
// one DMN file of the draft (#studio-decisions), saved through the draft's JSON API.
import DmnModeler from 'dmn-js/lib/Modeler';

import { h } from './studio/dom';
import { createMessages, describeFailure } from './studio/editor';
import { requestJson } from './studio/http';
import frenchTexts from './decisions-translate.js';
import { putDraft, showSaveFailure } from './studio/draft';

function byId(root, id) {
  return root.querySelector(`#${id}`) || document.getElementById(id);
}

export async function mountDecisions(root) {
  const api = (root.dataset.api || '').replace(/\/+$/, '');
  const csrf = root.dataset.csrf || '';
  const fileName = root.dataset.file || '';
  const messages = createMessages(byId(root, 'studio-messages'));
  const saveButton = byId(root, 'studio-save');

  const draft = { files: {}, lockVersion: null };
  const state = { dirty: false, changes: 0, busy: false, loaded: false };

  // Every keystroke in a cell is a change of the model: nothing is left pending at save time.
  const modeler = new DmnModeler({
    container: byId(root, 'studio-decisions-canvas'),
    common: { debounceInput: false },
    // dmn-js takes extra modules per view only (its `common` options drop them).
    decisionTable: { additionalModules: [frenchTexts] },
    drd: { additionalModules: [frenchTexts] },
    literalExpression: { additionalModules: [frenchTexts] },
  });

  function markDirty() {
    state.dirty = true;
    state.changes += 1;
    root.dataset.dirty = 'true';
  }

  function markClean() {
    state.dirty = false;
    root.dataset.dirty = 'false';
  }

  // Each view (decision table, diagram of the decisions…) has its own command stack.
  const watched = new WeakSet();
  function watchActiveViewer() {
    const viewer = modeler.getActiveViewer();
    if (!viewer || watched.has(viewer)) return;
    watched.add(viewer);
    viewer.on('commandStack.changed', (event) => {
      if (event && event.trigger === 'clear') return;
      if (state.loaded) markDirty();
    });
  }
  modeler.on('views.changed', watchActiveViewer);

  async function load() {
    messages.info('Chargement du brouillon…');
    let data;
    try {
      data = await requestJson(`${api}/brouillon`);
    } catch (error) {
      messages.error(null, h('p', {}, describeFailure(error, 'Le chargement du brouillon')));
      return;
    }
    draft.files = (data && data.files) || {};
    draft.lockVersion = data ? data.lock_version : null;
    const xml = draft.files[fileName];
    if (!xml) {
      messages.error(`Le brouillon ne contient pas de fichier «\u00a0${fileName}\u00a0».`);
      return;
    }
    try {
      const { warnings } = await modeler.importXML(xml);
      const table = modeler.getViews().find((view) => view.type === 'decisionTable');
      if (table) await modeler.open(table);
      watchActiveViewer();
      state.loaded = true;
      markClean();
      if (warnings && warnings.length) {
        messages.warning(`La table de décision est ouverte, avec ${warnings.length} avertissement${warnings.length > 1 ? 's' : ''} à l’import\u00a0: les éléments concernés seront perdus à l’enregistrement.`,
          h('ul', {}, warnings.slice(0, 8).map((warning) => h('li', {}, warning.message))));
      } else if (!table) {
        messages.warning('Le fichier ne contient pas de table de décision.');
      } else {
        messages.success('Brouillon chargé.');
      }
    } catch (error) {
      messages.error('La table de décision du brouillon n’a pas pu être ouverte.', h('p', {}, error.message));
    }
  }

  async function save() {
    if (!state.loaded) return false;
    const changes = state.changes;
    try {
      const { xml } = await modeler.saveXML({ format: true });
      draft.files[fileName] = xml;
    } catch (error) {
      messages.error('La table de décision n’a pas pu être exportée.', h('p', {}, error.message));
      return false;
    }
    messages.info('Enregistrement…');
    try {
      await putDraft(api, csrf, draft);
      if (state.changes === changes) markClean();
      messages.success('Brouillon enregistré.');
      return true;
    } catch (error) {
      showSaveFailure(messages, error);
      return false;
    }
  }

  async function guarded(action) {
    if (state.busy) return false;
    state.busy = true;
    root.setAttribute('aria-busy', 'true');
    try {
      return await action();
    } finally {
      state.busy = false;
      root.removeAttribute('aria-busy');
    }
  }

  if (saveButton) saveButton.addEventListener('click', () => guarded(save));
  document.addEventListener('keydown', (event) => {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === 's') {
      event.preventDefault();
      guarded(save);
    }
  });
  window.addEventListener('beforeunload', (event) => {
    if (!state.dirty) return undefined;
    event.preventDefault();
    event.returnValue = '';
    return '';
  });

  await load();
  return { modeler, draft, state, save: () => guarded(save) };
}

function start() {
  const root = document.getElementById('studio-decisions');
  if (root) window.inventaireDecisions = mountDecisions(root);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
