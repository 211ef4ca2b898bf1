import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const ROOT = join(__dirname, '..', '..', '..');
export const SPA_INDEX = join(ROOT, 'frontend', 'dist', 'index.html');
export const SCREENSHOT_DIR = join(ROOT, 'test-results', 'screenshots');

/** Debian's Chromium; the tests never download a browser. */
const CHROMIUM = process.env['ECTS_CHROMIUM'] ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)`);
  }

  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** Console errors, uncaught exceptions and failed requests of the pages in one browser context. */
export class PageProblems {
  readonly entries: string[] = [];

  watch(page: Page): void {
    page.on('console', (message) => {
      if (message.type() === 'error') {
        this.entries.push(`console error on ${page.url()}: ${message.text()}`);
      }
    });
    page.on('pageerror', (error) => this.entries.push(`uncaught on ${page.url()}: ${error.message}`));
    page.on('requestfailed', (request) => {
      // Navigating away aborts the requests of the page left behind; that is no failure of the SPA.
      if (request.failure()?.errorText !== 'net::ERR_ABORTED') {
        this.entries.push(`request failed: ${request.method()} ${request.url()} ${request.failure()?.errorText}`);
      }
    });
  }
}

/** Opens a context with its own storage, like a separate browser profile, and watches its pages. */
export async function openContext(
  browser: Browser,
  problems: PageProblems,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'en-US' });
  const page = await context.newPage();
  problems.watch(page);

  return { context, page };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

export async function signIn(page: Page, baseUrl: string, email: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/sign-in`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await page.click('[data-test=sign-in]');
  await page.waitForSelector('[data-test=nodes-online]');
}

/** Opens an Element Plus select and picks the visible option with the given text. */
export async function choose(page: Page, selectSelector: string, optionText: string): Promise<void> {
  await page.click(selectSelector);
  await page.locator('.el-select-dropdown__item:visible', { hasText: optionText }).first().click();
}

/** Text of the terminal that shows a step's output. */
export function terminalText(page: Page): Promise<string> {
  return page.locator('[data-test=live-output] .xterm-rows').innerText();
}
