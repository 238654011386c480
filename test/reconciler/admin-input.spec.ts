import { query } from '../support/mirror-check.js';
import { startStack, type Stack } from '../support/stack.js';
import { postRun, RUNS } from './helpers.js';

/** Issue 7, the admin API of reconcile runs refuses bad input with a clear 4xx and starts nothing. */
describe('POST and GET /admin/reconcile-runs with bad input', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack();
  });
  afterAll(() => s.close());

  const runCount = async () => (await query<{ n: number }>(s, 'select count(*)::int as n from reconcile_runs'))[0]!.n;

  it.each([
    ['an unknown merchant', { merchant_id: 'no-such-shop' }, 404, 'merchant_not_found'],
    ['an unknown merchant with scope merchant', { scope: 'merchant', merchant_id: 'no-such-shop' }, 404, 'merchant_not_found'],
    ['scope merchant without merchant_id', { scope: 'merchant' }, 400, 'merchant_required'],
    ['scope account without account_id', { scope: 'account' }, 400, 'account_required'],
  ])('%s: %i', async (_name, body, status, code) => {
    const res = await postRun(s, { ...body, wait: true });
    expect({ status: res.status, code: res.body.error?.code }).toEqual({ status, code });
    expect(typeof res.body.error.message).toBe('string');
    expect(await runCount()).toBe(0);
  });

  it.each([
    ['a non-boolean allow_deletes', { allow_deletes: 'yes' }],
    ['a number for allow_deletes', { allow_deletes: 1 }],
    ['a non-boolean wait', { wait: 'true' }],
    ['an unknown scope', { scope: 'everything' }],
    ['a malformed merchant_id', { merchant_id: 'Not A Merchant!' }],
    ['an empty account_id', { scope: 'account', account_id: '' }],
  ])('%s: 400', async (_name, body) => {
    const res = await postRun(s, body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    expect(await runCount()).toBe(0);
  });

  it('no admin token, or a wrong one: 401 on every route, nothing started', async () => {
    for (const req of [s.http().post(RUNS).send({ wait: true }), s.http().get(RUNS), s.http().get(`${RUNS}/6f1c7d4e-8a0b-4c39-9d0e-5b7f3f1e2a61`)]) {
      const res = await req;
      expect(res.status).toBe(401);
      expect(res.body.error.code).toEqual(expect.any(String));
    }
    const wrong = await s.http().post(RUNS).set('authorization', 'Bearer not-the-admin-token').send({});
    expect(wrong.status).toBe(401);
    expect(await runCount()).toBe(0);
  });

  it('an unknown run id: 404, whether it looks like a run id or not', async () => {
    for (const id of ['6f1c7d4e-8a0b-4c39-9d0e-5b7f3f1e2a61', 'not-a-run']) {
      const res = await s.admin(s.http().get(`${RUNS}/${id}`));
      expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 404, code: 'reconcile_run_not_found' });
    }
  });

  it('a bad list limit: 400; a good request still works afterwards', async () => {
    expect((await s.admin(s.http().get(`${RUNS}?limit=0`))).status).toBe(400);
    expect((await s.admin(s.http().get(`${RUNS}?limit=abc`))).status).toBe(400);
    const ok = await postRun(s, { wait: true });
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('succeeded');
    const list = await s.admin(s.http().get(`${RUNS}?limit=1`)).expect(200);
    expect(list.body.data.map((r: { id: string }) => r.id)).toEqual([ok.body.id]);
  });
});
