import { japaneseMessage, prefersJapanese } from '../src/infra/errors/messages.ja.js';
import { startTestApp, accountToken, type TestApp } from './support/test-app.js';

/** error.message in Japanese when the request asks for it (Accept-Language: ja); codes never change. */
describe('error messages in Japanese', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('answers in Japanese for Accept-Language: ja, in English otherwise, with the same code and details', async () => {
    const ja = await t.http().get('/api/subscriptions').set('accept-language', 'ja,en-US;q=0.8');
    expect(ja.status).toBe(401);
    expect(ja.body.error).toMatchObject({ code: 'missing_token', message: 'アカウントのトークンを「Authorization: Bearer <jwt>」で送ってください。' });
    expect(ja.headers['content-language']).toBe('ja');
    const en = await t.http().get('/api/subscriptions').set('accept-language', 'en-US,ja;q=0.5');
    expect(en.body.error).toMatchObject({ code: 'missing_token', message: 'Send an account token as "Authorization: Bearer <jwt>".' });
    expect(en.headers['content-language']).toBeUndefined();
    expect((await t.http().get('/api/subscriptions')).body.error.message).toMatch(/^Send an account token/);
  });

  it('fills in what the details name: the fields of a validation error, the field with odd characters', async () => {
    const token = await accountToken({ acc: 'JA-1', role: 'owner' });
    const invalid = await t.http().post('/api/subscriptions/stripe/checkout-session').set('authorization', `Bearer ${token}`).set('accept-language', 'ja-JP').send({ price_id: 'price_1', success_url: 'https://a.example/s', cancel_url: 'https://a.example/c', quantity: 0 });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('validation_failed');
    expect(invalid.body.error.message).toBe('入力内容に誤りがあります（quantity）。');
    expect(invalid.body.error.details.fields.quantity).toEqual(expect.arrayContaining([expect.any(String)]));
    const nul = await t.admin(t.http().get('/admin/webhook-events/evt_%00')).set('accept-language', 'ja');
    expect(nul.body.error).toMatchObject({ code: 'invalid_characters', message: 'event_id に使用できない文字（NUL 文字または対になっていないサロゲート）が含まれています。' });
    const badPath = await t.admin(t.http().get('/admin/webhook-events/evt_%ED%A0%80')).set('accept-language', 'ja');
    expect(badPath.body.error.code).toBe('invalid_characters');
    expect(badPath.body.error.message).toContain('使用できない文字');
  });

  it('reads Accept-Language by q-value and order', () => {
    expect(prefersJapanese('ja')).toBe(true);
    expect(prefersJapanese('ja-JP,ja;q=0.9,en;q=0.8')).toBe(true);
    expect(prefersJapanese('en;q=0.5,ja;q=0.9')).toBe(true);
    expect(prefersJapanese('en,ja')).toBe(false);
    expect(prefersJapanese('jav')).toBe(false);
    expect(prefersJapanese('ja;q=0')).toBe(false);
    expect(prefersJapanese(undefined)).toBe(false);
    expect(japaneseMessage('no_such_code')).toBeUndefined();
  });
});
