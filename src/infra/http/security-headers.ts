import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';
import type { AppConfig } from '../config/config.js';

/** API answers are JSON: nothing in them may load, run or be framed. */
const API_CSP = { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] } };

/**
 * Swagger UI (/docs): its own scripts and stylesheets, the inline <style> blocks of its page, its
 * data: icons, and fetches of the document from this origin. No upgrade-insecure-requests, which
 * would break the page on a plain http deployment.
 */
const DOCS_CSP = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:'],
    fontSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    frameAncestors: ["'none'"],
  },
};

/**
 * Security headers on every answer, with helmet: X-Content-Type-Options nosniff,
 * Referrer-Policy no-referrer, Cross-Origin-Resource-Policy, a Content-Security-Policy (and on the
 * documents, /docs and /billing, helmet's headers for documents too), and
 * Strict-Transport-Security only with HTTPS_ONLY (sent over plain http it would be ignored, and
 * sent from a host also reached over http it would lock those clients out).
 *
 * The policy depends on the path: API answers get `default-src 'none'`; Swagger UI its own; the
 * billing page (/billing) sets its own strict CSP and frame-ancestors in its controller (it is
 * embedded by the applications' origins), so helmet leaves the CSP and X-Frame-Options to it.
 * X-Frame-Options is off everywhere else too: `frame-ancestors` says the same, and wins in browsers.
 */
export function securityHeaders(config: AppConfig): (request: FastifyRequest, reply: FastifyReply) => void {
  const common = {
    xFrameOptions: false,
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: config.HTTPS_ONLY ? { maxAge: 31536000, includeSubDomains: false } : false,
    // The billing page and API answers are fetched cross-origin by the applications (CORS): same-site would refuse them to no-cors embeds only, cross-origin keeps both working.
    crossOriginResourcePolicy: { policy: 'cross-origin' },
  } satisfies HelmetOptions;
  const policies = {
    // A JSON answer is never rendered as a document: the headers helmet adds for documents (DNS
    // prefetching, IE's download and XSS filters, Flash and PDF cross-domain policies, origin-keyed
    // agent clusters, the opener policy of a top-level page) do nothing there. API answers carry what
    // applies to any resource (OWASP's REST Security Cheat Sheet): nosniff, a CSP that allows nothing
    // and forbids framing, no referrer, the resource policy, and HSTS: six headers fewer to write on
    // every lookup and webhook answer, and for the partner to read (issue 17).
    api: {
      ...common,
      contentSecurityPolicy: API_CSP,
      crossOriginOpenerPolicy: false,
      originAgentCluster: false,
      xDnsPrefetchControl: false,
      xDownloadOptions: false,
      xPermittedCrossDomainPolicies: false,
      xXssProtection: false,
    },
    docs: { ...common, contentSecurityPolicy: DOCS_CSP },
    // No Cross-Origin-Opener-Policy on the page: checkout and the portal open in a tab that goes to
    // Stripe and comes back to /billing to tell its opener (window.opener); same-origin COOP
    // would cut that link at the first cross-origin navigation and the page would wait forever.
    billing: { ...common, contentSecurityPolicy: false, crossOriginOpenerPolicy: false },
  } satisfies Record<string, HelmetOptions>;
  // Each policy's headers are worked out once. @fastify/helmet built a middleware per request (its
  // options checked and the CSP parsed again every time: 3 % of the lookup's CPU in a profile), and
  // even built once, helmet's chain of ten middlewares per answer was 1 % more: for these options
  // its headers do not depend on the request, so they are recorded from helmet itself at start-up
  // and set on each answer as helmet sets them (same names, values and order, on the raw response).
  const recorded = { api: recordHeaders(helmet(policies.api)), docs: recordHeaders(helmet(policies.docs)), billing: recordHeaders(helmet(policies.billing)) };
  return (request, reply) => {
    const { set, removed } = recorded[policyOf(request.url)];
    const res = reply.raw;
    for (let i = 0; i < set.length; i++) res.setHeader(set[i]![0], set[i]![1]);
    for (let i = 0; i < removed.length; i++) res.removeHeader(removed[i]!);
  };
}

/** What a helmet middleware does to every response: the headers it sets, in order, and those it removes. */
function recordHeaders(middleware: ReturnType<typeof helmet>): { set: [string, string | number | readonly string[]][]; removed: string[] } {
  const set: [string, string | number | readonly string[]][] = [];
  const removed: string[] = [];
  const response = {
    setHeader: (name: string, value: string | number | readonly string[]) => void set.push([name, value]),
    removeHeader: (name: string) => void removed.push(name),
  };
  let finished = false;
  middleware({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error instanceof Error ? error : new Error(String(error));
    finished = true;
  });
  // Helmet's middlewares are synchronous and read nothing of the request for these options; if that
  // ever changes (a nonce, a function directive), recording would be wrong: refuse to start instead.
  if (!finished) throw new Error('security headers: helmet did not answer synchronously; its headers cannot be recorded once');
  return { set, removed };
}

function policyOf(url: string): 'api' | 'docs' | 'billing' {
  const path = url.split('?', 1)[0]!;
  if (path === '/docs' || path.startsWith('/docs/')) return 'docs';
  if (path === '/billing' || path.startsWith('/billing/')) return 'billing';
  return 'api';
}
