import { Argument, InvalidArgumentError, Option, type Command } from 'commander';
import { PROVIDER_NAMES, type ProviderName } from '../domain/provider-names';
import type { Target } from './deliver';
import { listFiles, readInputs, type ReplayInput } from './inputs';
import type { RunResult } from './run';
import { buildSimulation, SCENARIOS, type ScenarioName } from './simulate';

type Common = { url: string; project: string; secret: string[]; retries: string; progress?: boolean; json?: boolean };

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `--secret S` for every provider, `--secret stripe=whsec_…` for one (repeat it: each provider's secret differs). */
function secrets(values: string[]): Target['secret'] {
  const perProvider: Partial<Record<ProviderName, string>> = {};
  let every: string | undefined;
  for (const value of values) {
    const m = /^(stripe|paddle|lemonsqueezy|polar)=(.+)$/i.exec(value);
    if (m) perProvider[m[1]!.toLowerCase() as ProviderName] = m[2]!;
    else {
      // a secret may hold "=" (Lemon Squeezy's are the merchant's own words), so a name that is no provider's is not
      // refused; but a mistyped one would sign every provider's deliveries with "strpe=whsec_…": say so
      const named = /^([a-z][a-z_-]{2,15})=/i.exec(value);
      if (named) process.stderr.write(`refwire: "${named[1]}=" names no provider (${PROVIDER_NAMES.join(', ')}): the whole value is the secret for every provider\n`);
      every = value;
    }
  }
  if (every === undefined) return perProvider;
  return Object.fromEntries(PROVIDER_NAMES.map((p) => [p, perProvider[p] ?? every]));
}

function urlOption(value: string): string {
  if (!/^https?:\/\/[^\s]+$/.test(value)) throw new InvalidArgumentError('an http(s) URL such as http://localhost:3000');
  return value.replace(/\/+$/, '');
}

function minorOption(value: string): string {
  if (!/^\d{1,15}$/.test(value) || Number(value) <= 0) throw new InvalidArgumentError('a positive whole number of minor units (4900 is 49.00 USD)');
  return value;
}

function countOption(value: string): string {
  if (!/^\d{1,2}$/.test(value)) throw new InvalidArgumentError('a whole number from 0 to 99');
  return value;
}

/** The options both commands take: where to post, as which project, with which secret, how to report. */
function withTarget(command: Command): Command {
  return command
    .requiredOption('--url <base>', 'where Refwire is reached, e.g. http://localhost:3000', urlOption)
    .requiredOption('--project <id>', 'the project id (the webhook URL is <url>/webhook/<provider>/<id>)')
    .requiredOption(
      '--secret <secret>',
      "the project's webhook secret (what its integration holds); <provider>=<secret> for one provider, repeated for several",
      collect,
    )
    .option('--retries <n>', 'retries of a delivery answered 503 or not answered at all', countOption, '2')
    .option('--no-progress', 'one plain line per delivery even on a terminal')
    .option('--json', 'print the summary and every result as one JSON object instead of the table');
}

/** Prints the summary and sets the exit code: 1 when anything was rejected, 2 when only skipped, else 0. */
function finish(result: RunResult, opts: Common, extra: Record<string, unknown> = {}): void {
  const { tally } = result;
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({
        ...extra,
        summary: { ...tally.total, by_provider: Object.fromEntries(tally.byProvider) },
        results: result.results.map(({ delivery, outcome }) => ({ label: delivery.label, provider: delivery.provider, ...outcome })),
        skipped: result.skipped,
        exit_code: tally.exitCode(),
      })}\n`,
    );
  } else {
    process.stdout.write(`\n${tally.table()}\n`);
    if (tally.total.rejected > 0) process.stdout.write(`\n${tally.total.rejected} delivery(ies) rejected: see the lines above.\n`);
  }
  process.exitCode = tally.exitCode();
}

function progressOf(opts: Common): 'bar' | 'lines' | 'none' {
  if (opts.json) return 'none';
  return opts.progress !== false && process.stdout.isTTY ? 'bar' : 'lines';
}

const target = (opts: Common): Target => ({ url: opts.url, projectId: opts.project, secret: secrets(opts.secret) });

/** `refwire replay` and `refwire simulate` (PRODUCT.md §16), registered on the CLI's program. */
export function registerReplayCommands(program: Command): void {
  withTarget(
    program
      .command('replay')
      .description('sign provider payloads (fixture files or bare payloads, or folders of them) and post them to a running Refwire')
      .argument('<paths...>', 'JSON files, or folders walked for *.json'),
  )
    .addOption(new Option('--provider <name>', 'the provider of every file (default: from the folder name or the payload)').choices(PROVIDER_NAMES))
    .option('--fresh-ids', 'give each payload a new provider event id, so a replay can be repeated instead of answering "duplicate"')
    .action(async (paths: string[], opts: Common & { provider?: ProviderName; freshIds?: boolean }) => {
      const { files, missing } = listFiles(paths);
      if (missing.length > 0) {
        process.stderr.write(`refwire: no such file or folder: ${missing.join(', ')}\n`);
        process.exitCode = 1;
        return;
      }
      if (files.length === 0) {
        process.stderr.write(`refwire: no JSON files in ${paths.join(', ')}\n`);
        process.exitCode = 1;
        return;
      }
      // loaded when used: the signing adapters and the progress bar stay out of every other command's start-up
      const { runDeliveries } = await import('./run');
      const result = await runDeliveries(readInputs(files, opts.provider), files.length, target(opts), {
        progress: progressOf(opts),
        freshIds: opts.freshIds,
        retries: Number(opts.retries),
      });
      finish(result, opts);
    });

  withTarget(
    program
      .command('simulate')
      .description('post a realistic signed sequence of one provider (fresh ids, the referral code, increasing timestamps)')
      .addArgument(new Argument('<scenario>', SCENARIOS.join(' | ')).choices(SCENARIOS)),
  )
    .addOption(new Option('--provider <name>', 'the payment provider').choices(PROVIDER_NAMES).makeOptionMandatory())
    .requiredOption('--referral-code <code>', "the affiliate's referral code, put where the provider carries it")
    .option('--email <email>', "the customer's email (default: a new simulated-…@example.com)")
    .option('--amount <minor>', 'each payment, in minor units', minorOption, '4900')
    .option('--currency <code>', 'ISO 4217 currency', 'USD')
    .option('--refund-amount <minor>', 'the partial refund, in minor units (default: half the amount)', minorOption)
    .action(
      async (
        scenario: ScenarioName,
        opts: Common & { provider: ProviderName; referralCode: string; email?: string; amount: string; currency: string; refundAmount?: string },
      ) => {
        let simulation;
        try {
          simulation = buildSimulation(opts.provider, scenario, {
            referralCode: opts.referralCode,
            email: opts.email,
            amountMinor: Number(opts.amount),
            currency: opts.currency,
            refundMinor: opts.refundAmount === undefined ? undefined : Number(opts.refundAmount),
          });
        } catch (err) {
          if (!(err instanceof RangeError)) throw err;
          process.stderr.write(`refwire: ${err.message}\n`);
          process.exitCode = 1;
          return;
        }
        const inputs: ReplayInput[] = simulation.deliveries.map((delivery) => ({ kind: 'delivery', delivery }));
        if (!opts.json) {
          process.stdout.write(
            `${scenario} on ${opts.provider}: ${inputs.length} ${inputs.length === 1 ? 'event' : 'events'} for ${simulation.email}, referral code ${simulation.referralCode}, ` +
              `${simulation.amountMinor} ${simulation.currency} minor units a payment\n`,
          );
        }
        const { runDeliveries } = await import('./run');
        const result = await runDeliveries(inputs, inputs.length, target(opts), { progress: progressOf(opts), retries: Number(opts.retries) });
        finish(result, opts, { scenario, provider: opts.provider, email: simulation.email, expected: simulation.expected });
      },
    );
}
