// Every word the page shows, in English and Japanese, and the formats of money and dates. The
// Japanese table is typed as the English one, so a string missing from either fails the type-check.

export type Lang = 'en' | 'ja';

const en = {
  title: 'Billing',
  languageLabel: 'Language',
  loading: 'Loading your billing details…',
  // Sign-in (the token the host app hands over)
  noToken: 'This page needs a sign-in from your app. Open billing again from the app.',
  waitingForHost: 'Waiting for {host} to sign you in…',
  badHostOrigin: 'This page was opened with an invalid host_origin parameter ({value}). It must be an origin such as https://app.example.com.',
  tokenExpired: 'Your sign-in has expired. Go back to the app and open billing again.',
  tokenExpiredEmbedded: 'Your sign-in has expired. Waiting for the app to renew it…',
  readOnly: 'You can see this account’s billing, but only the account owner can subscribe, change or cancel.',
  signedInAs: 'Account {account}',
  // Sections
  subscriptionsHeading: 'Your subscriptions',
  noSubscriptions: 'This account has no subscription yet.',
  subscribeHeading: 'Subscribe',
  subscribeIntro: 'Choose a plan. You pay on Stripe’s secure checkout page, which opens in a new tab.',
  noCatalog: 'There is nothing to subscribe to yet.',
  allSubscribed: 'Every plan on offer is already among your subscriptions.',
  featuresHeading: 'Features you can use',
  noFeatures: 'No features are available to this account right now.',
  featureUntil: 'until {date}',
  featureTrial: 'trial',
  invoicesHeading: 'Invoices',
  noInvoices: 'No invoices yet.',
  merchantHeading: 'Seller',
  paymentHeading: 'Payment and records',
  paymentIntro: 'Update your card or billing details on Stripe’s customer portal (opens in a new tab).',
  syncIntro: 'If something looks out of date, fetch the latest state from Stripe.',
  // Subscription card
  plan: 'Plan',
  status: 'Status',
  quantity: 'Quantity',
  total: 'Total',
  seats: '{count} seats',
  seat: '1 seat',
  currentPeriodEnd: 'Current period ends',
  renews: 'Renews on',
  trialEnds: 'Trial ends',
  endedOn: 'Ended on',
  latestInvoice: 'Latest invoice',
  cancelNotice: 'This subscription will be canceled on {date}. You keep access until then, and you can resume it before that date.',
  cancelNoticeNoDate: 'This subscription will be canceled at the end of the current period. You can resume it before then.',
  pastDueNotice: 'The last payment failed. Update your payment method in the customer portal to keep access.',
  incompleteNotice: 'The first payment is not complete yet.',
  unknownPlan: 'Plan {price}',
  // Plan labels
  perInterval: '{amount} / {interval}',
  everyN: '{amount} every {count} {interval}',
  meteredPrice: 'billed by usage',
  tieredPrice: 'price varies',
  interval_day: 'day',
  interval_week: 'week',
  interval_month: 'month',
  interval_year: 'year',
  intervals_day: 'days',
  intervals_week: 'weeks',
  intervals_month: 'months',
  intervals_year: 'years',
  // Statuses
  status_active: 'Active',
  status_trialing: 'Trial',
  status_past_due: 'Payment overdue',
  status_canceled: 'Canceled',
  status_incomplete: 'Awaiting first payment',
  status_incomplete_expired: 'Expired before payment',
  status_unpaid: 'Unpaid',
  status_paused: 'Paused',
  status_unknown: 'Unknown ({status})',
  invoice_draft: 'Draft',
  invoice_open: 'Due',
  invoice_paid: 'Paid',
  invoice_uncollectible: 'Uncollectible',
  invoice_void: 'Void',
  invoice_none: 'No status',
  // Invoices table
  invoiceDate: 'Date',
  invoicePeriod: 'Period',
  invoiceAmount: 'Amount',
  invoiceStatus: 'Status',
  invoiceLink: 'Invoice',
  invoiceView: 'View invoice',
  invoiceViewFor: 'View invoice of {date}',
  periodRange: '{start} – {end}',
  // Merchant
  merchantCountry: 'Country',
  merchantCurrency: 'Currency',
  // Actions
  subscribe: 'Subscribe',
  quantityLabel: 'Number of seats',
  managePayment: 'Manage payment',
  sync: 'Sync with Stripe',
  switchToYearly: 'Switch to yearly',
  switchToMonthly: 'Switch to monthly',
  changeQuantity: 'Change quantity',
  cancelAtPeriodEnd: 'Cancel at period end',
  resume: 'Resume',
  cancelNow: 'Cancel now',
  // Dialogs
  previewLoading: 'Calculating the cost of this change…',
  confirmSwitchYearTitle: 'Switch {plan} to yearly billing?',
  confirmSwitchMonthTitle: 'Switch {plan} to monthly billing?',
  confirmQuantityTitle: 'Change the number of seats of {plan}',
  newQuantity: 'New number of seats',
  reviewChange: 'Review the cost',
  confirmChange: 'Confirm change',
  keepAsIs: 'Keep as it is',
  previewDueNow: 'Charged now',
  previewNextRenewal: 'Next renewal',
  previewNextRenewalOn: 'Next renewal on {date}',
  previewCredit: 'Credited now',
  previewThen: 'Then',
  previewNothingNow: 'Nothing is charged now.',
  previewLines: 'Details',
  previewCreditLine: 'Credit for the unused time of the current plan ({start} – {end})',
  previewChargeLine: 'The rest of the current period on the new plan ({start} – {end})',
  previewUnavailable: 'The cost of this change could not be calculated: {reason}',
  confirmCancelTitle: 'Cancel {plan} now?',
  confirmCancelBody: 'The subscription ends immediately and its features stop now. This cannot be undone; to use it again you will have to subscribe again.',
  confirmCancelButton: 'Cancel subscription now',
  keepSubscription: 'Keep subscription',
  // Checkout and portal in another tab
  checkoutOpened: 'Stripe’s checkout opened in a new tab. Complete the payment there; this page updates when you come back.',
  checkoutPopupBlocked: 'Your browser blocked the new tab. Open the checkout page with this link:',
  checkoutLink: 'Open Stripe checkout',
  checkoutCheck: 'I have paid: check now',
  checkoutNotYet: 'The payment is not complete yet. Finish it in the checkout tab, then come back.',
  checkoutDone: 'Thank you! Your subscription to {plan} is now {status}.',
  checkoutCanceled: 'Checkout was canceled. Nothing was charged.',
  checkoutReturnTitle: 'Payment received',
  checkoutReturnBody: 'Your payment is complete. Go back to the billing page to see your subscription; you can close this tab.',
  portalOpened: 'The customer portal opened in a new tab. Changes you make there show here when you come back.',
  portalBack: 'Back from the customer portal. Changes made there appear here once Stripe reports them, usually within seconds; “Sync with Stripe” fetches them now.',
  portalPopupBlocked: 'Your browser blocked the new tab. Open the customer portal with this link:',
  portalLink: 'Open the customer portal',
  portalReturnTitle: 'Back from the customer portal',
  portalReturnBody: 'You can close this tab and go back to the billing page.',
  closeTab: 'Close this tab',
  // Results
  switchedYear: '{plan} is now billed yearly.',
  switchedMonth: '{plan} is now billed monthly.',
  quantityChanged: '{plan} now has {count} seats.',
  cancelScheduled: '{plan} will be canceled on {date}.',
  resumed: '{plan} will renew as usual.',
  canceledNow: '{plan} has been canceled.',
  synced: 'Synced with Stripe: {created} new, {updated} updated, {unchanged} unchanged.',
  // Errors
  errorTitle: 'Something went wrong',
  errorReference: 'Reference: {id}',
  retryIn: 'Try again in {seconds} seconds.',
  dismiss: 'Dismiss',
};

