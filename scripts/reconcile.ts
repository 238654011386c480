/**
 * `npm run reconcile [-- --merchant ID | --account ID] [--allow-deletes]`: re-syncs the mirror from
 * Stripe now, with a progress line (subscriptions listed, rate, Stripe calls), and prints the
 * recorded run as JSON. Exit 1 when the run failed or could not start (e.g. one is running).
 */
import { openCliContext, usesThrowAwayDatabase } from '../src/cli/cli-context.js';
import { parseCliArgs, runCli } from '../src/cli/cli-kit.js';
import { loadConfig } from '../src/infra/config/config.js';
import { toRunView } from '../src/reconciler/reconcile.dto.js';
import { ReconcilerService, type ReconcileProgress } from '../src/reconciler/reconciler.service.js';

async function main(argv: string[]): Promise<number> {
  const { values } = parseCliArgs({
    args: argv,
    options: { merchant: { type: 'string' }, account: { type: 'string' }, 'allow-deletes': { type: 'boolean' }, help: { type: 'boolean' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write('npm run reconcile -- [--merchant MERCHANT_ID] [--account ACCOUNT_ID] [--allow-deletes]\n');
    return 0;
  }
  const config = loadConfig();
  if (usesThrowAwayDatabase(config)) process.stderr.write('warning: neither DATA_DIR nor DATABASE_URL is set: this reconciles a throw-away in-memory database.\n');
  const context = await openCliContext(config);
  try {
    const reconciler = context.app.get(ReconcilerService);
    const { done } = await reconciler.start(
      {
        scope: values.account ? 'account' : values.merchant ? 'merchant' : 'platform',
        ...(values.merchant ? { merchantId: values.merchant } : {}),
        ...(values.account ? { accountId: values.account } : {}),
        allowDeletes: values['allow-deletes'] ?? false,
        trigger: 'cli',
      },
      showProgress,
    );
    const run = await done;
    process.stderr.write('\n');
    process.stdout.write(`${JSON.stringify(toRunView(run), null, 2)}\n`);
    return run.status === 'succeeded' ? 0 : 1;
  } finally {
    await context.close();
  }
}

/** One line, rewritten in place on a terminal: what was listed, how fast, how many Stripe calls. */
function showProgress(p: ReconcileProgress): void {
  const rate = p.elapsedMs > 0 ? Math.round((p.subscriptions / p.elapsedMs) * 1000) : 0;
  const total = Math.max(p.expected, p.subscriptions, 1);
  const bar = '█'.repeat(Math.round((p.subscriptions / total) * 30)).padEnd(30, '·');
  const line = `reconcile ${p.stripeAccount} [${bar}] ${p.subscriptions.toLocaleString('en')}/${total.toLocaleString('en')} subscriptions · ${rate.toLocaleString('en')}/s · ${p.stripeCalls} Stripe calls`;
  process.stderr.write(process.stderr.isTTY ? `\r${line}` : `${line}\n`);
}

// exitWhenDone: the command must end even if a module of the application left a timer behind.
runCli(main, { usageHint: 'see --help', exitWhenDone: true });
