import { bounded, Reachability, StoreTimeout } from '../lib/guards/store/reachability.js';
import { fakeTimersPerTest } from './helpers/script.js';

fakeTimersPerTest();

describe('Reachability: a store skipped after a failure, then probed one call at a time', () => {
  it('admits every call while the store answers', () => {
    const reach = new Reachability(1_000);
    expect([reach.admit(), reach.admit()]).toEqual(['up', 'up']);
    expect(reach.degraded).toBe(false);
  });

  it('skips the store for retryInterval after a failure, then lets one probe through', () => {
    const reach = new Reachability(1_000);
    const error = new Error('down');
    reach.down(error);
    expect(reach).toMatchObject({ degraded: true, lastError: error, failures: 1 });
    expect(reach.admit()).toBe('skip');
    jest.advanceTimersByTime(999);
    expect(reach.admit()).toBe('skip');
    jest.advanceTimersByTime(1);
    expect(reach.admit()).toBe('probe');
    expect(reach.admit()).toBe('skip'); // one probe at a time
  });

  it('a failed probe skips the store for another retryInterval, and the next probe can still come', () => {
    const reach = new Reachability(1_000);
    reach.down(new Error('down'));
    jest.advanceTimersByTime(1_000);
    expect(reach.admit()).toBe('probe');
    reach.down(new Error('still down'));
    reach.endProbe();
    expect(reach.admit()).toBe('skip');
    jest.advanceTimersByTime(1_000);
    expect(reach.admit()).toBe('probe');
    reach.up();
    reach.endProbe();
    expect(reach).toMatchObject({ degraded: false, lastError: undefined, failures: 2 });
    expect(reach.admit()).toBe('up');
  });

  it('an aborted probe decides nothing: the next call may probe at once', () => {
    const reach = new Reachability(1_000);
    reach.down(new Error('down'));
    jest.advanceTimersByTime(1_000);
    expect(reach.admit()).toBe('probe');
    reach.endProbe();
    expect(reach.admit()).toBe('probe');
  });
});

describe('bounded: a store call that gives up after its timeout', () => {
  it('passes the answer or the failure on, clearing its timer', async () => {
    await expect(bounded(() => Promise.resolve(7), 100, 'the test store')).resolves.toBe(7);
    await expect(bounded(() => Promise.reject(new Error('no')), 100, 'the test store')).rejects.toThrow('no');
  });

  it('a call that throws at once rejects', async () => {
    const call = bounded(
      () => {
        throw new Error('sync');
      },
      100,
      'the test store',
    );
    await expect(call).rejects.toThrow('sync');
  });

  it('rejects with a StoreTimeout naming the store and the timeout when no answer comes in time', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] }); // the timeout gives a late answer one turn of the loop
    const call = bounded(() => new Promise<never>(() => {}), 100, 'the test store');
    const settled = call.catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(99);
    await expect(Promise.race([settled, Promise.resolve('pending')])).resolves.toBe('pending');
    await jest.advanceTimersByTimeAsync(1);
    const error = await settled;
    expect(error).toBeInstanceOf(StoreTimeout);
    expect((error as Error).message).toBe('the test store did not answer within 100 ms');
  });
});