export type MessageKey = keyof typeof en;

const ja: Record<MessageKey, string> = {
  title: 'お支払いとプラン',
  languageLabel: '言語',
  loading: 'お支払い情報を読み込んでいます…',
  noToken: 'このページを開くにはアプリからのサインインが必要です。アプリからもう一度開いてください。',
  waitingForHost: '{host} からのサインインを待っています…',
  badHostOrigin: 'host_origin パラメーター（{value}）が正しくありません。https://app.example.com のようなオリジンを指定してください。',
  tokenExpired: 'サインインの有効期限が切れました。アプリに戻って、もう一度お支払いページを開いてください。',
  tokenExpiredEmbedded: 'サインインの有効期限が切れました。アプリが更新するのを待っています…',
  readOnly: 'このアカウントのお支払い情報を閲覧できますが、申し込み・変更・解約はアカウントのオーナーだけが行えます。',
  signedInAs: 'アカウント {account}',
  subscriptionsHeading: 'ご契約中のプラン',
  noSubscriptions: 'このアカウントにはまだ契約がありません。',
  subscribeHeading: '申し込む',
  subscribeIntro: 'プランを選んでください。お支払いは新しいタブで開く Stripe の安全な決済ページで行います。',
  noCatalog: '申し込めるプランはまだありません。',
  allSubscribed: '提供中のプランはすべて契約済みです。',
  featuresHeading: '利用できる機能',
  noFeatures: '現在このアカウントで利用できる機能はありません。',
  featureUntil: '{date} まで',
  featureTrial: 'トライアル',
  invoicesHeading: '請求書',
  noInvoices: '請求書はまだありません。',
  merchantHeading: '販売者',
  paymentHeading: 'お支払い方法と記録',
  paymentIntro: 'カードや請求先の情報は Stripe のカスタマーポータル（新しいタブで開きます）で変更できます。',
  syncIntro: '表示が最新でないと思われるときは、Stripe から最新の状態を取得してください。',
  plan: 'プラン',
  status: '状態',
  quantity: '数量',
  total: '合計',
  seats: '{count} ライセンス',
  seat: '1 ライセンス',
  currentPeriodEnd: '現在の期間の終了日',
  renews: '次回更新日',
  trialEnds: 'トライアル終了日',
  endedOn: '終了日',
  latestInvoice: '最新の請求',
  cancelNotice: 'この契約は {date} に解約されます。それまでは引き続き利用でき、その日までなら解約を取り消せます。',
  cancelNoticeNoDate: 'この契約は現在の期間の終わりに解約されます。それまでなら解約を取り消せます。',
  pastDueNotice: '前回のお支払いができませんでした。利用を続けるには、カスタマーポータルでお支払い方法を更新してください。',
  incompleteNotice: '初回のお支払いがまだ完了していません。',
  unknownPlan: 'プラン {price}',
  perInterval: '{amount} / {interval}',
  everyN: '{count}{interval}ごとに {amount}',
  meteredPrice: '利用量に応じて請求',
  tieredPrice: '料金は利用量により変動',
  interval_day: '日',
  interval_week: '週',
  interval_month: '月',
  interval_year: '年',
  intervals_day: '日',
  intervals_week: '週間',
  intervals_month: 'か月',
  intervals_year: '年',
  status_active: '有効',
  status_trialing: 'トライアル中',
  status_past_due: '支払い遅延',
  status_canceled: '解約済み',
  status_incomplete: '初回支払い待ち',
  status_incomplete_expired: '支払いがないまま期限切れ',
  status_unpaid: '未払い',
  status_paused: '一時停止中',
  status_unknown: '不明（{status}）',
  invoice_draft: '下書き',
  invoice_open: '支払い待ち',
  invoice_paid: '支払い済み',
  invoice_uncollectible: '回収不能',
  invoice_void: '無効',
  invoice_none: '状態なし',
  invoiceDate: '日付',
  invoicePeriod: '対象期間',
  invoiceAmount: '金額',
  invoiceStatus: '状態',
  invoiceLink: '請求書',
  invoiceView: '請求書を見る',
  invoiceViewFor: '{date} の請求書を見る',
  periodRange: '{start}〜{end}',
  merchantCountry: '国',
  merchantCurrency: '通貨',
  subscribe: '申し込む',
  quantityLabel: 'ライセンス数',
  managePayment: 'お支払い方法の管理',
  sync: 'Stripe と同期',
  switchToYearly: '年払いに切り替える',
  switchToMonthly: '月払いに切り替える',
  changeQuantity: '数量を変更',
  cancelAtPeriodEnd: '期間終了時に解約',
  resume: '解約を取り消す',
  cancelNow: '今すぐ解約',
  previewLoading: 'この変更にかかる金額を計算しています…',
  confirmSwitchYearTitle: '{plan} を年払いに切り替えますか？',
  confirmSwitchMonthTitle: '{plan} を月払いに切り替えますか？',
  confirmQuantityTitle: '{plan} のライセンス数を変更',
  newQuantity: '新しいライセンス数',
  reviewChange: '金額を確認',
  confirmChange: '変更を確定',
  keepAsIs: '変更しない',
  previewDueNow: '今回の請求額',
  previewNextRenewal: '次回更新時の請求額',
  previewNextRenewalOn: '次回更新日 {date}',
  previewCredit: '今回の返金・調整額',
  previewThen: 'その後の料金',
  previewNothingNow: '今回の請求はありません。',
  previewLines: '内訳',
  previewCreditLine: '現在のプランの未使用分の返金（{start}〜{end}）',
  previewChargeLine: '新しいプランでの現在の期間の残り（{start}〜{end}）',
  previewUnavailable: 'この変更の金額を計算できませんでした：{reason}',
  confirmCancelTitle: '{plan} を今すぐ解約しますか？',
  confirmCancelBody: '契約はただちに終了し、機能もすぐに使えなくなります。この操作は取り消せません。再び利用するには、もう一度申し込む必要があります。',
  confirmCancelButton: '今すぐ解約する',
  keepSubscription: '解約しない',
  checkoutOpened: 'Stripe の決済ページを新しいタブで開きました。そちらでお支払いを完了すると、戻ったときにこのページが更新されます。',
  checkoutPopupBlocked: 'ブラウザーが新しいタブをブロックしました。こちらのリンクから決済ページを開いてください：',
  checkoutLink: 'Stripe の決済ページを開く',
  checkoutCheck: '支払いました：今すぐ確認',
  checkoutNotYet: 'お支払いはまだ完了していません。決済ページのタブで完了してから戻ってきてください。',
  checkoutDone: 'ありがとうございます。{plan} の契約は「{status}」になりました。',
  checkoutCanceled: '決済は中止されました。料金は発生していません。',
  checkoutReturnTitle: 'お支払いが完了しました',
  checkoutReturnBody: 'お支払いが完了しました。お支払いページに戻ると契約内容を確認できます。このタブは閉じてかまいません。',
  portalOpened: 'カスタマーポータルを新しいタブで開きました。そこで行った変更は、戻ったときにこのページに反映されます。',
  portalBack: 'カスタマーポータルから戻りました。そこで行った変更は Stripe からの通知が届きしだい（通常は数秒以内）ここに反映されます。「Stripe と同期」を押すとすぐに取得します。',
  portalPopupBlocked: 'ブラウザーが新しいタブをブロックしました。こちらのリンクからカスタマーポータルを開いてください：',
  portalLink: 'カスタマーポータルを開く',
  portalReturnTitle: 'カスタマーポータルから戻りました',
  portalReturnBody: 'このタブを閉じて、お支払いページに戻ってください。',
  closeTab: 'このタブを閉じる',
  switchedYear: '{plan} を年払いに切り替えました。',
  switchedMonth: '{plan} を月払いに切り替えました。',
  quantityChanged: '{plan} のライセンス数を {count} に変更しました。',
  cancelScheduled: '{plan} は {date} に解約されます。',
  resumed: '{plan} の解約を取り消しました。今後も通常どおり更新されます。',
  canceledNow: '{plan} を解約しました。',
  synced: 'Stripe と同期しました：新規 {created} 件、更新 {updated} 件、変更なし {unchanged} 件。',
  errorTitle: 'エラーが発生しました',
  errorReference: '問い合わせ番号：{id}',
  retryIn: '{seconds} 秒後にもう一度お試しください。',
  dismiss: '閉じる',
};

