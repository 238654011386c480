import type { ErrorCode } from './error-codes.js';

/**
 * The service's error messages in Japanese, by code, for requests that ask for Japanese
 * (`Accept-Language: ja`): the users are Japanese companies and their staff. The code and details
 * stay as they are (clients act on the code); the message is for a person. `{field}`, `{price_id}`
 * and the like are filled from the error's details when it has them, and left out otherwise.
 * Typed by the registry of codes (error-codes.ts), so a new code cannot go without its Japanese.
 */
export const JA_MESSAGES: Record<ErrorCode, string> = {
  validation_failed: '入力内容に誤りがあります（{fields}）。',
  malformed_json: 'リクエスト本文が正しい JSON ではありません。',
  body_too_deep: 'リクエスト本文の配列・オブジェクトの入れ子が深すぎます。',
  invalid_characters: '{field} に使用できない文字（NUL 文字または対になっていないサロゲート）が含まれています。',
  invalid_idempotency_key: 'Idempotency-Key は 1〜255 文字の印字可能な ASCII 文字で指定してください。',
  invalid_time_range: '期間の開始（from）は終了（to）より前にしてください。',
  bad_request: 'リクエストが正しくありません。',
  price_not_in_catalog: 'この価格はこのアプリケーションでは販売されていません。',
  price_not_found: 'Stripe にこの価格（{price_id}）がありません。',
  price_inactive: 'この価格は販売が終了しているため購入できません。',
  no_price_for_interval: 'このプランには指定された請求間隔の価格がありません。',
  redirect_not_allowed: '戻り先の URL がアプリケーションで許可されたオリジンではありません。',
  conflicting_change: 'price_id と interval はどちらか一方だけを指定してください。',
  nothing_to_change: 'price_id、interval、quantity のいずれかを指定してください。',
  stripe_account_required: 'このマーチャントには Stripe の連結アカウント ID（acct_...）が必要です。',
  stripe_account_not_allowed: 'プラットフォームのマーチャントには連結アカウント ID を指定できません。',
  application_fee_not_allowed: 'プラットフォームのマーチャントにはアプリケーション手数料を設定できません。',
  merchant_required: 'マーチャント単位の再同期には merchant_id が必要です。',
  account_required: 'アカウント単位の再同期には account_id が必要です。',
  invalid_payload: 'Webhook の本文には Stripe のイベントを JSON で送ってください。',
  missing_signature: 'Stripe-Signature ヘッダーがありません。',
  malformed_signature: 'Stripe-Signature ヘッダーにタイムスタンプまたは v1 署名がありません。',
  invalid_signature: 'このアプリケーションの Webhook シークレットと一致する署名がありません。',
  stale_signature: '署名のタイムスタンプが現在時刻から離れすぎています。',
  invalid_event: '本文が Stripe のイベントの形式ではありません。',
  missing_token: 'アカウントのトークンを「Authorization: Bearer <jwt>」で送ってください。',
  invalid_token: 'トークンが正しくありません。',
  token_expired: 'トークンの有効期限が切れています。もう一度ログインしてください。',
  missing_account_claim: 'トークンにアカウントを示すクレームがありません。',
  invalid_account_claim: 'トークンのアカウント ID が正しくありません（255 文字以内の文字列）。',
  invalid_admin_token: '管理者トークンが正しくありません。',
  missing_api_key: 'アプリケーションの API キーを「Authorization: Bearer <key>」で送ってください。',
  invalid_api_key: 'API キーが正しくありません。',
  api_key_revoked: 'この API キーは無効化されています。',
  unauthorized: '認証が必要です。',
  account_mismatch: 'このトークンは別のアカウントのものです。',
  owner_role_required: 'この操作はアカウントのオーナーだけが行えます。',
  application_mismatch: 'X-Application-Id がトークンのアプリケーションと異なります。',
  origin_not_allowed: 'このページのオリジンはアプリケーションで許可されていません。',
  api_key_wrong_application: 'この API キーは別のアプリケーションのものです。',
  forbidden: 'この操作は許可されていません。',
  not_found: '指定されたページまたはリソースがありません。',
  application_not_found: '指定されたアプリケーションがありません。',
  merchant_not_found: '指定されたマーチャントがありません。',
  identity_not_found: 'このアカウントにはまだこのマーチャントの Stripe 顧客がありません。',
  trial_not_found: 'このアカウントにはこのアプリケーションのトライアルがありません。',
  checkout_session_not_found: 'このアカウントのチェックアウトセッションが見つかりません。',
  subscription_not_found: 'このアカウントの契約（サブスクリプション）が見つかりません。',
  api_key_not_found: '指定された API キーがありません。',
  webhook_event_not_found: '指定された Webhook イベントがありません。',
  reconcile_run_not_found: '指定された再同期の実行記録がありません。',
  stripe_resource_missing: 'Stripe に該当するオブジェクトがありません。',
  method_not_allowed: 'このメソッドは使用できません。',
  request_timeout: 'リクエストが時間内に届かなかったため、接続を閉じました。',
  payload_too_large: 'リクエスト本文が大きすぎます。',
  unsupported_media_type: '本文は application/json（UTF-8）で送ってください。',
  headers_too_large: 'リクエストヘッダーが大きすぎます。',
  already_subscribed: 'このアカウントはすでにこの商品を契約しています。',
  checkout_not_complete: 'チェックアウトがまだ完了していないため、契約はまだありません。',
  subscription_ended: 'この契約はすでに終了しています。',
  no_licensed_item: 'この契約にはプランや数量を変更できる品目がありません。',
  not_scheduled_to_cancel: 'この契約は期間終了時の解約が予約されていません。',
  trial_already_used: 'このアカウントはすでにこのアプリケーションのトライアルを利用済みです。',
  idempotency_conflict: '同じ Idempotency-Key で異なる内容のリクエストがすでに行われています。',
  application_exists: '同じ ID のアプリケーションがすでにあります。',
  merchant_exists: '同じ ID または連結アカウントのマーチャントがすでにあります。',
  reconcile_running: 'この範囲の再同期はすでに実行中です。',
  conflict: '現在の状態ではこの操作を行えません。',
  stripe_invalid_request: 'Stripe がこのリクエストを受け付けませんでした。',
  stripe_card_error: 'カードが利用できませんでした。別のカードをお試しください。',
  unprocessable: 'リクエストを処理できませんでした。',
  rate_limited: 'リクエストが多すぎます。しばらくしてからもう一度お試しください。',
  too_many_failed_attempts: 'このアドレスからの認証失敗が多すぎます。しばらくしてからもう一度お試しください。',
  internal_error: 'サービス側でエラーが発生しました。リクエスト ID をお知らせください。',
  stripe_unavailable: 'Stripe に接続できないか、Stripe でエラーが発生しました。しばらくしてからもう一度お試しください。',
  stripe_misconfigured: 'サービスの Stripe 設定に問題があります。運用担当者にお問い合わせください。',
  stripe_account_inaccessible: 'Stripe がマーチャントの連結アカウントへのアクセスを拒否しました（存在しないか、プラットフォームへのアクセスが取り消されています）。運用担当者にお問い合わせください。',
  stripe_error: 'Stripe から予期しないエラーが返されました。',
  stripe_timeout: 'Stripe の応答が時間内にありませんでした。しばらくしてからもう一度お試しください。',
  stripe_rate_limited: 'Stripe へのリクエストが制限されています。少し待ってからもう一度お試しください。',
  database_unavailable: 'データベースに接続できません。しばらくしてからもう一度お試しください。',
  service_unavailable: 'サービスが一時的に利用できません。',
  not_ready: 'サービスはまだリクエストを受け付ける準備ができていません。',
};

