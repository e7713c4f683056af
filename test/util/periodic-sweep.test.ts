import { PeriodicSweep } from '../../src/util/periodic-sweep';
import { silentLogger } from '../helpers/refwire';

describe('PeriodicSweep', () => {
  it('passes again each time the work counted adds up to its amount, and not before', async () => {
    let passes = 0;
    const sweep = new PeriodicSweep('test sweep', async () => ++passes, silentLogger, 60 * 60_000, 'swept', { everyWork: 5 });
    sweep.worked(3);
    await sweep.stop();
    expect(passes).toBe(0);
    sweep.worked(3); // 6 ≥ 5: a pass, and the one past the mark counts toward the next
    await sweep.stop();
    expect(passes).toBe(1);
    sweep.worked(3);
    await sweep.stop();
    expect(passes).toBe(1);
    sweep.worked(1);
    await sweep.stop();
    expect(passes).toBe(2);
  });

  it('passes once per amount of work however the work is split', async () => {
    let passes = 0;
    const sweep = new PeriodicSweep('test sweep', async () => ++passes, silentLogger, 60 * 60_000, 'swept', { everyWork: 20_000 });
    // 100,000 events in batches of 130 and a last one of 30: five passes, the last at the very end
    for (let i = 0; i < 769; i++) {
      sweep.worked(130);
      await sweep.stop();
    }
    expect(passes).toBe(4);
    sweep.worked(30);
    await sweep.stop();
    expect(passes).toBe(5);
  });

  it('without an amount, work never starts a pass', async () => {
    let passes = 0;
    const sweep = new PeriodicSweep('test sweep', async () => ++passes, silentLogger, 60 * 60_000, 'swept');
    sweep.worked(1_000_000);
    await sweep.stop();
    expect(passes).toBe(0);
  });
});

describe('PeriodicSweep with quietMs: a pass due by work waits for a pause in the work', () => {
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  /** work that goes on: a unit every 40 ms, `beats` times, each checked by `check` */
  const keepWorking = async (sweep: PeriodicSweep, beats: number, check: () => void = () => undefined) => {
    for (let i = 0; i < beats; i++) {
      await pause(40);
      sweep.worked(1);
      check();
    }
  };

  it('runs the due pass only once no work has been counted for quietMs', async () => {
    let passes = 0;
    const sweep = new PeriodicSweep('test sweep', async () => ++passes, silentLogger, 60 * 60_000, 'swept', { everyWork: 10, quietMs: 300 });
    sweep.worked(12); // due, but work goes on
    await keepWorking(sweep, 8, () => expect(passes).toBe(0));
    await pause(600);
    await sweep.stop();
    expect(passes).toBe(1);
    // the count starts again from what was past the mark: 20 counted, so 0 left, and 9 more are not due
    sweep.worked(9);
    await pause(600);
    await sweep.stop();
    expect(passes).toBe(1);
  });

  it('runs it in the midst of the work once five times the amount has piled up', async () => {
    let passes = 0;
    const sweep = new PeriodicSweep('test sweep', async () => ++passes, silentLogger, 60 * 60_000, 'swept', { everyWork: 10, quietMs: 60_000 });
    for (let i = 0; i < 4; i++) sweep.worked(12); // 48: due, waiting for a pause that does not come
    expect(passes).toBe(0);
    sweep.worked(2); // 50 = 5 × 10
    await sweep.stop();
    expect(passes).toBe(1);
  });

  it('leaves a due pass that is still waiting when stopped', async () => {
    let passes = 0;
    const sweep = new PeriodicSweep('test sweep', async () => ++passes, silentLogger, 60 * 60_000, 'swept', { everyWork: 10, quietMs: 50 });
    sweep.worked(10);
    await sweep.stop();
    await pause(150);
    expect(passes).toBe(0);
  });

  it('makes the pass at start wait for quiet too: a worker started into a backlog vacuums after it', async () => {
    let passes = 0;
    const sweep = new PeriodicSweep('test sweep', async () => ++passes, silentLogger, 60 * 60_000, 'swept', { everyWork: 1_000, quietMs: 300 });
    sweep.start();
    await keepWorking(sweep, 8);
    expect(passes).toBe(0);
    await pause(600);
    await sweep.stop();
    expect(passes).toBe(1);
  });

  it('without quietMs, passes at start at once', async () => {
    let passes = 0;
    const sweep = new PeriodicSweep('test sweep', async () => ++passes, silentLogger, 60 * 60_000, 'swept', { everyWork: 1_000 });
    sweep.start();
    await sweep.stop();
    expect(passes).toBe(1);
  });

  it('puts a pass off while `busy` says work is waiting, and runs it once it is not', async () => {
    let passes = 0;
    let waiting = true;
    let asked = 0;
    const busy = async () => {
      asked++;
      return waiting;
    };
    const sweep = new PeriodicSweep('test sweep', async () => ++passes, silentLogger, 60 * 60_000, 'swept', { everyWork: 1_000, quietMs: 50, busy });
    sweep.start();
    await pause(400);
    expect(passes).toBe(0);
    expect(asked).toBeGreaterThanOrEqual(2);
    waiting = false;
    await pause(300);
    await sweep.stop();
    expect(passes).toBe(1);
  });

  it('runs the pass when `busy` fails: the pass reports its own failure', async () => {
    let passes = 0;
    const busy = () => Promise.reject(new Error('the database is down'));
    const sweep = new PeriodicSweep('test sweep', async () => ++passes, silentLogger, 60 * 60_000, 'swept', { everyWork: 1_000, quietMs: 50, busy });
    sweep.start();
    await pause(300);
    await sweep.stop();
    expect(passes).toBe(1);
  });
});
