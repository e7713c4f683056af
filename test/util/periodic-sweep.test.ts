import { PeriodicSweep } from '../../src/util/periodic-sweep';
import { silentLogger } from '../helpers/refwire';

describe('PeriodicSweep', () => {
  it('passes again each time the work counted adds up to its amount, and not before', async () => {
    let passes = 0;
    const sweep = new PeriodicSweep('test sweep', async () => ++passes, silentLogger, 60 * 60_000, 'swept', 5);
    sweep.worked(3);
    await sweep.stop();
    expect(passes).toBe(0);
    sweep.worked(3); // 6 ≥ 5: a pass, and the count starts again
    await sweep.stop();
    expect(passes).toBe(1);
    sweep.worked(4);
    await sweep.stop();
    expect(passes).toBe(1);
    sweep.worked(1);
    await sweep.stop();
    expect(passes).toBe(2);
  });

  it('without an amount, work never starts a pass', async () => {
    let passes = 0;
    const sweep = new PeriodicSweep('test sweep', async () => ++passes, silentLogger, 60 * 60_000, 'swept');
    sweep.worked(1_000_000);
    await sweep.stop();
    expect(passes).toBe(0);
  });
});
