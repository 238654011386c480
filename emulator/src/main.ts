#!/usr/bin/env node
// The package's command, `stripe-emulator` (in this repository `npm run emulator -- ...`):
// stripe-emulator --port 12111 [--host 0.0.0.0] [--key sk_test_x] [--webhook http://localhost:3000/hook=whsec_x] [--past-due unpaid]
//   [--connect-webhook http://localhost:3000/hook=whsec_y] [--accept-any-account]
import { startEmulator } from './index.js';

function arg(name: string): string[] {
  const out: string[] = [];
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}` && argv[i + 1] !== undefined) out.push(argv[++i]);
    else if (argv[i].startsWith(`--${name}=`)) out.push(argv[i].slice(name.length + 3));
  }
  return out;
}

const endpoint = (connect: boolean) => (spec: string) => {
  const eq = spec.lastIndexOf('=whsec_');
  return eq > 0 ? { url: spec.slice(0, eq), secret: spec.slice(eq + 1), connect } : { url: spec, connect };
};
const webhookEndpoints = [...arg('webhook').map(endpoint(false)), ...arg('connect-webhook').map(endpoint(true))];
const pastDue = arg('past-due')[0];

const running = await startEmulator({
  port: Number(arg('port')[0] ?? process.env.STRIPE_EMULATOR_PORT ?? 12111),
  host: arg('host')[0] ?? '127.0.0.1',
  secretKey: arg('key')[0] ?? process.env.STRIPE_EMULATOR_KEY,
  webhookEndpoints,
  pastDueFinalAction: pastDue === 'unpaid' ? 'unpaid' : 'cancel',
  acceptAnyAccount: process.argv.includes('--accept-any-account'),
});
console.log(`Stripe emulator listening on ${running.url} (secret key ${running.secretKey})`);
for (const ep of running.emulator.platform.webhookEndpoints.values()) {
  const kind = running.emulator.connectEndpoints.has(ep.id) ? 'Connect webhook endpoint' : 'webhook endpoint';
  console.log(`  ${kind} ${ep.url} secret ${running.emulator.endpointSecrets.get(ep.id)}`);
}
const shutdown = () => void running.stop().then(() => process.exit(0));
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
