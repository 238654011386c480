import { SetMetadata } from '@nestjs/common';

/**
 * The limit a route counts against. Routes behind the account or partner-key guard are known by
 * their guard and admin routes by theirs (only failed attempts are limited there); a route with no
 * credentials counts per client IP unless it says otherwise here.
 */
export type LimitKind = 'account' | 'partner' | 'webhook' | 'ip';
export const LIMIT_KIND = 'request_limit_kind';

/** The route counts against the `kind` limit (the webhook intake: per application). */
export const LimitedAs = (kind: LimitKind) => SetMetadata(LIMIT_KIND, kind);
