// The proration preview of a change, in words: what is charged now, and what the next renewal
// will be, from `POST /api/subscriptions/{id}/change/preview`.
import type { ChangePreview } from './api.js';
import { h, type Child } from './dom.js';
import type { Translator } from './i18n.js';

/**
 * `recurring` describes the plan after the change ("¥30,000 / year" for 3 seats), from the catalog:
 * shown when the change is billed at once (an interval change starts a new period), where the
 * preview's invoice is the one charged now and the renewal after it is the plan's own price.
 */
export function renderPreview(
  preview: ChangePreview,
  tr: Translator,
  context: { renewsAt: string | null; recurring: (priceId: string, quantity: number | null | undefined) => string | undefined },
): HTMLElement {
  const rows: Child[] = [];
  const row = (term: string, amount: string, className = '') => h('div', { class: className }, h('dt', {}, term), h('dd', { class: 'amount' }, amount));
  if (preview.amount_due_now > 0) rows.push(row(tr.t('previewDueNow'), tr.money(preview.amount_due_now, preview.currency), 'due-now'));
  else if (preview.amount_due_now < 0) rows.push(row(tr.t('previewCredit'), tr.money(-preview.amount_due_now, preview.currency), 'due-now'));
  const next = preview.next_invoice;
  if (next && next.billed === 'period_end') {
    // The renewal is at the end of the current period (the invoice's period starts there).
    const at = context.renewsAt ?? next.period_start;
    const date = at ? tr.t('previewNextRenewalOn', { date: tr.date(at) }) : tr.t('previewNextRenewal');
    rows.push(row(date, tr.money(next.amount_due, preview.currency), 'next-renewal'));
  }
  if (next && next.billed === 'now') {
    const then = context.recurring(preview.price_id, preview.quantity);
    if (then) rows.push(h('div', { class: 'then' }, h('dt', {}, tr.t('previewThen')), h('dd', { class: 'amount' }, then)));
  }
  const lines = (preview.proration_lines ?? []).filter((line) => line.amount !== 0);
  return h(
    'div',
    { class: 'preview-result' },
    preview.amount_due_now === 0 && h('p', { class: 'due-now' }, tr.t('previewNothingNow')),
    h('dl', { class: 'facts preview-facts' }, ...rows),
    lines.length > 0 &&
      h(
        'details',
        {},
        h('summary', {}, tr.t('previewLines')),
        h(
          'ul',
          {},
          ...lines.map((line) => {
            const period = { start: tr.date(line.period_start), end: tr.date(line.period_end) };
            const label = line.amount < 0 ? tr.t('previewCreditLine', period) : tr.t('previewChargeLine', period);
            return h('li', {}, `${label}: ${tr.money(line.amount, preview.currency)}`);
          }),
        ),
      ),
  );
}
