// A tiny element builder: h('p', {class: 'fr-text'}, 'texte', child…).
export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      node.addEventListener(key.slice(2), value);
    } else if (key === 'value' && ('value' in node)) {
      node.value = value;
    } else if (key === 'checked') {
      node.checked = Boolean(value);
    } else {
      node.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : String(child));
  }
}

export function debounce(fn, delay) {
  let timer = null;
  const debounced = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => { timer = null; fn(...args); }, delay);
  };
  debounced.cancel = () => { clearTimeout(timer); timer = null; };
  return debounced;
}

// "1 dossier", "3 dossiers"; numbers the French way (1,5).
export function plural(count, singular, pluralForm) {
  return `${formatNumber(count)} ${count > 1 ? (pluralForm || singular + 's') : singular}`;
}

// 35 500 (narrow no-break space) from five digits on; 2026 and 1000 stay whole, as the pages.
export function formatNumber(value) {
  return Number(value).toLocaleString('fr-FR', { maximumFractionDigits: 1, useGrouping: 'min2' });
}
