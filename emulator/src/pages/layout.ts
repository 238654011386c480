// Minimal HTML for the hosted pages, in English or Japanese. Every value is escaped.

export type Lang = 'en' | 'ja';

export function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * The language of a page: the `lang` query parameter, else the session's `locale` (as Stripe's
 * hosted pages take it), else the first of the browser's Accept-Language (by q) that is English or
 * Japanese; English otherwise.
 */
export function pickLang(query: string | undefined, locale: string | null | undefined, acceptLanguage: string | undefined): Lang {
  for (const candidate of [query, locale]) {
    const lang = known(candidate);
    if (lang) return lang;
  }
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part, index) => {
      const [tag, ...params] = part.trim().split(';');
      const q = Number(params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find(Boolean) ?? 1);
      return { tag: tag!.trim(), q: Number.isNaN(q) ? 0 : q, index };
    })
    .filter((entry) => entry.tag && entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { tag } of ranked) {
    const lang = known(tag);
    if (lang) return lang;
  }
  return 'en';
}

function known(tag: string | null | undefined): Lang | undefined {
  const primary = tag?.toLowerCase().split('-')[0];
  return primary === 'ja' || primary === 'en' ? primary : undefined;
}

/** Every text of the hosted pages, by language. */
export const TEXT = {
  en: {
    banner: 'Stripe emulator: test mode, no real payment is made.',
    checkout: 'Checkout',
    portal: 'Billing portal',
    invoice: 'Invoice',
    perInterval: (interval: string, count: number) => (count > 1 ? `every ${count} ${interval}s` : `per ${interval}`),
    total: 'Total due today',
    email: 'Email',
    card: 'Card',
    subscribe: 'Subscribe',
    saveCard: 'Save card',
    expire: 'Expire this session',
    cancelAndReturn: 'Cancel and go back',
    authenticate: 'Your bank asks you to confirm this payment (3D Secure).',
    authenticateOk: 'Complete authentication',
    authenticateFail: 'Fail authentication',
    thanks: 'Thank you! Your subscription has started.',
    expired: 'This checkout session has expired.',
    continue: 'Continue',
    customer: 'Customer',
    noSubscriptions: 'There is no subscription to manage.',
    cancelsAtPeriodEnd: 'cancels at the end of the period',
    renews: (date: string) => `Current period ends on ${date}`,
    quantity: 'Quantity',
    newPlan: 'New plan',
    updatePlan: 'Update plan',
    resume: 'Renew subscription',
    cancel: 'Cancel at period end',
    updateCard: 'Update payment method',
    back: 'Return',
    amountDue: 'Amount due',
    pay: 'Pay',
    reference: 'Reference',
    status: {
      active: 'active',
      trialing: 'trialing',
      past_due: 'past due',
      unpaid: 'unpaid',
      canceled: 'canceled',
      incomplete: 'incomplete',
      incomplete_expired: 'incomplete, expired',
      paused: 'paused',
      open: 'open',
      complete: 'complete',
      expired: 'expired',
      draft: 'draft',
      paid: 'paid',
      void: 'void',
      uncollectible: 'uncollectible',
    } as Record<string, string>,
    cards: { '4242424242424242': 'Succeeds', '4000000000000002': 'Declined', '4000002500003155': 'Requires authentication (3D Secure)' } as Record<string, string>,
  },
  ja: {
    banner: 'Stripe エミュレーター: テストモードです。実際の支払いは発生しません。',
    checkout: 'お申し込み',
    portal: 'ご契約の管理',
    invoice: '請求書',
    perInterval: (interval: string, count: number) => {
      const unit = { day: '日', week: '週', month: 'か月', year: '年' }[interval] ?? interval;
      return count > 1 ? `${count}${unit}ごと` : `${{ day: '毎日', week: '毎週', month: '毎月', year: '毎年' }[interval] ?? unit}`;
    },
    total: '本日のお支払い',
    email: 'メールアドレス',
    card: 'カード',
    subscribe: '申し込む',
    saveCard: 'カードを保存する',
    expire: 'このセッションを期限切れにする',
    cancelAndReturn: 'キャンセルして戻る',
    authenticate: 'カード会社がこの支払いの確認を求めています (3D セキュア)。',
    authenticateOk: '認証を完了する',
    authenticateFail: '認証を失敗させる',
    thanks: 'ありがとうございます。お申し込みが完了しました。',
    expired: 'このお申し込みの有効期限が切れました。',
    continue: '続ける',
    customer: 'お客様',
    noSubscriptions: '管理できるご契約はありません。',
    cancelsAtPeriodEnd: '期間の終了時に解約',
    renews: (date: string) => `現在の期間の終了日: ${date}`,
    quantity: '数量',
    newPlan: '新しいプラン',
    updatePlan: 'プランを変更する',
    resume: '解約を取り消す',
    cancel: '期間の終了時に解約する',
    updateCard: 'お支払い方法を変更する',
    back: '戻る',
    amountDue: 'ご請求額',
    pay: '支払う',
    reference: '参照',
    status: {
      active: '有効',
      trialing: 'トライアル中',
      past_due: '支払い遅延',
      unpaid: '未払い',
      canceled: '解約済み',
      incomplete: '未完了',
      incomplete_expired: '未完了 (期限切れ)',
      paused: '一時停止',
      open: '未払い',
      complete: '完了',
      expired: '期限切れ',
      draft: '下書き',
      paid: '支払い済み',
      void: '無効',
      uncollectible: '回収不能',
    } as Record<string, string>,
    cards: { '4242424242424242': '成功する', '4000000000000002': '拒否される', '4000002500003155': '認証が必要 (3D セキュア)' } as Record<string, string>,
  },
} satisfies Record<Lang, unknown>;

