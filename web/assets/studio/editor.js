// The process owners' diagram editor: bpmn-js Modeler, our side panel, the draft's JSON API.
import Modeler from 'bpmn-js/lib/Modeler';

import { h } from './dom';
import { createEditing, getProperty } from './extensions';
import { HttpError, requestJson } from './http';
import { createPanel } from './panel';
import spiffworkflow from './spiffworkflow.json';
import translateModule from './translate';
import { putDraft, showSaveFailure } from './draft';

export const ERROR_MARKER = 'studio-en-erreur';

function byId(root, id) {
  return root.querySelector(`#${id}`) || document.getElementById(id);
}

// The status area (#studio-messages, role="status"): one DSFR alert at a time.
export function createMessages(container) {
  function show(kind, title, ...content) {
    if (!container) return;
    container.replaceChildren(h('div', { class: `fr-alert fr-alert--${kind} fr-alert--sm` },
      title ? h('p', { class: 'fr-text--bold fr-mb-0' }, title) : null,
      ...content));
  }
  return {
    info: (text) => show('info', null, h('p', {}, text)),
    success: (text) => show('success', null, h('p', {}, text)),
    warning: (title, ...content) => show('warning', title, ...content),
    error: (title, ...content) => show('error', title, ...content),
    clear: () => container && container.replaceChildren(),
  };
}

export function describeFailure(error, action) {
  if (error instanceof HttpError) {
    if (error.status === 401 || error.status === 403) {
      return `${action} a été refusé\u00a0: votre session a expiré ou vous n’avez plus le rôle de propriétaire du processus. Reconnectez-vous dans un autre onglet pour garder vos modifications, puis réessayez.`;
    }
    if (error.status === 400) {
      return `${action} a été refusé (jeton de sécurité expiré\u202f?). Rechargez la page.`;
    }
    return `${action} a échoué (erreur ${error.status} du serveur).`;
  }
  return `${action} a échoué\u00a0: le serveur est injoignable. Vos modifications restent dans cette page\u202f; réessayez.`;
}

