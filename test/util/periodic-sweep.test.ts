import { PeriodicSweep } from '../../src/util/periodic-sweep';
import { silentLogger } from '../helpers/refwire';

describe('PeriodicSweep', () => {
  it('passes again each time the work counted adds up to its amount, and not before', async () => {
    let passes = 0;
    const sweep = new PeriodicSweep('test sweep', async () => ++passes, silentLogger, 60 * 60_000, 'swept', 5);
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
    const sweep = new PeriodicSweep('test sweep', async () => ++passes, silentLogger, 60 * 60_000, 'swept', 20_000);
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
