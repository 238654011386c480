import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { DEVELOPMENT_DEFAULTS } from '../src/infra/config/config.js';
import { AuthProbeModule } from './support/auth-probe.module.js';
import { accountToken, startTestApp, TEST_JWT_SECRET, type TestApp } from './support/test-app.js';
import { usingPostgres } from './support/test-database.js';

const probe = { imports: [AuthProbeModule] };
const bearer = (token: string) => `Bearer ${token}`;
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const errorCode = (body: { error?: { code?: string } }) => body.error?.code;

describe(`auth guards on ${usingPostgres() ? 'PostgreSQL' : 'embedded PGlite'}`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({}, probe);
    await t.admin(t.http().post('/admin/applications')).send({ id: 'app-b', name: 'App B', merchant_id: 'platform' }).expect(201);
  });
  afterAll(() => t.close());

  describe('account tokens (HS256)', () => {
    it('lets a valid token in, for its own account', async () => {
      const token = await accountToken({ acc: 'ACME', role: 'member' });
      const res = await t.http().get('/probe/accounts/ACME').set('authorization', bearer(token)).expect(200);
      expect(res.body).toEqual({ account_id: 'ACME', roles: ['member'], is_owner: false, application_id: 'default' });
    });

    it('refuses a request without a token', async () => {
      const res = await t.http().get('/probe/accounts/ACME').expect(401);
      expect(errorCode(res.body)).toBe('missing_token');
      const notBearer = await t.http().get('/probe/accounts/ACME').set('authorization', 'Basic QUNNRTpvd25lcg==').expect(401);
      expect(errorCode(notBearer.body)).toBe('missing_token');
    });

    it('refuses an expired token', async () => {
      const token = await accountToken({ acc: 'ACME', role: 'owner' }, { expiresIn: Math.floor(Date.now() / 1000) - 60 });
      const res = await t.http().get('/probe/accounts/ACME').set('authorization', bearer(token)).expect(401);
      expect(errorCode(res.body)).toBe('token_expired');
    });

    it('refuses a token that never expires', async () => {
      const token = await new SignJWT({ acc: 'ACME', role: 'owner' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().sign(new TextEncoder().encode(TEST_JWT_SECRET));
      const res = await t.http().get('/probe/accounts/ACME').set('authorization', bearer(token)).expect(401);
      expect(res.body.error).toMatchObject({ code: 'invalid_token', message: 'The token has no "exp" claim.' });
    });

    it('refuses a token signed with another secret', async () => {
      const token = await accountToken({ acc: 'ACME', role: 'owner' }, { secret: 'another-secret-that-is-long-enough-0123456789' });
      const res = await t.http().get('/probe/accounts/ACME').set('authorization', bearer(token)).expect(401);
      expect(errorCode(res.body)).toBe('invalid_token');
    });

    it('refuses unsigned (alg none) and malformed tokens', async () => {
      const now = Math.floor(Date.now() / 1000);
      const unsigned = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ acc: 'ACME', role: 'owner', iat: now, exp: now + 3600 })}.`;
      for (const token of [unsigned, 'garbage', 'a.b.c', `${b64url({ alg: 'HS256' })}.${b64url({ acc: 'ACME' })}.`]) {
        const res = await t.http().get('/probe/accounts/ACME').set('authorization', bearer(token));
        expect({ token, status: res.status, code: errorCode(res.body) }).toEqual({ token, status: 401, code: 'invalid_token' });
      }
    });

    it('refuses a token that names no account', async () => {
      for (const claims of [{ role: 'owner' }, { acc: '', role: 'owner' }, { acc: 42, role: 'owner' }]) {
        const res = await t.http().get('/probe/me').set('authorization', bearer(await accountToken(claims)));
        expect({ claims, status: res.status, code: errorCode(res.body) }).toEqual({ claims, status: 401, code: 'missing_account_claim' });
      }
    });

    it("refuses a token for another account than the path's", async () => {
      const token = await accountToken({ acc: 'ACME', role: 'owner' });
      const res = await t.http().get('/probe/accounts/OTHER').set('authorization', bearer(token)).expect(403);
      expect(errorCode(res.body)).toBe('account_mismatch');
      const mutation = await t.http().post('/probe/accounts/OTHER/mutate').set('authorization', bearer(token)).expect(403);
      expect(errorCode(mutation.body)).toBe('account_mismatch');
    });

    it('lets only the owner role mutate', async () => {
      for (const role of ['member', ['member', 'admin'], undefined, 'Owner']) {
        const token = await accountToken({ acc: 'ACME', ...(role === undefined ? {} : { role }) });
        const res = await t.http().post('/probe/accounts/ACME/mutate').set('authorization', bearer(token));
        expect({ role, status: res.status, code: errorCode(res.body) }).toEqual({ role, status: 403, code: 'owner_role_required' });
      }
      const owner = await t.http().post('/probe/accounts/ACME/mutate').set('authorization', bearer(await accountToken({ acc: 'ACME', role: 'owner' }))).expect(200);
      expect(owner.body).toEqual({ account_id: 'ACME', application_id: 'default', mutated: true });
    });

    it('accepts the owner role inside a role array', async () => {
      const token = await accountToken({ acc: 'ACME', role: ['member', 'owner'] });
      const res = await t.http().post('/probe/accounts/ACME/mutate').set('authorization', bearer(token)).expect(200);
      expect(res.body).toMatchObject({ account_id: 'ACME', mutated: true });
      const read = await t.http().get('/probe/accounts/ACME').set('authorization', bearer(token)).expect(200);
      expect(read.body).toMatchObject({ roles: ['member', 'owner'], is_owner: true });
    });
  });

  describe('which application a request is for', () => {
    const me = async (claims: Record<string, unknown>, header?: string) => {
      const req = t.http().get('/probe/me').set('authorization', bearer(await accountToken({ acc: 'ACME', role: 'owner', ...claims })));
      return header === undefined ? req : req.set('x-application-id', header);
    };

    it('takes the app claim first', async () => {
      expect((await me({ app: 'app-b' })).body).toEqual({ account_id: 'ACME', application_id: 'app-b' });
      expect((await me({ app: 'app-b' }, 'app-b')).body).toEqual({ account_id: 'ACME', application_id: 'app-b' });
    });

    it('else the X-Application-Id header', async () => {
      expect((await me({}, 'app-b')).body).toEqual({ account_id: 'ACME', application_id: 'app-b' });
    });

    it('else DEFAULT_APPLICATION_ID', async () => {
      expect((await me({})).body).toEqual({ account_id: 'ACME', application_id: t.config.DEFAULT_APPLICATION_ID });
    });

    it('answers 404 for an application that does not exist', async () => {
      for (const res of [await me({ app: 'nope' }), await me({}, 'nope')]) {
        expect(res.status).toBe(404);
        expect(errorCode(res.body)).toBe('application_not_found');
      }
    });

    it('refuses a header that disagrees with the claim', async () => {
      const res = await me({ app: 'app-b' }, 'default');
      expect(res.status).toBe(403);
      expect(errorCode(res.body)).toBe('application_mismatch');
    });

    it('resolves the application on account-scoped routes too', async () => {
      const token = await accountToken({ acc: 'ACME', role: 'owner', app: 'app-b' });
      const res = await t.http().post('/probe/accounts/ACME/mutate').set('authorization', bearer(token)).expect(200);
      expect(res.body).toMatchObject({ application_id: 'app-b' });
    });
  });

  describe('partner API keys', () => {
    let keyA: { id: string; key: string };
    beforeAll(async () => {
      const res = await t.admin(t.http().post('/admin/applications/default/api-keys')).send({ name: 'partner A' }).expect(201);
      keyA = res.body;
      await t.admin(t.http().post('/admin/applications/app-b/api-keys')).send({ name: 'partner B' }).expect(201);
    });
    const partner = (applicationId: string) => t.http().get(`/probe/applications/${applicationId}/partner`);

    it("lets an application's key in on that application, as a bearer token or X-Api-Key", async () => {
      const viaBearer = await partner('default').set('authorization', bearer(keyA.key)).expect(200);
      expect(viaBearer.body).toEqual({ application_id: 'default', key_id: keyA.id });
      const viaHeader = await partner('default').set('x-api-key', keyA.key).expect(200);
      expect(viaHeader.body).toEqual({ application_id: 'default', key_id: keyA.id });
    });

    it("refuses an application's key on another application", async () => {
      const res = await partner('app-b').set('authorization', bearer(keyA.key)).expect(403);
      expect(errorCode(res.body)).toBe('api_key_wrong_application');
      const viaHeader = await partner('app-b').set('x-api-key', keyA.key).expect(403);
      expect(errorCode(viaHeader.body)).toBe('api_key_wrong_application');
    });

    it('refuses a revoked key', async () => {
      const issued = await t.admin(t.http().post('/admin/applications/app-b/api-keys')).send({ name: 'to revoke' }).expect(201);
      await partner('app-b').set('x-api-key', issued.body.key).expect(200);
      await t.admin(t.http().delete(`/admin/applications/app-b/api-keys/${issued.body.id}`)).expect(200);
      const res = await partner('app-b').set('x-api-key', issued.body.key).expect(401);
      expect(errorCode(res.body)).toBe('api_key_revoked');
    });

    it('refuses an unknown key and a missing key', async () => {
      const unknown = await partner('default').set('authorization', bearer(`${keyA.key.slice(0, -4)}zzzz`)).expect(401);
      expect(errorCode(unknown.body)).toBe('invalid_api_key');
      const missing = await partner('default').expect(401);
      expect(errorCode(missing.body)).toBe('missing_api_key');
    });

    it('does not take an account token for an API key', async () => {
      const res = await partner('default').set('authorization', bearer(await accountToken({ acc: 'ACME', role: 'owner' }))).expect(401);
      expect(errorCode(res.body)).toBe('invalid_api_key');
    });
  });

  describe('admin token', () => {
    it('lets the admin token in and refuses any other', async () => {
      await t.admin(t.http().get('/probe/admin')).expect(200, { admin: true });
      const wrong = await t.http().get('/probe/admin').set('authorization', bearer(`${t.config.ADMIN_TOKEN}x`)).expect(401);
      expect(errorCode(wrong.body)).toBe('invalid_admin_token');
      const missing = await t.http().get('/probe/admin').expect(401);
      expect(errorCode(missing.body)).toBe('missing_token');
      const accountTokenOnAdmin = await t.http().get('/probe/admin').set('authorization', bearer(await accountToken({ acc: 'ACME', role: 'owner' }))).expect(401);
      expect(errorCode(accountTokenOnAdmin.body)).toBe('invalid_admin_token');
    });
  });
});

describe('account tokens from a JWKS (RS256, ES256), with issuer and audience', () => {
  const ISSUER = 'https://id.example.com/';
  const AUDIENCE = 'billing';
  let t: TestApp;
  let jwks: Server;
  let rsa: CryptoKey;
  let ec: CryptoKey;
  let jwksRequests = 0;

  const sign = (key: CryptoKey, alg: string, kid: string, claims: Record<string, unknown> = {}, iss = ISSUER, aud: string | null = AUDIENCE) => {
    const jwt = new SignJWT({ acc: 'ACME', role: 'owner', ...claims }).setProtectedHeader({ alg, kid }).setIssuedAt().setExpirationTime('5m').setIssuer(iss);
    return (aud === null ? jwt : jwt.setAudience(aud)).sign(key);
  };
  const get = (token: string) => t.http().get('/probe/accounts/ACME').set('authorization', bearer(token));

  beforeAll(async () => {
    const rsaPair = await generateKeyPair('RS256');
    const ecPair = await generateKeyPair('ES256');
    rsa = rsaPair.privateKey;
    ec = ecPair.privateKey;
    const keys: JWK[] = [
      { ...(await exportJWK(rsaPair.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ecPair.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ];
    jwks = createServer((_req, res) => {
      jwksRequests += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const { port } = jwks.address() as AddressInfo;
    t = await startTestApp(
      { JWT_SECRET: '', JWT_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE },
      probe,
    );
  });
  afterAll(async () => {
    await t?.close();
    jwks.closeAllConnections();
    await new Promise((resolve) => jwks.close(resolve));
  });

  it('accepts RS256 and ES256 tokens signed by keys of the set', async () => {
    expect((await get(await sign(rsa, 'RS256', 'rsa-1')).expect(200)).body).toMatchObject({ account_id: 'ACME', is_owner: true });
    expect((await get(await sign(ec, 'ES256', 'ec-1')).expect(200)).body).toMatchObject({ account_id: 'ACME', is_owner: true });
    expect(jwksRequests).toBeGreaterThanOrEqual(1);
  });

  it('refuses a token signed by a key outside the set', async () => {
    const stranger = (await generateKeyPair('RS256')).privateKey;
    for (const kid of ['rsa-1', 'unknown-kid']) {
      const res = await get(await sign(stranger, 'RS256', kid)).expect(401);
      expect(errorCode(res.body)).toBe('invalid_token');
    }
  });

  it('refuses HS256 tokens, even signed with the development secret', async () => {
    for (const secret of [TEST_JWT_SECRET, DEVELOPMENT_DEFAULTS.JWT_SECRET]) {
      const token = await new SignJWT({ acc: 'ACME', role: 'owner' })
        .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
        .setIssuedAt()
        .setExpirationTime('5m')
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .sign(new TextEncoder().encode(secret));
      const res = await get(token).expect(401);
      expect(errorCode(res.body)).toBe('invalid_token');
    }
  });

  it('refuses a token from another issuer or for another audience', async () => {
    for (const token of [
      await sign(rsa, 'RS256', 'rsa-1', {}, 'https://evil.example.com/'),
      await sign(rsa, 'RS256', 'rsa-1', {}, ISSUER, 'other-service'),
      await sign(ec, 'ES256', 'ec-1', {}, ISSUER, null),
    ]) {
      const res = await get(token).expect(401);
      expect(errorCode(res.body)).toBe('invalid_token');
    }
  });

  it('still answers token_expired for an expired JWKS token', async () => {
    const token = await new SignJWT({ acc: 'ACME' })
      .setProtectedHeader({ alg: 'ES256', kid: 'ec-1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(ec);
    const res = await get(token).expect(401);
    expect(errorCode(res.body)).toBe('token_expired');
  });
});
