import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/core';
import type { PartnerPrincipal } from '../infra/auth/principal.js';
import { Clock } from '../infra/clock/clock.js';
import { AppError } from '../infra/errors/app-error.js';
import { generateApiKey, hashApiKey } from './api-key.js';
import { PartnerApiKey } from './application.entity.js';
import { requireApplication } from './applications.service.js';
import { TenancyCache } from './tenancy-cache.js';
import type { ApiKeyResponse, IssuedApiKeyResponse } from './tenancy.dto.js';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Partner API keys of an application: issued once, stored as a hash, verified on every partner request. */
@Injectable()
export class PartnerKeysService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly cache: TenancyCache,
  ) {}

  async issueApiKey(applicationId: string, name: string): Promise<IssuedApiKeyResponse> {
    const em = this.em.fork();
    const application = await requireApplication(em, applicationId);
    const { key, prefix, hash } = generateApiKey();
    const row = em.create(PartnerApiKey, { application, name, prefix, keyHash: hash });
    // Not announced: no instance can have cached anything of a key that was just generated.
    await em.flush();
    return { ...toApiKeyResponse(row), key };
  }

  async listApiKeys(applicationId: string): Promise<ApiKeyResponse[]> {
    const em = this.em.fork();
    await requireApplication(em, applicationId);
    const rows = await em.find(PartnerApiKey, { application: applicationId }, { orderBy: { createdAt: 'asc' } });
    return rows.map(toApiKeyResponse);
  }

  async revokeApiKey(applicationId: string, keyId: string): Promise<ApiKeyResponse> {
    const em = this.em.fork();
    // Key ids are UUIDs: anything else names no key (and PostgreSQL would refuse to compare it).
    const row = UUID_PATTERN.test(keyId) ? await em.findOne(PartnerApiKey, { id: keyId, application: applicationId }) : null;
    if (!row) throw AppError.notFound('api_key_not_found', `No API key "${keyId}" for application "${applicationId}".`);
    row.revokedAt ??= this.clock.now();
    await this.cache.commit(em, { api_key: row.keyHash });
    return toApiKeyResponse(row);
  }

  /** Checks a presented key: unknown → 401, revoked → 401. Read on every partner request, so cached briefly. */
  async verifyApiKey(key: string): Promise<PartnerPrincipal> {
    const hash = hashApiKey(key);
    const row = await this.cache.apiKeys.get(hash, async () => {
      const found = await this.em.fork().findOne(PartnerApiKey, { keyHash: hash });
      return found ? { id: found.id, applicationId: found.application.id, revoked: found.revokedAt !== null && found.revokedAt !== undefined, lastUsedAt: found.lastUsedAt?.getTime() ?? null } : null;
    });
    if (!row) throw AppError.unauthorized('invalid_api_key', 'The API key is not valid.');
    if (row.revoked) throw AppError.unauthorized('api_key_revoked', 'The API key has been revoked.');
    const now = this.clock.now().getTime();
    // Recorded at most once a minute, so a busy partner does not turn every lookup into a write.
    if (row.lastUsedAt === null || now - row.lastUsedAt > 60_000) {
      row.lastUsedAt = now;
      await this.em.fork().nativeUpdate(PartnerApiKey, { id: row.id }, { lastUsedAt: new Date(now) });
    }
    return { keyId: row.id, applicationId: row.applicationId };
  }
}

function toApiKeyResponse(k: PartnerApiKey): ApiKeyResponse {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    created_at: k.createdAt.toISOString(),
    last_used_at: k.lastUsedAt?.toISOString() ?? null,
    revoked_at: k.revokedAt?.toISOString() ?? null,
  };
}
