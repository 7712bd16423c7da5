// Read-only diagram with where dossiers are: steps done, current, waiting, and counts.
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';

import { formatNumber, h, plural } from './dom';
import { requestJson, requestText } from './http';
import spiffworkflow from './spiffworkflow.json';
import translateModule from './translate';

const MARKERS = {
  completed: 'etape-faite',
  current: 'etape-en-cours',
  waiting: 'etape-en-attente',
};

export function countLabel({ count, median_days: median }) {
  const parts = [plural(count, 'dossier')];
  if (median !== undefined && median !== null) parts.push(`médiane ${formatNumber(median)} j`);
  return parts.join(' · ');
}

export async function mountViewer(root) {
  const diagramUrl = root.dataset.diagramUrl;
  const markersUrl = root.dataset.markersUrl;
  root.classList.add('studio-viewer');
  const viewer = new NavigatedViewer({
    container: root,
    moddleExtensions: { spiffworkflow },
    additionalModules: [translateModule],
  });
  const fail = (text) => {
    root.append(h('p', { class: 'fr-error-text studio-viewer-erreur' }, text));
  };
  let xml;
  let markers = null;
  try {
    [xml, markers] = await Promise.all([
      requestText(diagramUrl),
      markersUrl ? requestJson(markersUrl) : Promise.resolve(null),
    ]);
  } catch (error) {
    fail(`Le diagramme n’a pas pu être chargé${error.status ? ` (erreur ${error.status})` : ''}.`);
    return { viewer };
  }
  try {
    await viewer.importXML(xml);
  } catch (error) {
    fail(`Le diagramme n’a pas pu être affiché\u00a0: ${error.message}`);
    return { viewer };
  }
  const canvas = viewer.get('canvas');
  const elementRegistry = viewer.get('elementRegistry');
  const overlays = viewer.get('overlays');
  canvas.zoom('fit-viewport', 'auto');
  if (markers) {
    for (const [key, marker] of Object.entries(MARKERS)) {
      for (const id of markers[key] || []) {
        if (elementRegistry.get(id)) canvas.addMarker(id, marker);
      }
    }
    for (const [id, counts] of Object.entries(markers.counts || {})) {
      if (!elementRegistry.get(id) || !counts || !counts.count) continue;
      overlays.add(id, 'studio-compte', {
        position: { top: -24, left: 0 },
        html: `<span class="studio-compte">${countLabel(counts)}</span>`,
      });
    }
  }
  root.dataset.ready = 'true';
  return { viewer };
}
