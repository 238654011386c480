import { Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import { statSync } from 'node:fs';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AppError } from '../infra/errors/app-error.js';
import { ApplicationsService } from '../tenancy/applications.service.js';
import { packageRoot, pageDir, readAsset, type AssetRoot } from './page-files.js';
import { ASSETS, pageShell, shellLanguage } from './page-html.js';

/** The client package and the one library it needs, served to the page as they are installed. */
const CLIENT = '@billing/client';
const OPENAPI_FETCH = 'openapi-fetch';

/**
 * The owner's billing page (seed 001) at `/billing`: the HTML shell, the page's compiled modules
 * and stylesheet, and the built `@billing/client` and `openapi-fetch` it imports. No auth here:
 * the page holds no data; it reads the account token from the URL fragment or from its host's
 * postMessage and calls the account API like any client app (same origin, so no CORS).
 */
@ApiExcludeController()
@Controller('billing')
export class BillingPageController {
  constructor(private readonly applications: ApplicationsService) {}

  @Get()
  async page(@Query('lang') lang: string | undefined, @Headers('accept-language') acceptLanguage: string | undefined, @Res() reply: FastifyReply): Promise<void> {
    const imports: Record<string, string> = {};
    for (const root of [packageRoot(CLIENT), packageRoot(OPENAPI_FETCH)]) {
      if (root?.entry) imports[root.name] = `${ASSETS}/${assetName(root.name)}/${root.entry}`;
    }
    const shell = pageShell(imports, shellLanguage(typeof lang === 'string' ? lang : undefined, acceptLanguage));
    // Embedding is for the applications' own pages: the origins they are allowed to call us from.
    const ancestors = [...(await this.applications.browserOrigins())].filter((o) => /^https?:\/\/[^\s;,']+$/.test(o));
    const csp = [
      "default-src 'none'",
      `script-src 'self' ${shell.importMapSource}`,
      "style-src 'self'",
      "connect-src 'self'",
      "img-src 'self' data:",
      "base-uri 'none'",
      "form-action 'none'",
      `frame-ancestors 'self'${ancestors.map((o) => ` ${o}`).join('')}`,
    ].join('; ');
    void reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', csp)
      .header('referrer-policy', 'no-referrer')
      .header('x-content-type-options', 'nosniff')
      // The shell names the current build's files; it is tiny, so it is never cached.
      .header('cache-control', 'no-store')
      .send(shell.html);
  }

  // Fastify's wildcard: the rest of the path, as `*`.
  @Get('assets/:root/*')
  async asset(@Param('root') name: string, @Param('*') path: string | string[] | undefined, @Headers('if-none-match') ifNoneMatch: string | undefined, @Res() reply: FastifyReply): Promise<void> {
    const root = assetRoot(name);
    const relative = Array.isArray(path) ? path.join('/') : (path ?? '');
    const file = root && (await readAsset(root, relative));
    if (!file) {
      const hint = name === 'app' && !root ? ' The billing page is not built: run npm run build.' : '';
      throw AppError.notFound('not_found', `No file ${relative.slice(0, 200)} in the billing page's ${name.slice(0, 40)} assets.${hint}`);
    }
    void reply
      .header('content-type', file.contentType)
      .header('x-content-type-options', 'nosniff')
      // Revalidated on every load (the names do not change between builds), answered 304 when unchanged.
      .header('cache-control', 'no-cache')
      .header('etag', file.etag);
    if (ifNoneMatch === file.etag) void reply.status(304).send();
    else void reply.send(file.body);
  }
}

const assetName = (pkg: string) => (pkg === CLIENT ? 'client' : pkg);

function assetRoot(name: string): AssetRoot | undefined {
  if (name === 'app') {
    const dir = pageDir();
    return readableDir(dir) ? { name: 'app', dir } : undefined;
  }
  if (name === 'client') return packageRoot(CLIENT);
  if (name === OPENAPI_FETCH) return packageRoot(OPENAPI_FETCH);
  return undefined;
}

function readableDir(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