/**
 * What a person should read for each error code the account routes can answer: what happened and
 * what to do, never the API's own message (which is English and written for developers).
 */
const errorsEn = {
  missing_token: 'You are not signed in. Open billing again from your app.',
  invalid_token: 'Your sign-in is not valid. Open billing again from your app.',
  token_expired: 'Your sign-in has expired. Go back to the app and open billing again.',
  missing_account_claim: 'Your sign-in does not name an account. Open billing again from your app.',
  invalid_account_claim: 'Your sign-in names an account this service cannot use. Contact the app’s support.',
  account_mismatch: 'Your sign-in is for another account.',
  application_mismatch: 'Your sign-in is for another app.',
  application_not_found: 'This app is not set up for billing. Contact the app’s support.',
  origin_not_allowed: 'This page is not allowed to manage billing for this app. Contact the app’s support.',
  owner_role_required: 'Only the account owner can do this.',
  identity_not_found: 'There is no payment record for this account yet. Subscribe to a plan first.',
  checkout_session_not_found: 'This checkout was not found for your account.',
  checkout_not_complete: 'The payment is not complete yet. Finish it on the checkout page.',
  subscription_not_found: 'This subscription was not found. It may have been removed; reload the page.',
  subscription_ended: 'This subscription has already ended and cannot be changed.',
  not_scheduled_to_cancel: 'This subscription is not set to be canceled, so there is nothing to resume.',
  no_licensed_item: 'This subscription is billed by usage: it has no plan or seat count to change.',
  already_subscribed: 'This account already has a subscription to this product.',
  price_not_in_catalog: 'This plan is not sold by this app.',
  price_not_found: 'This plan no longer exists.',
  price_inactive: 'This plan can no longer be bought.',
  no_price_for_interval: 'This plan has no price for that billing interval.',
  nothing_to_change: 'Nothing would change.',
  conflicting_change: 'This change names both a plan and an interval; choose one.',
  redirect_not_allowed: 'This app does not allow returning to this page after payment. Contact the app’s support.',
  validation_failed: 'Some of the values are not valid. Check them and try again.',
  invalid_characters: 'Some of the values contain characters that cannot be used.',
  invalid_idempotency_key: 'The request could not be sent safely. Reload the page and try again.',
  idempotency_conflict: 'This request was already made with other values. Reload the page and try again.',
  stripe_card_error: 'Your card was declined. Use another card in the customer portal.',
  stripe_invalid_request: 'Stripe refused this change.',
  stripe_unavailable: 'Stripe, our payment provider, could not be reached. Try again in a moment.',
  stripe_misconfigured: 'Payments are not set up correctly. Contact the app’s support.',
  stripe_error: 'Stripe, our payment provider, answered with an unexpected error. Try again in a moment.',
  stripe_timeout: 'Stripe did not answer in time. Try again; a change is never made twice.',
  stripe_rate_limited: 'Stripe is busy right now. Try again shortly.',
  stripe_resource_missing: 'Stripe no longer has this record. Use “Sync with Stripe” and try again.',
  database_unavailable: 'The billing service is briefly unavailable. Try again shortly.',
  rate_limited: 'Too many requests. Wait a moment and try again.',
  request_timeout: 'The request took too long to send. Check your connection and try again.',
  payload_too_large: 'The request is too large.',
  internal_error: 'Something went wrong on our side. Try again; if it keeps happening, contact support with the reference below.',
  network_error: 'The billing service could not be reached. Check your connection and try again.',
  not_found: 'This feature is not available on this billing service.',
  unexpected_response: 'The billing service answered in an unexpected way. Reload the page.',
};

