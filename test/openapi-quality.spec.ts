import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { HttpStatus } from '@nestjs/common';
import { ERROR_CODES, isErrorCodeAt, type ErrorCodeInfo } from '../src/infra/errors/error-codes.js';
import { OPENAPI_PATH } from '../scripts/support/openapi-document.js';

/**
 * The committed OpenAPI document (openapi/openapi.json; openapi-document.spec.ts checks that it is
 * the code's) as an integrator and the typed client need it: every operation has a client-style
 * id, a description, a success answer with its schema and an example that fits it, request
 * examples that fit the body, the errors its credentials imply, and for each error status one
 * example per code. Every code shown is one the service really answers with at that status: the
 * registry (src/infra/errors/error-codes.ts) is checked against the source, both ways.
 */

interface Schema {
  $ref?: string;
  type?: string;
  nullable?: boolean;
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  allOf?: Schema[];
}
interface Example {
  $ref?: string;
  summary?: string;
  value?: unknown;
}
interface Media {
  schema?: Schema;
  example?: unknown;
  examples?: Record<string, Example>;
}
interface Response {
  description?: string;
  headers?: Record<string, unknown>;
  content?: Record<string, Media>;
}
interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  security?: Record<string, string[]>[];
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, Response>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; examples?: Record<string, Example> };
}

const REGISTRY = ERROR_CODES as Record<string, ErrorCodeInfo>;

let doc: Document;
let operations: { route: string; method: string; path: string; op: Operation }[];

beforeAll(async () => {
  doc = JSON.parse(await readFile(OPENAPI_PATH, 'utf8')) as Document;
  operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, method, path, op })));
});

/** A component (`#/components/<kind>/<name>`) by reference. */
function resolve<T>(ref: string): T {
  const [, , kind, name] = ref.split('/');
  const found = (doc.components as unknown as Record<string, Record<string, T>>)[kind!]?.[name!];
  if (!found) throw new Error(`${ref} is not in the document`);
  return found;
}

/**
 * Where `value` does not fit `schema` (the subset of OpenAPI 3.0 the document uses): wrong type,
 * a value outside its enum, a required property missing, or a property the schema does not declare
 * (an example with a field the API does not answer, or a list declared as an array but answered
 * as `{data: [...]}`, fails here).
 */