export type Texts = (typeof TEXT)['en'];

export function page(lang: Lang, title: string, body: string): string {
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:640px;margin:2rem auto;padding:0 1rem}form{margin:1rem 0;padding:1rem;border:1px solid #ccc;border-radius:8px}
.banner{background:#fff3cd;padding:.5rem 1rem;border-radius:6px}.error{color:#b00020}button{margin:.25rem}.amount{font-size:1.25rem;font-weight:600}
.muted{color:#666;font-size:.85rem}ul.items{list-style:none;padding:0}ul.items li{padding:.5rem 0;border-bottom:1px solid #eee}</style></head>
<body><p class="banner">${esc(TEXT[lang].banner)}</p><h1>${esc(title)}</h1>${body}</body></html>`;
}

export const TEST_CARDS = ['4242424242424242', '4000000000000002', '4000002500003155'];

export function cardSelect(lang: Lang, name = 'card'): string {
  const t = TEXT[lang];
  return `<label>${esc(t.card)} <select name="${name}">${TEST_CARDS.map((n) => `<option value="${n}">${n.replace(/(\d{4})(?=\d)/g, '$1 ')} — ${esc(t.cards[n])}</option>`).join('')}</select></label>`;
}

// Currencies whose amounts Stripe counts in whole units, and those it counts in thousandths
// (https://docs.stripe.com/currencies#zero-decimal); every other one in hundredths.
const ZERO_DECIMAL = new Set(['bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf']);
const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

/** An amount in Stripe's smallest unit as people read it in that language: ¥1,000 / ￥1,000, $12.50. */
export function formatAmount(amount: number | null, currency: string | null, lang: Lang = 'en'): string {
  const code = (currency ?? '').toLowerCase();
  const units = (amount ?? 0) / (ZERO_DECIMAL.has(code) ? 1 : THREE_DECIMAL.has(code) ? 1000 : 100);
  try {
    return new Intl.NumberFormat(lang === 'ja' ? 'ja-JP' : 'en-US', { style: 'currency', currency: code.toUpperCase() }).format(units);
  } catch {
    // Not a currency Intl knows: the number and the code.
    return `${units.toLocaleString(lang === 'ja' ? 'ja-JP' : 'en-US')} ${code.toUpperCase()}`;
  }
}

/** A date (unix seconds) as people read it in that language. */
export function formatDate(seconds: number, lang: Lang): string {
  return new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-US', { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(seconds * 1000));
}