export type KnownErrorCode = keyof typeof errorsEn;

const errorsJa: Record<KnownErrorCode, string> = {
  missing_token: 'サインインしていません。アプリからもう一度お支払いページを開いてください。',
  invalid_token: 'サインイン情報が正しくありません。アプリからもう一度お支払いページを開いてください。',
  token_expired: 'サインインの有効期限が切れました。アプリに戻って、もう一度お支払いページを開いてください。',
  missing_account_claim: 'サインイン情報にアカウントが含まれていません。アプリからもう一度開いてください。',
  invalid_account_claim: 'サインイン情報のアカウントをこのサービスでは扱えません。アプリのサポートにお問い合わせください。',
  account_mismatch: 'サインイン情報が別のアカウントのものです。',
  application_mismatch: 'サインイン情報が別のアプリのものです。',
  application_not_found: 'このアプリは支払いの設定がされていません。アプリのサポートにお問い合わせください。',
  origin_not_allowed: 'このページからはこのアプリの支払いを管理できません。アプリのサポートにお問い合わせください。',
  owner_role_required: 'この操作はアカウントのオーナーだけが行えます。',
  identity_not_found: 'このアカウントにはまだ支払いの記録がありません。先にプランに申し込んでください。',
  checkout_session_not_found: 'この決済はあなたのアカウントでは見つかりませんでした。',
  checkout_not_complete: 'お支払いはまだ完了していません。決済ページで完了してください。',
  subscription_not_found: 'この契約は見つかりませんでした。削除された可能性があります。ページを再読み込みしてください。',
  subscription_ended: 'この契約はすでに終了しているため、変更できません。',
  not_scheduled_to_cancel: 'この契約は解約予定ではないため、取り消すものはありません。',
  no_licensed_item: 'この契約は利用量に応じた請求のため、プランや数量を変更できません。',
  already_subscribed: 'このアカウントはすでにこの製品を契約しています。',
  price_not_in_catalog: 'このプランはこのアプリでは販売されていません。',
  price_not_found: 'このプランはもう存在しません。',
  price_inactive: 'このプランはもう購入できません。',
  no_price_for_interval: 'このプランにはその支払い間隔の料金がありません。',
  nothing_to_change: '変更する内容がありません。',
  conflicting_change: 'プランと支払い間隔を同時に指定しています。どちらか一方を選んでください。',
  redirect_not_allowed: 'このアプリでは、お支払い後にこのページへ戻ることが許可されていません。アプリのサポートにお問い合わせください。',
  validation_failed: '入力内容に誤りがあります。確認してもう一度お試しください。',
  invalid_characters: '使用できない文字が含まれています。',
  invalid_idempotency_key: 'リクエストを安全に送信できませんでした。ページを再読み込みしてもう一度お試しください。',
  idempotency_conflict: 'このリクエストは別の内容ですでに送信されています。ページを再読み込みしてもう一度お試しください。',
  stripe_card_error: 'カードが承認されませんでした。カスタマーポータルで別のカードを登録してください。',
  stripe_invalid_request: 'Stripe がこの変更を受け付けませんでした。',
  stripe_unavailable: '決済サービス Stripe に接続できませんでした。しばらくしてからもう一度お試しください。',
  stripe_misconfigured: '決済の設定に問題があります。アプリのサポートにお問い合わせください。',
  stripe_error: '決済サービス Stripe から予期しないエラーが返されました。しばらくしてからもう一度お試しください。',
  stripe_timeout: 'Stripe から時間内に応答がありませんでした。もう一度お試しください。変更が二重に行われることはありません。',
  stripe_rate_limited: '現在 Stripe が混み合っています。少し待ってからもう一度お試しください。',
  stripe_resource_missing: 'Stripe にこの記録がありません。「Stripe と同期」を押してからもう一度お試しください。',
  database_unavailable: 'お支払いサービスが一時的に利用できません。少し待ってからもう一度お試しください。',
  rate_limited: 'リクエストが多すぎます。少し待ってからもう一度お試しください。',
  request_timeout: 'リクエストの送信に時間がかかりすぎました。接続を確認してもう一度お試しください。',
  payload_too_large: 'リクエストが大きすぎます。',
  internal_error: 'サービス側で問題が発生しました。もう一度お試しください。繰り返し発生する場合は、下の問い合わせ番号を添えてサポートにご連絡ください。',
  network_error: 'お支払いサービスに接続できませんでした。接続を確認してもう一度お試しください。',
  not_found: 'この機能はこのお支払いサービスでは利用できません。',
  unexpected_response: 'お支払いサービスから予期しない応答がありました。ページを再読み込みしてください。',
};

