import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller.js';

// DiscoveryModule: the readiness probe finds the webhook worker by name (infra imports no domain module).
@Module({ imports: [TerminusModule.forRoot({ logger: false }), DiscoveryModule], controllers: [HealthController] })
export class HealthModule {}
