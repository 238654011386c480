/**
 * `npm run reconcile [-- --merchant ID | --account ID] [--allow-deletes] [--direct]`: re-syncs the
 * mirror from Stripe now. Starts a run through the running service's admin API (SERVICE_URL,
 * default http://localhost:PORT, with ADMIN_TOKEN: the service's own Stripe, emulator included,
 * and its own database), follows it with a progress line on stderr, and prints the recorded run as
 * JSON. `--direct` runs it in this process on the configured database instead. Exit 1 when the run
 * failed or could not start (e.g. one is running).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { directTransport, httpTransport, type AdminTransport } from '../src/cli/admin-client.js';
import { parseCliArgs, runCli } from '../src/cli/cli-kit.js';
import { loadConfig } from '../src/infra/config/config.js';
import type { ReconcileRunView as RunView } from '../src/reconciler/reconcile.dto.js';

const USAGE = 'npm run reconcile -- [--merchant MERCHANT_ID | --account ACCOUNT_ID] [--allow-deletes] [--direct]';
/** How often the run is looked at while it runs. */
const POLL_MS = 250;


async function main(argv: string[]): Promise<number> {
  const { values } = parseCliArgs({
    args: argv,
    options: { merchant: { type: 'string' }, account: { type: 'string' }, 'allow-deletes': { type: 'boolean' }, direct: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n\nStarts a re-sync through the running service (SERVICE_URL, default http://localhost:PORT, with ADMIN_TOKEN)\nand follows it; --direct runs it in this process on the configured database (DATABASE_URL or DATA_DIR).\n`);
    return 0;
  }
  const config = loadConfig();
  const transport = values.direct ? await directTransport(config) : httpTransport(config);
  try {
    const started = (await transport.request('POST', '/admin/reconcile-runs', {
      ...(values.merchant ? { merchant_id: values.merchant } : {}),
      ...(values.account ? { account_id: values.account } : {}),
      allow_deletes: values['allow-deletes'] ?? false,
    })) as RunView;
    const run = await follow(transport, started);
    process.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
    return run.status === 'succeeded' ? 0 : 1;
  } finally {
    await transport.close();
  }
}

/** Looks at the run until it has finished, rewriting one progress line on a terminal. */
async function follow(transport: AdminTransport, started: RunView): Promise<RunView> {
  const what = `reconcile ${started.account_id ?? started.merchant_id ?? started.scope}`;
  const since = Date.now();
  const seconds = () => ((Date.now() - since) / 1000).toFixed(1);
  let run = started;
  let shown = 0;
  while (run.status === 'running') {
    // Rewritten in place on a terminal; into a file or a pipe, a line every few seconds is enough.
    if (process.stderr.isTTY || Date.now() - shown >= 5000) {
      show(`${what} · running · ${seconds()} s`);
      shown = Date.now();
    }
    await sleep(POLL_MS);
    run = (await transport.request('GET', `/admin/reconcile-runs/${encodeURIComponent(started.id)}`)) as RunView;
  }
  const listed = run.created + run.updated + run.unchanged;
  show(
    `${what} · ${run.status} in ${seconds()} s · ${listed.toLocaleString('en')} subscriptions listed: ${run.created} created, ${run.updated} updated, ${run.unchanged} unchanged, ${run.deleted} deleted, ${run.flagged} flagged · ${run.stripe_calls} Stripe calls`,
  );
  if (process.stderr.isTTY) process.stderr.write('\n');
  return run;
}

function show(line: string): void {
  process.stderr.write(process.stderr.isTTY ? `\r\u001b[2K${line}` : `${line}\n`);
}

// exitWhenDone: with --direct the application runs in this process and may leave a timer behind.
runCli(main, { usageHint: 'see --help', exitWhenDone: true });
