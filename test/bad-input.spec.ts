import { startTestApp, type TestApp } from './support/test-app.js';

/** Whatever a client sends, the answer is a 4xx in the error format, never a 500, and nothing is written. */
describe('bad input of every kind', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ BODY_LIMIT: '1mb' });
  });
  afterAll(() => t.close());

  const merchantCount = async () => (await t.admin(t.http().get('/admin/merchants')).expect(200)).body.data.length;
  const expectErrorFormat = (body: unknown, code: string) =>
    expect(body).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });

  it('answers malformed JSON with 400 malformed_json', async () => {
    const before = await merchantCount();
    const res = await t.admin(t.http().post('/admin/merchants')).set('content-type', 'application/json').send('{"display_name": "x",');
    expect(res.status).toBe(400);
    expectErrorFormat(res.body, 'malformed_json');
    expect(await merchantCount()).toBe(before);
  });

  it('answers a body that is not JSON with 415 unsupported_media_type', async () => {
    const before = await merchantCount();
    const res = await t.admin(t.http().post('/admin/merchants')).set('content-type', 'text/plain').send('display_name=x&charge_model=platform');
    expect(res.status).toBe(415);
    expectErrorFormat(res.body, 'unsupported_media_type');
    const form = await t.admin(t.http().post('/admin/merchants')).type('form').send({ display_name: 'x', charge_model: 'platform' });
    expect(form.status).toBe(415);
    const latin1 = await t.admin(t.http().post('/admin/merchants')).set('content-type', 'application/json; charset=latin1').send('{"display_name":"x","charge_model":"platform"}');
    expect(latin1.status).toBe(415);
    expectErrorFormat(latin1.body, 'unsupported_media_type');
    const untyped = await t.admin(t.http().post('/admin/merchants')).set('content-type', '').send('{"display_name":"x","charge_model":"platform"}');
    expect(untyped.status).toBe(415);
    expect(await merchantCount()).toBe(before);
  });

  it('reads JSON declared as UTF-8 or as a +json type, and a chunked body without a length', async () => {
    const utf8 = await t.admin(t.http().post('/admin/merchants')).set('content-type', 'application/json; charset=UTF-8').send('{"display_name":"utf8 Ω","charge_model":"platform"}');
    expect(utf8.status).toBe(201);
    expect(utf8.body.display_name).toBe('utf8 Ω');
    const vendor = await t.admin(t.http().post('/admin/merchants')).set('content-type', 'application/vnd.api+json').send('{"display_name":"vendor","charge_model":"platform"}');
    expect(vendor.status).toBe(201);
    const chunked = await fetch(`${t.baseUrl}/admin/merchants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.config.ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: new Blob(['{"display_name":"chunked","charge_model":"platform"}']).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(201);
  });

  it('answers a 10 MB body with 413 payload_too_large', async () => {
    const before = await merchantCount();
    const big = JSON.stringify({ display_name: 'x'.repeat(10 * 1024 * 1024), charge_model: 'platform' });
    const res = await t.admin(t.http().post('/admin/merchants')).set('content-type', 'application/json').send(big);
    expect(res.status).toBe(413);
    expectErrorFormat(res.body, 'payload_too_large');
    expect(await merchantCount()).toBe(before);
  });

  it('answers an unknown route with 404 not_found', async () => {
    const res = await t.http().get('/api/nothing-here');
    expect(res.status).toBe(404);
    expectErrorFormat(res.body, 'not_found');
    const post = await t.http().post('/api/nothing-here').send({ a: 1 });
    expect(post.status).toBe(404);
  });

  it('names the fields that failed validation', async () => {
    const res = await t.admin(t.http().post('/admin/merchants')).send({ display_name: '', charge_model: 'barter', surprise: true });
    expect(res.status).toBe(400);
    expectErrorFormat(res.body, 'validation_failed');
    expect(res.body.error.message).toContain('display_name');
    expect(res.body.error.message).toContain('charge_model');
    expect(res.body.error.details.fields).toEqual(expect.objectContaining({ display_name: expect.any(Array), charge_model: expect.any(Array), surprise: expect.any(Array) }));
  });

  it('answers JSON that is not an object (an array, a number, null) with 400', async () => {
    for (const body of ['[]', '42', 'null', '"text"']) {
      const res = await t.admin(t.http().post('/admin/merchants')).set('content-type', 'application/json').send(body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.body.error.code).toMatch(/^(malformed_json|validation_failed|bad_request)$/);
    }
  });

  it('answers a wrong method on a known path with a 4xx', async () => {
    const res = await t.admin(t.http().put('/admin/merchants'));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body.error).toBeDefined();
  });

  it('gives every answer a request id, and echoes a sane one from the caller', async () => {
    const res = await t.http().get('/health').set('x-request-id', 'req-abc-12345');
    expect(res.headers['x-request-id']).toBe('req-abc-12345');
    const forged = await t.http().get('/health').set('x-request-id', 'bad id\nwith newline'.replace('\n', ' '));
    expect(forged.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