/** Errors without a code of their own, by kind of status. */
const fallbackEn = {
  client: 'The request could not be completed. Reload the page and try again.',
  server: 'The billing service is having trouble. Try again in a moment.',
};
const fallbackJa: typeof fallbackEn = {
  client: 'リクエストを完了できませんでした。ページを再読み込みしてもう一度お試しください。',
  server: 'お支払いサービスで問題が発生しています。しばらくしてからもう一度お試しください。',
};

const tables = { en: { messages: en, errors: errorsEn, fallback: fallbackEn }, ja: { messages: ja, errors: errorsJa, fallback: fallbackJa } };

/** The language to show: the `lang` parameter when it names one, else the browser's first Japanese or English preference, else English. */
export function chooseLanguage(param: string | null, preferences: readonly string[]): Lang {
  for (const candidate of [param ?? '', ...preferences]) {
    const tag = candidate.toLowerCase();
    if (tag.startsWith('ja')) return 'ja';
    if (tag.startsWith('en')) return 'en';
  }
  return 'en';
}

// Stripe's amounts are in a currency's smallest unit as Stripe counts it
// (https://docs.stripe.com/currencies#zero-decimal): whole units for these, thousandths for the
// next, hundredths for every other one. Not always ISO's count (Stripe counts ISK in hundredths).
const ZERO_DECIMAL = new Set(['BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF']);
const THREE_DECIMAL = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);
const stripeDecimals = (code: string) => (ZERO_DECIMAL.has(code) ? 0 : THREE_DECIMAL.has(code) ? 3 : 2);

