import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpStatus } from '@nestjs/common';
import { AppError } from '../errors/app-error.js';

export interface RequestWithRawBody extends FastifyRequest {
  /** The exact bytes of a JSON body, kept for Stripe signature verification. */
  rawBody?: Buffer;
}

/**
 * The only body the service reads is JSON. Every body problem answers in the service's error
 * format before guards and handlers run: another content type 415, malformed JSON 400, a body over the
 * limit 413 (Fastify refuses it by its Content-Length before reading, or as soon as the stream
 * passes the limit). The raw bytes are kept beside the parsed body for webhook signatures.
 */
export function registerJsonBodyParser(fastify: FastifyInstance, limitBytes: number): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: limitBytes }, (req, body, done) => {
    const contentType = req.headers['content-type'];
    if (!isJson(contentType)) return done(new AppError(HttpStatus.UNSUPPORTED_MEDIA_TYPE, 'unsupported_media_type', 'Send the body as application/json.'), undefined);
    if (!isUtf8(contentType)) return done(new AppError(HttpStatus.UNSUPPORTED_MEDIA_TYPE, 'unsupported_media_type', 'Send the body as UTF-8 JSON.'), undefined);
    const bytes = body as Buffer;
    (req as RequestWithRawBody).rawBody = bytes;
    if (bytes.length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(bytes.toString('utf8')));
    } catch {
      done(AppError.badRequest('malformed_json', 'The body is not valid JSON.'), undefined);
    }
  });
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
