// Entry of web/static/build/viewer.js: the read-only diagram only (#studio-viewer), lighter than
// studio.js for pages that only show a diagram.
import { mountViewer } from './studio/viewer';

function start() {
  const viewer = document.getElementById('studio-viewer');
  if (viewer) window.inventaireViewer = mountViewer(viewer);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