export interface Translator {
  lang: Lang;
  /** The locale Intl formats with. */
  locale: string;
  t(key: MessageKey, params?: Record<string, string | number>): string;
  /** The words for an API error code, or for its status when the code has none of its own. */
  error(code: string, status: number): string;
  money(amount: number, currency: string): string;
  date(iso: string | null | undefined): string;
  /** "¥1,000 / month", "¥10,000 / year", "¥3,000 every 3 months". */
  pricePer(amount: number | null, currency: string, interval: string | null, intervalCount: number | null, usageType?: string | null): string;
  intervalName(interval: string): string;
  status(status: string): string;
  invoiceStatus(status: string | null): string;
}

export function translator(lang: Lang): Translator {
  const table = tables[lang];
  const locale = lang === 'ja' ? 'ja-JP' : 'en-US';
  const fill = (text: string, params: Record<string, string | number> = {}) => text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
  const t = (key: MessageKey, params?: Record<string, string | number>) => fill(table.messages[key], params);
  const dates = new Intl.DateTimeFormat(locale, { dateStyle: 'long' });
  const moneyFormats = new Map<string, Intl.NumberFormat>();
  const money = (amount: number, currency: string) => {
    const code = currency.toUpperCase();
    let format = moneyFormats.get(code);
    if (!format) {
      format = new Intl.NumberFormat(locale, { style: 'currency', currency: code });
      moneyFormats.set(code, format);
    }
    return format.format(amount / 10 ** stripeDecimals(code));
  };
  const intervalName = (interval: string) => (['day', 'week', 'month', 'year'].includes(interval) ? t(`interval_${interval}` as MessageKey) : interval);
  return {
    lang,
    locale,
    t,
    error(code, status) {
      const known = (table.errors as Record<string, string>)[code];
      if (known) return known;
      return status >= 500 || status === 0 ? table.fallback.server : table.fallback.client;
    },
    money,
    date: (iso) => (iso ? dates.format(new Date(iso)) : ''),
    pricePer(amount, currency, interval, intervalCount, usageType) {
      if (usageType === 'metered') return t('meteredPrice');
      if (amount === null) return t('tieredPrice');
      const formatted = money(amount, currency);
      if (!interval) return formatted;
      if (intervalCount && intervalCount > 1) {
        const plural = ['day', 'week', 'month', 'year'].includes(interval) ? t(`intervals_${interval}` as MessageKey) : interval;
        return t('everyN', { amount: formatted, count: intervalCount, interval: plural });
      }
      return t('perInterval', { amount: formatted, interval: intervalName(interval) });
    },
    intervalName,
    status(status) {
      const key = `status_${status}` as MessageKey;
      return key in table.messages ? t(key) : t('status_unknown', { status });
    },
    invoiceStatus(status) {
      if (!status) return t('invoice_none');
      const key = `invoice_${status}` as MessageKey;
      return key in table.messages ? t(key) : status;
    },
  };
}