export async function mountEditor(root) {
  const api = (root.dataset.api || '').replace(/\/+$/, '');
  const csrf = root.dataset.csrf || '';
  const previewUrl = root.dataset.previewUrl || `${api.replace(/\/[^/]+$/, '')}/formulaire/apercu`;
  const canvasContainer = byId(root, 'studio-canvas');
  const panelContainer = byId(root, 'studio-panel');
  const messages = createMessages(byId(root, 'studio-messages'));
  const saveButton = byId(root, 'studio-save');
  const validateButton = byId(root, 'studio-validate');
  const deployHint = byId(root, 'studio-deploy-hint');

  const draft = { files: {}, main: null, lockVersion: null };
  const state = { dirty: false, changes: 0, busy: false, loaded: false, markers: [] };

  const modeler = new Modeler({
    container: canvasContainer,
    moddleExtensions: { spiffworkflow },
    additionalModules: [translateModule],
  });
  const canvas = modeler.get('canvas');
  const elementRegistry = modeler.get('elementRegistry');
  const selection = modeler.get('selection');
  const editing = createEditing(modeler);

  function markDirty() {
    state.dirty = true;
    state.changes += 1;
    root.dataset.dirty = 'true';
    if (deployHint) deployHint.hidden = true;
  }

  function markClean() {
    state.dirty = false;
    root.dataset.dirty = 'false';
  }

  const panel = createPanel({
    container: panelContainer,
    modeler,
    editing,
    draft,
    previewUrl,
    csrf,
    onFilesChange: markDirty,
  });

  // Re-draw the panel after the current command (never in the middle of one).
  let renderQueued = null;
  function queueRender(options = {}) {
    const focusHeading = Boolean(options.focusHeading || (renderQueued && renderQueued.focusHeading));
    if (renderQueued) {
      renderQueued.focusHeading = focusHeading;
      return;
    }
    renderQueued = { focusHeading };
    setTimeout(() => {
      const { focusHeading: focus } = renderQueued;
      renderQueued = null;
      panel.flush();
      const selected = selection.get();
      let element = selected.length === 1 ? selected[0] : null;
      if (element && element.labelTarget) element = element.labelTarget;
      if (element && !elementRegistry.get(element.id)) element = null;
      panel.render(element, { focusHeading: focus });
    }, 0);
  }

  modeler.on('selection.changed', () => queueRender());
  modeler.on('commandStack.changed', (event) => {
    if (event.trigger === 'clear') return;
    markDirty();
    if (!panel.committing) queueRender();
  });

  // ---- markers of the last validation ----------------------------------------------------

  function clearMarkers() {
    for (const id of state.markers) {
      if (elementRegistry.get(id)) canvas.removeMarker(id, ERROR_MARKER);
    }
    state.markers = [];
  }

  // A problem names an element id, a process id (shown by its pool) or a form file.
  function findElement(reference) {
    if (!reference) return null;
    const direct = elementRegistry.get(reference);
    if (direct) return direct.labelTarget || direct;
    const fileName = reference.replace(/^forms\//, '');
    return elementRegistry.find((element) => {
      const bo = element.businessObject;
      if (!bo || element.labelTarget) return false;
      if (bo.processRef && bo.processRef.id === reference) return true;
      return getProperty(bo, 'formJsonSchemaFilename') === fileName
        || getProperty(bo, 'formUiSchemaFilename') === fileName;
    }) || null;
  }

  function showElement(element) {
    selection.select(element);
    if (canvas.scrollToElement) canvas.scrollToElement(element, { top: 80, bottom: 80, left: 80, right: 80 });
    queueRender({ focusHeading: true });
  }

  // ---- load, save, validate --------------------------------------------------------------

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
    draft.main = (data && data.main_bpmn) || `${root.dataset.key || 'processus'}.bpmn`;
    draft.lockVersion = data ? data.lock_version : null;
    const xml = draft.files[draft.main];
    try {
      let warnings = [];
      if (xml) {
        ({ warnings } = await modeler.importXML(xml));
      } else {
        await modeler.createDiagram();
      }
      showReadable(canvas);
      state.loaded = true;
      markClean();
      panel.render(null);
      if (!xml) {
        markDirty();
        messages.warning('Le brouillon ne contenait pas de diagramme\u00a0: un diagramme vide a été créé.');
      } else if (warnings.length) {
        messages.warning(`Le diagramme est ouvert, avec ${warnings.length} avertissement${warnings.length > 1 ? 's' : ''} à l’import\u00a0: les éléments concernés seront perdus à l’enregistrement.`,
          h('ul', {}, warnings.slice(0, 8).map((warning) => h('li', {}, warning.message))));
      } else {
        messages.success('Brouillon chargé.');
      }
    } catch (error) {
      messages.error('Le diagramme du brouillon n’a pas pu être ouvert.', h('p', {}, error.message));
    }
  }

  async function save({ quiet = false } = {}) {
    if (!state.loaded) return false;
    panel.flush();
    const changes = state.changes;
    try {
      const { xml } = await modeler.saveXML({ format: true });
      draft.files[draft.main] = xml;
    } catch (error) {
      messages.error('Le diagramme n’a pas pu être exporté.', h('p', {}, error.message));
      return false;
    }
    if (!quiet) messages.info('Enregistrement…');
    try {
      await putDraft(api, csrf, draft);
      if (state.changes === changes) markClean();
      if (!quiet) messages.success('Brouillon enregistré.');
      return true;
    } catch (error) {
      showSaveFailure(messages, error);
      return false;
    }
  }

  async function validate() {
    messages.info(state.dirty ? 'Enregistrement et vérification…' : 'Vérification…');
    if (state.dirty && !(await save({ quiet: true }))) return;
    let result;
    try {
      result = await requestJson(`${api}/brouillon/verification`, { method: 'POST', csrf });
    } catch (error) {
      messages.error(null, h('p', {}, describeFailure(error, 'La vérification')));
      return;
    }
    clearMarkers();
    const problems = (result && result.problems) || [];
    if (result && result.deployable) {
      messages.success('Le modèle est déployable.');
      if (deployHint && !state.dirty) deployHint.hidden = false;
      return;
    }
    if (deployHint) deployHint.hidden = true;
    const items = problems.map((problem) => {
      const element = findElement(problem.element);
      if (element && !state.markers.includes(element.id)) {
        canvas.addMarker(element.id, ERROR_MARKER);
        state.markers.push(element.id);
      }
      if (!element) return h('li', {}, problem.message);
      const button = h('button', {
        type: 'button',
        class: 'fr-link studio-probleme',
        'data-element-id': element.id,
        title: 'Afficher cet élément dans le diagramme',
      }, problem.message);
      button.addEventListener('click', () => showElement(element));
      return h('li', {}, button);
    });
    const count = problems.length;
    messages.error(count
      ? `Le modèle n’est pas déployable\u00a0: ${count} problème${count > 1 ? 's' : ''}.`
      : 'Le modèle n’est pas déployable.',
    count ? h('ul', { class: 'studio-problemes' }, items) : null);
  }

  async function guarded(action) {
    if (state.busy) return;
    state.busy = true;
    root.setAttribute('aria-busy', 'true');
    try {
      await action();
    } finally {
      state.busy = false;
      root.removeAttribute('aria-busy');
    }
  }

  if (saveButton) saveButton.addEventListener('click', () => guarded(() => save()));
  if (validateButton) validateButton.addEventListener('click', () => guarded(validate));
  document.addEventListener('keydown', (event) => {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === 's') {
      event.preventDefault();
      guarded(() => save());
    }
  });
  window.addEventListener('beforeunload', (event) => {
    if (!state.dirty) return undefined;
    event.preventDefault();
    event.returnValue = '';
    return '';
  });

  await load();
  return { modeler, draft, state, save, validate };
}


// A whole procedure fitted in the viewport is too small to read: below a readable scale, show its
// start at 80 %, right of the palette, and let the person scroll.
function showReadable(canvas) {
  const scale = canvas.zoom('fit-viewport', 'auto');
  if (scale >= 0.7) return;
  const box = canvas.viewbox();
  canvas.viewbox({
    x: box.inner.x - 140,
    y: box.inner.y - 20,
    width: box.outer.width / 0.8,
    height: box.outer.height / 0.8,
  });
}
