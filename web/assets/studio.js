// Entry of web/static/build/studio.js: the process owners' diagram editor (#studio-editor) and
// the read-only diagram with markers (#studio-viewer), whichever the page holds.
import { mountEditor } from './studio/editor';
import { mountViewer } from './studio/viewer';

function start() {
  const editor = document.getElementById('studio-editor');
  if (editor) {
    window.inventaireStudio = mountEditor(editor);
  }
  const viewer = document.getElementById('studio-viewer');
  if (viewer) {
    window.inventaireViewer = mountViewer(viewer);
  }
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
