import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT } from '../support/spawn.js';

/**
 * Debian's Chromium (`apt-get install chromium`; .ci/run installs it when missing), driven by
 * playwright-core: no browser download. Headless; `--no-sandbox` because CI runs as root.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Where each step's screenshot goes (README: Billing page); gitignored. */
export const SCREENSHOTS = `${REPO_ROOT}test-artifacts/browser`;

/** The suite's own limit: no wait in these tests gives up sooner (a loaded 2-core machine is slow). */
export const WAIT_MS = 180_000;

export function launchChromium(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

export interface Tab {
  context: BrowserContext;
  page: Page;
  /** Uncaught exceptions of the page and Content-Security-Policy refusals: a correct page has none. */
  problems: string[];
  /** Saves a full-page screenshot as `<name>.png`. */
  shot(name: string): Promise<void>;
}

/** A fresh browser profile (no cookies, no storage) in the language given, with one page. */
export async function openTab(browser: Browser, locale = 'en-US'): Promise<Tab> {
  const context = await browser.newContext({ locale, viewport: { width: 1024, height: 900 } });
  context.setDefaultTimeout(WAIT_MS);
  context.setDefaultNavigationTimeout(WAIT_MS);
  const page = await context.newPage();
  const problems: string[] = [];
  const watch = (p: Page) => {
    p.on('pageerror', (error) => problems.push(`${p.url()}: ${error.message}`));
    p.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(`${p.url()}: ${message.text()}`);
    });
  };
  watch(page);
  context.on('page', watch);
  return {
    context,
    page,
    problems,
    async shot(name) {
      await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
    },
  };
}

/**
 * Pays on the Stripe emulator's hosted checkout page as a person does: the card 4242 4242 4242 4242
 * (typed into the card field, or chosen from the page's list of test cards), then the pay button.
 */
export async function payOnCheckoutPage(checkout: Page, shot?: (name: string) => Promise<void>, name?: string): Promise<void> {
  await checkout.waitForURL(/\/checkout\/cs_/);
  // The emulator's page speaks the checkout's language (the billing page passes its own).
  const card = checkout.getByLabel(/card|カード/i).first();
  const tag = await card.evaluate((element) => element.tagName.toLowerCase());
  if (tag === 'select') await card.selectOption('4242424242424242');
  else await card.fill('4242 4242 4242 4242');
  if (shot && name) await checkout.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
  await checkout.getByRole('button', { name: /^(subscribe|pay|申し込む|支払う)$/i }).first().click();
}

/** A host app on another origin that embeds the billing page in an iframe and hands it a token by postMessage. */
export async function startHostApp(): Promise<{ origin: string; setPage(html: string): void; close(): Promise<void> }> {
  let html = '<!doctype html><title>host</title>';
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    // `localhost`, not 127.0.0.1: another origin than the service's (http://127.0.0.1:<port>).
    origin: `http://localhost:${port}`,
    setPage(next) {
      html = next;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
