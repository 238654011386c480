import { SetMetadata } from '@nestjs/common';

export const OWNER_ONLY = 'auth:owner-only';
/** The handler changes billing: only a token with the owner role may call it. */
export const OwnerOnly = () => SetMetadata(OWNER_ONLY, true);
