import express, { type NextFunction, type Request, type Response } from 'express';
import { sendError } from '../errors/error-body.js';

export interface RequestWithRawBody extends Request {
  /** The exact bytes of a JSON body, kept for Stripe signature verification. */
  rawBody?: Buffer;
}

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * JSON body parsing done here rather than by Nest so that every body problem (wrong content type,
 * malformed JSON, too large) answers in the service's error format with a 4xx, before any route runs.
 */
export function jsonBodyParser(limitBytes: number) {
  const parse = express.json({
    limit: limitBytes,
    type: (req) => isJson(req.headers['content-type']),
    verify: (req, _res, buf) => {
      (req as RequestWithRawBody).rawBody = buf;
    },
  });
  return (req: Request, res: Response, next: NextFunction): void => {
    if (METHODS_WITH_BODY.has(req.method) && hasBody(req) && !isJson(req.headers['content-type'])) {
      return sendError(res, 415, 'unsupported_media_type', 'Send the body as application/json.');
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limitBytes) {
      // Refuse before reading: a large upload is not read into memory only to be thrown away.
      res.setHeader('connection', 'close');
      return sendError(res, 413, 'payload_too_large', `The body is larger than ${limitBytes} bytes.`);
    }
    parse(req, res, (error?: unknown) => {
      if (!error) return next();
      const type = (error as { type?: string }).type;
      if (type === 'entity.too.large') return sendError(res, 413, 'payload_too_large', `The body is larger than ${limitBytes} bytes.`);
      if (type === 'entity.parse.failed') return sendError(res, 400, 'malformed_json', 'The body is not valid JSON.');
      if (type === 'charset.unsupported' || type === 'encoding.unsupported') return sendError(res, 415, 'unsupported_media_type', 'Send the body as UTF-8 JSON.');
      return sendError(res, 400, 'bad_request', 'The body could not be read.');
    });
  };
}

function isJson(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const mime = contentType.split(';')[0]!.trim().toLowerCase();
  return mime === 'application/json' || (mime.startsWith('application/') && mime.endsWith('+json'));
}

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}
