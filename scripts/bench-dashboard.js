// The dashboard's first screen, for scripts/bench.js (issue 17: interactive in under 1 s on a local server, and lists
// fast at 100,000 conversions): a signed-in Chromium opens a page and the clock stops when it is usable — its
// heading shown, no loading indicator left, and its data (a table row, a figure, or the empty state) on screen.
// Each page is opened `samples` times in a fresh browser context (no cache), after one unmeasured opening.
'use strict';
const fs = require('node:fs');

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const PAGES = [
  ['overview', 'overview'],
  ['conversions', 'conversions'],
  ['events', 'events'],
  ['affiliates', 'affiliates'],
];

async function timeDashboard(base, adminToken, projectId, samples) {
  if (!fs.existsSync(CHROMIUM)) return { skipped: `no Chromium at ${CHROMIUM}` };
  const { chromium } = require('playwright-core');
  const res = await fetch(`${base}/api/dashboard/setup`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'bench@bench.test', password: 'bench password 0123', project_id: projectId }),
  });
  if (res.status !== 201) throw new Error(`dashboard set-up: ${res.status} ${await res.text()}`);
  const cookie = /refwire_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  const url = new URL(base);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const times = {};
  try {
    for (const [name, path] of PAGES) {
      const taken = [];
      for (let i = 0; i <= samples; i++) {
        const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        await context.addCookies([{ name: 'refwire_session', value: cookie, domain: url.hostname, path: '/', httpOnly: true }]);
        const page = await context.newPage();
        const t0 = Date.now();
        await page.goto(`${base}/dashboard/projects/${projectId}/${path}`);
        await page.waitForFunction(
          () =>
            document.querySelector('#page-title') !== null &&
            document.querySelector('.state-loading') === null &&
            document.querySelector('main table tbody tr, main .stat, main .state-empty, main .state-error') !== null,
          undefined,
          { timeout: 30_000, polling: 10 },
        );
        const ms = Date.now() - t0;
        if (await page.$('main .state-error')) throw new Error(`dashboard ${name}: the page shows an error`);
        if (i > 0) taken.push(ms);
        await context.close();
      }
      taken.sort((a, b) => a - b);
      times[name] = { p50_ms: taken[Math.floor(taken.length / 2)], max_ms: taken[taken.length - 1] };
    }
  } finally {
    await browser.close();
  }
  return { samples, times };
}

module.exports = { timeDashboard };
