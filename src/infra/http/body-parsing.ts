import type { FastifyBodyParser, FastifyInstance, FastifyRequest } from 'fastify';
import { HttpStatus } from '@nestjs/common';
import { firstUnstorablePath } from '../database/storable-text.js';
import { AppError } from '../errors/app-error.js';
import { hasRouteFlag } from '../route-config.js';

export interface RequestWithRawBody extends FastifyRequest {
  /** The exact bytes of a JSON body, kept for Stripe signature verification. */
  rawBody?: Buffer;
}

/**
 * Fastify route config of a route whose JSON strings are taken as they come (the webhook intake: a
 * correctly signed Stripe event is stored whatever its strings hold, see `toStorableJson`). Set it
 * with `@RouteConfig(ANY_JSON_STRINGS)`; path parameters and query values are still checked.
 */
export const ANY_JSON_STRINGS = { anyJsonStrings: true } as const;

/**
 * The only body the service reads is JSON. Every body problem answers in the service's error
 * format before guards and handlers run: another content type 415, malformed JSON 400, a body over the
 * limit 413 (Fastify refuses it by its Content-Length before reading, or as soon as the stream
 * passes the limit), nested deeper than `maxDepth` 400 `body_too_deep` (validation and
 * transformation walk bodies recursively; 10,000 levels overflow their stack). The raw bytes are
 * kept beside the parsed body for webhook signatures.
 *
 * Then, still before guards, path parameters, query values and JSON strings holding characters
 * PostgreSQL cannot store (NUL, unpaired surrogates) are refused with 400 `invalid_characters`
 * naming the field, on every route, so that no such value reaches a query.
 */
export function registerJsonBodyParser(fastify: FastifyInstance, limitBytes: number, maxDepth: number): void {
  fastify.removeAllContentTypeParsers();
  const parse: FastifyBodyParser<Buffer> = (req, body, done) => {
    const contentType = req.headers['content-type'];
    if (!isJson(contentType)) return done(new AppError(HttpStatus.UNSUPPORTED_MEDIA_TYPE, 'unsupported_media_type', 'Send the body as application/json.'), undefined);
    if (!isUtf8(contentType)) return done(new AppError(HttpStatus.UNSUPPORTED_MEDIA_TYPE, 'unsupported_media_type', 'Send the body as UTF-8 JSON.'), undefined);
    const bytes = body as Buffer;
    (req as RequestWithRawBody).rawBody = bytes;
    if (bytes.length === 0) return done(null, undefined);
    if (nestingExceeds(bytes, maxDepth)) {
      return done(AppError.badRequest('body_too_deep', `The body nests arrays and objects deeper than ${maxDepth} levels.`), undefined);
    }
    try {
      done(null, JSON.parse(bytes.toString('utf8')));
    } catch {
      done(AppError.badRequest('malformed_json', 'The body is not valid JSON.'), undefined);
    }
  };
  // Every content type comes here (anything but JSON is a 415 above). Registered under
  // application/json as well: Fastify remembers which parser a content type gets only when one is
  // registered under its media type, and otherwise parses the Content-Type header again on every
  // request (the webhook intake's deliveries, issue 17).
  fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: limitBytes }, parse);
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: limitBytes }, parse);
  // A hook with `done` rather than an async one: no promise on every request.
  fastify.addHook('preHandler', (request, _reply, done) => {
    try {
      refuseUnstorable(request.params, 'path');
      refuseUnstorable(request.query, 'query');
      if (!hasRouteFlag(request, 'anyJsonStrings')) refuseUnstorable(request.body, 'body');
    } catch (error) {
      return done(error as Error);
    }
    done();
  });
}

function refuseUnstorable(value: unknown, where: 'path' | 'query' | 'body'): void {
  const field = firstUnstorablePath(value);
  if (field === undefined) return;
  const name = field === '' ? 'the body' : field;
  throw AppError.badRequest('invalid_characters', `${name} (${where}) contains a NUL character or an unpaired UTF-16 surrogate.`, { field: name, in: where });
}

const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether the JSON text nests arrays and objects deeper than `maxDepth`, found by counting brackets
 * outside strings before anything parses it. Each level takes at least one byte, so a short body
 * cannot be too deep and is not scanned.
 */
export function nestingExceeds(bytes: Buffer, maxDepth: number): boolean {
  if (bytes.length <= maxDepth) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (b === OPEN_BRACKET || b === OPEN_BRACE) {
      if (++depth > maxDepth) return true;
    } else if (b === CLOSE_BRACKET || b === CLOSE_BRACE) depth--;
  }
  return false;
}

/** JSON is UTF-8 (RFC 8259); a declared charset may only say so. */
function isUtf8(contentType: string): boolean {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType)?.[1]?.toLowerCase();
  return charset === undefined || charset === 'utf-8' || charset === 'utf8';
}

function isJson(contentType: string | undefined): contentType is string {
  if (!contentType) return false;
  const mime = contentType.split(';')[0]!.trim().toLowerCase();
  return mime === 'application/json' || (mime.startsWith('application/') && mime.endsWith('+json'));
}
