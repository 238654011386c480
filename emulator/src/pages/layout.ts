// Minimal HTML for the hosted pages. Every value is escaped.

export function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:640px;margin:2rem auto;padding:0 1rem}form{margin:1rem 0;padding:1rem;border:1px solid #ccc;border-radius:8px}
.banner{background:#fff3cd;padding:.5rem 1rem;border-radius:6px}.error{color:#b00020}button{margin:.25rem}</style></head>
<body><p class="banner">Stripe emulator: test mode, no real payment is made.</p><h1>${esc(title)}</h1>${body}</body></html>`;
}

export const TEST_CARDS: [string, string][] = [
  ['4242424242424242', 'Succeeds'],
  ['4000000000000002', 'Declined'],
  ['4000002500003155', 'Requires authentication (3D Secure)'],
];

export function cardSelect(name = 'card'): string {
  return `<label>Card <select name="${name}">${TEST_CARDS.map(([n, l]) => `<option value="${n}">${n} — ${esc(l)}</option>`).join('')}</select></label>`;
}

export function formatAmount(amount: number | null, currency: string | null): string {
  return `${amount ?? 0} ${String(currency ?? '').toUpperCase()} (smallest unit)`;
}