function misfits(value: unknown, schema: Schema, at = '$'): string[] {
  if (schema.$ref) return misfits(value, resolve<Schema>(schema.$ref), at);
  if (schema.allOf) return schema.allOf.flatMap((part) => misfits(value, part, at));
  if (value === null) return schema.nullable || schema.type === undefined ? [] : [`${at}: null but not nullable`];
  if (schema.enum && !schema.enum.includes(value)) return [`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`];
  switch (schema.type) {
    case 'string':
      return typeof value === 'string' ? [] : [`${at}: not a string`];
    case 'integer':
      return Number.isInteger(value) ? [] : [`${at}: not an integer`];
    case 'number':
      return typeof value === 'number' ? [] : [`${at}: not a number`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${at}: not a boolean`];
    case 'array':
      if (!Array.isArray(value)) return [`${at}: not an array`];
      return schema.items ? value.flatMap((item, i) => misfits(item, schema.items!, `${at}[${i}]`)) : [];
  }
  if (schema.type === 'object' || schema.properties) {
    if (typeof value !== 'object' || Array.isArray(value)) return [`${at}: not an object`];
    const object = value as Record<string, unknown>;
    const problems = (schema.required ?? []).filter((name) => !(name in object)).map((name) => `${at}.${name}: required but missing`);
    for (const [name, v] of Object.entries(object)) {
      const property = schema.properties?.[name];
      if (property) problems.push(...misfits(v, property, `${at}.${name}`));
      else if (typeof schema.additionalProperties === 'object') problems.push(...misfits(v, schema.additionalProperties, `${at}.${name}`));
      else if (schema.properties && schema.additionalProperties !== true) problems.push(`${at}.${name}: not in the schema`);
    }
    return problems;
  }
  return [];
}

/** The examples of a media type, references resolved: `[name, value]`. */
function examplesOf(media: Media): [string, unknown][] {
  if (media.example !== undefined) return [['example', media.example]];
  return Object.entries(media.examples ?? {}).map(([name, example]) => [name, (example.$ref ? resolve<Example>(example.$ref) : example).value]);
}

const codesOf = (response: Response | undefined) => Object.keys(response?.content?.['application/json']?.examples ?? {});
const schemes = (op: Operation) => new Set((op.security ?? []).flatMap((requirement) => Object.keys(requirement)));

describe('the committed OpenAPI document, as a product', () => {
  it('has every operation of the service', () => {
    expect(operations.length).toBeGreaterThanOrEqual(51);
  });

  it('names each operation as the typed client calls it (`area.method`, `admin.area.method`), once', () => {
    const ids = operations.map(({ op }) => op.operationId);
    for (const [i, { route }] of operations.entries()) expect({ route, id: ids[i] }).toEqual({ route, id: expect.stringMatching(/^[a-z][A-Za-z]*(\.[a-z][A-Za-z]*){1,2}$/) });
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    // The ids the client and the seeds' flows call (seed 001's api.subscriptions.*).
    expect(ids).toEqual(expect.arrayContaining(['subscriptions.list', 'subscriptions.features', 'subscriptions.createCheckoutSession', 'subscriptions.syncCheckoutSession', 'subscriptions.change', 'subscriptions.cancel', 'subscriptions.resume', 'accountSubscriptions.change', 'admin.applications.update', 'appPaymentCustomers.lookup']));
  });

  it('refers only to components it has (a dangling reference breaks the generated client)', () => {
    const refs = new Set<string>();
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (value && typeof value === 'object') {
        for (const [key, v] of Object.entries(value)) {
          if (key === '$ref' && typeof v === 'string') refs.add(v);
          else walk(v);
        }
      }
    };
    walk(doc);
    const dangling = [...refs].filter((ref) => {
      try {
        resolve(ref);
        return false;
      } catch {
        return true;
      }
    });
    expect(refs.size).toBeGreaterThan(50);
    expect(dangling).toEqual([]);
  });

  it('says what each operation does and when to use it', () => {
    for (const { route, op } of operations) {
      expect({ route, summary: Boolean(op.summary?.trim()), description: (op.description ?? '').length >= 60 }).toEqual({ route, summary: true, description: true });
    }
  });

  it('gives each operation a success answer with a schema and examples that fit it, never a bare array', () => {
    for (const { route, op } of operations) {
      const successes = Object.entries(op.responses).filter(([status]) => /^2\d\d$/.test(status));
      expect({ route, successes: successes.length > 0 }).toEqual({ route, successes: true });
      for (const [status, response] of successes) {
        const media = response.content?.['application/json'];
        const examples = media ? examplesOf(media) : [];
        expect({ route, status, schema: Boolean(media?.schema), examples: examples.length > 0 }).toEqual({ route, status, schema: true, examples: true });
        // Lists are answered as {data: [...]} (or {app_payment_customers: [...]}), and declared so.
        expect({ route, status, type: media!.schema!.type }).not.toEqual({ route, status, type: 'array' });
        for (const [name, value] of examples) expect({ route, status, name, misfits: misfits(value, media!.schema!) }).toEqual({ route, status, name, misfits: [] });
      }
    }
  });

  it('gives each request body examples that fit its schema', () => {
    for (const { route, op } of operations.filter(({ op }) => op.requestBody)) {
      const media = op.requestBody!.content['application/json']!;
      const examples = examplesOf(media);
      expect({ route, examples: examples.length > 0 }).toEqual({ route, examples: true });
      for (const [name, value] of examples) expect({ route, name, misfits: misfits(value, media.schema!) }).toEqual({ route, name, misfits: [] });
    }
  });

  it('documents the errors each kind of credentials implies', () => {
    const expectCodes = (route: string, op: Operation, status: string, codes: string[]) =>
      expect({ route, status, codes: codesOf(op.responses[status]) }).toEqual({ route, status, codes: expect.arrayContaining(codes) });
    for (const { route, method, path, op } of operations) {
      const security = schemes(op);
      if (security.has('account-jwt')) {
        expectCodes(route, op, '401', ['missing_token', 'invalid_token', 'token_expired', 'missing_account_claim']);
        expectCodes(route, op, '403', ['application_mismatch', 'origin_not_allowed']);
        expectCodes(route, op, '404', ['application_not_found']);
        expectCodes(route, op, '429', ['rate_limited']);
        if (path.includes('{account_id}')) expectCodes(route, op, '403', ['account_mismatch']);
        // Every account route that changes something is for the owner only; the preview of a change
        // is a POST (it takes the change's body) that changes nothing, and any role may call it.
        if (method !== 'get' && !op.operationId!.endsWith('.previewChange')) expectCodes(route, op, '403', ['owner_role_required']);
      }
      if (security.has('partner-api-key')) {
        expectCodes(route, op, '401', ['missing_api_key', 'invalid_api_key', 'api_key_revoked']);
        expectCodes(route, op, '403', ['api_key_wrong_application']);
        expectCodes(route, op, '429', ['rate_limited', 'too_many_failed_attempts']);
      }
      if (security.has('admin-token')) {
        expectCodes(route, op, '401', ['missing_token', 'invalid_admin_token']);
        expectCodes(route, op, '429', ['too_many_failed_attempts']);
      }
      if (security.size === 0) expect({ route, unauthenticated: ['health.check', 'health.live', 'health.ready', 'webhooks.receive'].includes(op.operationId!) }).toEqual({ route, unauthenticated: true });
      // Answered by every route: characters PostgreSQL cannot store (body-parsing.ts), a database down.
      expectCodes(route, op, '400', ['invalid_characters']);
      expect({ route, unavailable: codesOf(op.responses['503']).some((code) => ['database_unavailable', 'service_unavailable'].includes(code)) }).toEqual({ route, unavailable: true });
    }
  });

  it('shows each error status with the error format and one example per code, each a code the service answers with at that status', () => {
    for (const { route, op } of operations) {
      for (const [status, response] of Object.entries(op.responses).filter(([s]) => Number(s) >= 400)) {
        const media = response.content?.['application/json'];
        expect({ route, status, schema: media?.schema?.$ref, examples: Object.keys(media?.examples ?? {}).length > 0 }).toEqual({ route, status, schema: '#/components/schemas/ErrorResponse', examples: true });
        for (const [name, value] of examplesOf(media!)) {
          const code = (value as { error?: { code?: unknown } }).error?.code;
          expect({ route, status, name, code, registered: typeof code === 'string' && isErrorCodeAt(code, Number(status)) }).toEqual({ route, status, name, code: name, registered: true });
          expect({ route, status, name, misfits: misfits(value, media!.schema!) }).toEqual({ route, status, name, misfits: [] });
          expect({ route, status, described: response.description?.includes(`\`${name}\``) }).toEqual({ route, status, described: true });
        }
        if ([429, 502, 503].includes(Number(status))) expect({ route, status, retryAfter: Boolean(response.headers?.['Retry-After']) }).toEqual({ route, status, retryAfter: true });
      }
    }
  });

  it("keeps no two examples of one error status alike (each code its own message)", () => {
    for (const { route, op } of operations) {
      for (const [status, response] of Object.entries(op.responses).filter(([s]) => Number(s) >= 400)) {
        const messages = examplesOf(response.content!['application/json']!).map(([, value]) => (value as { error: { message: string } }).error.message);
        expect({ route, status, repeated: messages.filter((m, i) => messages.indexOf(m) !== i) }).toEqual({ route, status, repeated: [] });
      }
    }
  });

  it('takes its error examples from the registry', () => {
    for (const [code, example] of Object.entries(doc.components.examples ?? {})) {
      const info = REGISTRY[code];
      expect({ code, registered: Boolean(info) }).toEqual({ code, registered: true });
      expect(example.summary).toBe(info!.when);
      expect((example.value as { error: { code: string; message: string } }).error).toMatchObject({ code, message: info!.message });
    }
  });
});

