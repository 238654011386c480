import { createHash } from 'node:crypto';

/** Where the page's files are served; the import map points bare imports there. */
export const ASSETS = '/billing/assets';

export interface PageShell {
  html: string;
  /** The Content-Security-Policy `script-src` source of the inline import map (its SHA-256). */
  importMapSource: string;
}

const escapeAttr = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The page's HTML: an empty shell that the browser code fills in. The only inline script is the
 * import map (JSON, not code; allowed by its hash in the page's CSP), which points the page's bare
 * imports (`@billing/client`, `openapi-fetch`) at the files the service serves from the built
 * client package and node_modules. `lang` is a first guess for the shell; the page decides for good
 * (the `lang` parameter, else the browser's languages) before it shows anything.
 */
export function pageShell(imports: Record<string, string>, lang: 'ja' | 'en'): PageShell {
  const importMap = JSON.stringify({ imports });
  const loading = lang === 'ja' ? '読み込み中…' : 'Loading…';
  const noscript = lang === 'ja' ? 'このページを使うには JavaScript を有効にしてください。' : 'This page needs JavaScript.';
  const html = `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${lang === 'ja' ? 'お支払いとプラン' : 'Billing'}</title>
<link rel="stylesheet" href="${escapeAttr(`${ASSETS}/app/billing.css`)}">
<script type="importmap">${importMap}</script>
<script type="module" src="${escapeAttr(`${ASSETS}/app/main.js`)}"></script>
</head>
<body>
<noscript><p>${noscript}</p></noscript>
<main id="app" aria-busy="true"><p class="loading">${loading}</p></main>
</body>
</html>
`;
  return { html, importMapSource: `'sha256-${createHash('sha256').update(importMap).digest('base64')}'` };
}

/** `ja` when the `lang` parameter, else the browser's first language, is Japanese; `en` otherwise. */
export function shellLanguage(query: string | undefined, acceptLanguage: string | undefined): 'ja' | 'en' {
  const first = query || acceptLanguage?.split(',')[0]?.trim() || '';
  return first.toLowerCase().startsWith('ja') ? 'ja' : 'en';
}
