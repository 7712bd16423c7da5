// JSON over fetch, same origin, with Flask-WTF's CSRF header on writes.
export class HttpError extends Error {
  constructor(status, body) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export async function requestJson(url, { method = 'GET', body, csrf, signal } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (csrf && method !== 'GET') headers['X-CSRFToken'] = csrf;
  const response = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    signal,
  });
  let data = null;
  const type = response.headers.get('Content-Type') || '';
  if (type.includes('json')) {
    try { data = await response.json(); } catch (_error) { data = null; }
  }
  if (!response.ok) throw new HttpError(response.status, data);
  return data;
}

export async function requestText(url) {
  const response = await fetch(url, { credentials: 'same-origin' });
  if (!response.ok) throw new HttpError(response.status, null);
  return response.text();
}