/** Every .ts file of src/, but the registry and the documentation, which name codes without answering with them. */
async function sources(dir = 'src'): Promise<{ file: string; text: string }[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map(async (entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return sources(path);
      if (!entry.name.endsWith('.ts') || entry.name.endsWith('.spec.ts') || entry.name.endsWith('.api-docs.ts') || path.endsWith(join('errors', 'error-codes.ts'))) return [];
      return [{ file: path, text: await readFile(path, 'utf8') }];
    }),
  );
  return nested.flat();
}

const FACTORY_STATUS: Record<string, number> = { badRequest: 400, unauthorized: 401, forbidden: 403, notFound: 404, conflict: 409 };
const statusOf = (expression: string) => (/^\d{3}$/.test(expression) ? Number(expression) : (HttpStatus as unknown as Record<string, number>)[expression.replace(/^HttpStatus\./, '')]);

/**
 * The codes the source answers with, each with its status, found where errors are made:
 * AppError's factories and constructor, the error body writer, orConflict (409), the webhook
 * signature check (400), the framework's fallback codes (error-body.ts) and the connection-level
 * answers of http-adapter.ts.
 */
function thrownCodes(files: { file: string; text: string }[]): { file: string; code: string; status: number }[] {
  const found: { file: string; code: string; status: number }[] = [];
  const add = (file: string, code: string, status: number | undefined) => found.push({ file, code, status: status ?? NaN });
  for (const { file, text } of files) {
    for (const m of text.matchAll(/AppError\.(badRequest|unauthorized|forbidden|notFound|conflict)\(\s*'(\w+)'/g)) add(file, m[2]!, FACTORY_STATUS[m[1]!]);
    for (const m of text.matchAll(/AppError\.retryable\(\s*(HttpStatus\.\w+|\d{3}),\s*'(\w+)'/g)) add(file, m[2]!, statusOf(m[1]!));
    for (const m of text.matchAll(/new AppError\(\s*(HttpStatus\.\w+|\d{3}),\s*'(\w+)'/g)) add(file, m[2]!, statusOf(m[1]!));
    for (const m of text.matchAll(/sendError\(\s*\w+,\s*(\d{3}),\s*'(\w+)'/g)) add(file, m[2]!, Number(m[1]));
    for (const m of text.matchAll(/orConflict\([^;]*?,\s*'(\w+)'/g)) add(file, m[1]!, 409);
    for (const m of text.matchAll(/\[(\d{3}),\s*'(\w+)',/g)) add(file, m[2]!, Number(m[1]));
    if (file.endsWith('webhook-signature.ts')) for (const m of text.matchAll(/ok: false, code: '(\w+)'/g)) add(file, m[1]!, 400);
    if (file.endsWith('error-body.ts')) for (const m of text.matchAll(/^\s+(\d{3}): '(\w+)',$/gm)) add(file, m[2]!, Number(m[1]));
    if (file.endsWith('http-adapter.ts')) {
      for (const m of text.matchAll(/const code = \w+ \? '(\w+)' : '(\w+)'/g)) {
        add(file, m[1]!, 400);
        add(file, m[2]!, 400);
      }
    }
  }
  return found;
}

describe('the error code registry', () => {
  let files: { file: string; text: string }[];
  beforeAll(async () => {
    files = await sources();
  });

  it('finds the codes thrown across the source (so that the next check means something)', () => {
    const codes = new Set(thrownCodes(files).map((t) => t.code));
    for (const code of ['price_not_in_catalog', 'already_subscribed', 'missing_token', 'stripe_timeout', 'database_unavailable', 'merchant_exists', 'invalid_signature', 'request_timeout', 'payload_too_large', 'invalid_characters']) {
      expect({ code, found: codes.has(code) }).toEqual({ code, found: true });
    }
  });

  it('holds every code the source answers with, at the status it answers it with (register a new code in error-codes.ts)', () => {
    const unregistered = thrownCodes(files).filter(({ code, status }) => !isErrorCodeAt(code, status));
    expect(unregistered).toEqual([]);
  });

  it('holds only codes the source really uses', () => {
    const text = files.map((f) => f.text).join('\n');
    const unused = Object.keys(REGISTRY).filter((code) => !text.includes(`'${code}'`));
    expect(unused).toEqual([]);
  });

  it('says for each code when it is answered, with a message', () => {
    for (const [code, info] of Object.entries(REGISTRY)) {
      expect({ code, status: info.status >= 400 && info.status < 600, when: info.when.length > 20, message: info.message.length > 0 }).toEqual({ code, status: true, when: true, message: true });
    }
  });
});