/**
 * The Japanese message of a code with its placeholders filled from the details (a field name, the
 * fields of a validation error, a price id); undefined for a code not registered.
 */
export function japaneseMessage(code: string, details?: Record<string, unknown>): string | undefined {
  const template = (JA_MESSAGES as Record<string, string | undefined>)[code];
  if (!template) return undefined;
  const fields = details?.fields && typeof details.fields === 'object' ? Object.keys(details.fields).join('、') : undefined;
  const values: Record<string, unknown> = { ...details, ...(fields ? { fields } : {}) };
  return template
    .replace(/\{(\w+)\}/g, (_whole, name: string) => (typeof values[name] === 'string' ? (values[name] as string) : ''))
    .replace(/（）|\(\)/g, '')
    .replace(/^ +| +$/g, '');
}

/** Whether a request's Accept-Language puts Japanese first (by order and q-value). */
export function prefersJapanese(acceptLanguage: string | string[] | undefined): boolean {
  const header = Array.isArray(acceptLanguage) ? acceptLanguage.join(',') : acceptLanguage;
  if (!header) return false;
  const ranked = header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().toLowerCase().split(';');
      const q = Number(params.map((p) => /^\s*q=([\d.]+)/.exec(p)?.[1]).find(Boolean) ?? 1);
      return { tag: tag.trim(), q: Number.isFinite(q) ? q : 0, index };
    })
    .filter((l) => l.tag && l.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranked[0]?.tag === 'ja' || ranked[0]?.tag.startsWith('ja-') === true;
}
