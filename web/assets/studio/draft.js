// Saving the draft's files: one request and one way of telling what went wrong, for the
// diagram editor and the decision-table editor alike.
import { h } from './dom';
import { HttpError, requestJson } from './http';
import { describeFailure } from './editor';

export async function putDraft(api, csrf, draft) {
  const data = await requestJson(`${api}/brouillon`, {
    method: 'PUT',
    csrf,
    body: { lock_version: draft.lockVersion, files: draft.files },
  });
  draft.lockVersion = data.lock_version;
}

export function showSaveFailure(messages, error) {
  if (error instanceof HttpError && error.status === 409) {
    const reload = h('button', { type: 'button', class: 'fr-btn fr-btn--sm fr-btn--secondary fr-mt-1w' },
      'Recharger le brouillon enregistré');
    reload.addEventListener('click', () => window.location.reload());
    messages.error('Le brouillon n’a pas été enregistré.',
      h('p', {}, (error.body && error.body.message)
        || 'Le brouillon a été modifié entre-temps par une autre personne.'),
      h('p', {}, 'Rechargez-le pour reprendre sa dernière version\u00a0: vos modifications de cette page seront perdues (copiez d’abord ce que vous voulez garder).'),
      reload);
  } else if (error instanceof HttpError && error.status === 422) {
    const errors = (error.body && error.body.errors) || {};
    messages.error('Le brouillon n’a pas été enregistré\u00a0:',
      h('ul', {}, Object.entries(errors).map(([name, message]) =>
        h('li', {}, name ? h('code', {}, name) : null, name ? '\u00a0: ' : null, String(message)))));
  } else {
    messages.error(null, h('p', {}, describeFailure(error, 'L’enregistrement')));
  }
}
