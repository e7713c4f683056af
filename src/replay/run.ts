import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { postDelivery, secretFor, Tally, type Outcome, type PostOptions, type Target } from './deliver';
import { withFreshEventId, type Delivery, type ReplayInput, type Skipped } from './inputs';

export type RunOptions = PostOptions & {
  /** a progress bar (stdout is a terminal) or one plain line per file */
  progress: 'bar' | 'lines' | 'none';
  /** where lines and the bar go (stdout by default) */
  stream?: NodeJS.WriteStream | { write(text: string): unknown; isTTY?: boolean };
  /** give every delivery a new provider event id (`--fresh-ids`) */
  freshIds?: boolean;
  /** called after each delivery */
  onResult?: (delivery: Delivery, outcome: Outcome) => void;
};

export type RunResult = { tally: Tally; results: { delivery: Delivery; outcome: Outcome }[]; skipped: Skipped[] };

interface Reporter {
  delivered(delivery: Delivery, outcome: Outcome): void;
  skipped(skipped: Skipped): void;
  done(): void;
}

function describe(outcome: Outcome): string {
  // with no answer at all, the reason says so ("no answer from …")
  if (outcome.kind === 'rejected') return outcome.status === null ? outcome.reason : `${outcome.status}: ${outcome.reason}`;
  return `event ${outcome.id}`;
}

/** One line per file: for logs and CI, where a redrawn bar would be noise. */
function lineReporter(write: (text: string) => void, total: number): Reporter {
  let done = 0;
  const width = String(total).length;
  const prefix = () => `[${String(++done).padStart(width)}/${total}]`;
  return {
    delivered: (d, o) => write(`${prefix()} ${o.kind.padEnd(9)} ${d.provider.padEnd(12)} ${d.label}  (${describe(o)})\n`),
    skipped: (s) => write(`${prefix()} ${'skipped'.padEnd(9)} ${(s.provider ?? '-').padEnd(12)} ${s.label}  (${s.reason})\n`),
    done: () => undefined,
  };
}

/** A cli-progress bar with the running counts; rejected and skipped files are printed above it as they happen. */
function barReporter(stream: NodeJS.WritableStream, total: number, tally: Tally): Reporter {
  const multibar = new MultiBar(
    {
      stream,
      format: ' {bar} {value}/{total} | accepted {accepted} | duplicates {duplicates} | rejected {rejected} | skipped {skipped}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      barsize: 30,
    },
    Presets.shades_classic,
  );
  const bar: SingleBar = multibar.create(total, 0, { ...tally.total });
  const tick = () => bar.increment(1, { ...tally.total });
  // Ctrl-C (or a kill) while the bar is drawn: the terminal gets its cursor and line wrapping back, and is told how far
  // the run got, before the process ends as an interrupted one does (130, 143)
  const interrupted = (signal: NodeJS.Signals) => {
    multibar.stop();
    const t = tally.total;
    stream.write(`interrupted after ${t.sent + t.skipped} of ${total}: accepted ${t.accepted}, duplicates ${t.duplicates}, rejected ${t.rejected}, skipped ${t.skipped}\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  return {
    delivered: (d, o) => {
      if (o.kind === 'rejected') multibar.log(`rejected  ${d.provider.padEnd(12)} ${d.label}  (${describe(o)})\n`);
      tick();
    },
    skipped: (s) => {
      multibar.log(`skipped   ${(s.provider ?? '-').padEnd(12)} ${s.label}  (${s.reason})\n`);
      tick();
    },
    done: () => {
      process.off('SIGINT', interrupted);
      process.off('SIGTERM', interrupted);
      // a render flushes the lines logged since the last one (the bar redraws on a timer)
      multibar.update();
      multibar.stop();
    },
  };
}

/** Posts each delivery in turn (skips are only counted), reporting as it goes; the tally is the summary. */
export async function runDeliveries(inputs: Iterable<ReplayInput>, total: number, target: Target, options: RunOptions): Promise<RunResult> {
  const stream = options.stream ?? process.stdout;
  const tally = new Tally();
  const reporter: Reporter =
    options.progress === 'bar'
      ? barReporter(stream as NodeJS.WritableStream, total, tally)
      : options.progress === 'lines'
        ? lineReporter((text) => stream.write(text), total)
        : { delivered: () => undefined, skipped: () => undefined, done: () => undefined };
  const results: RunResult['results'] = [];
  const skipped: Skipped[] = [];
  try {
    for (const input of inputs) {
      if (input.kind === 'skipped') {
        tally.skip(input.skipped);
        skipped.push(input.skipped);
        reporter.skipped(input.skipped);
        continue;
      }
      const delivery = options.freshIds ? withFreshEventId(input.delivery) : input.delivery;
      if (secretFor(target, delivery.provider) === undefined) {
        const missing: Skipped = { label: delivery.label, provider: delivery.provider, reason: `no --secret for ${delivery.provider}` };
        tally.skip(missing);
        skipped.push(missing);
        reporter.skipped(missing);
        continue;
      }
      const outcome = await postDelivery(target, delivery, options);
      tally.add(delivery.provider, outcome);
      results.push({ delivery, outcome });
      reporter.delivered(delivery, outcome);
      options.onResult?.(delivery, outcome);
    }
  } finally {
    reporter.done();
  }
  return { tally, results, skipped };
}
