import { jest } from '@jest/globals';
import { TtlCache } from './ttl-cache.js';

/** A load whose answer the test gives when it wants, counting how often it was asked. */
function controlledLoad<V>() {
  const calls: { resolve: (v: V) => void; reject: (e: Error) => void }[] = [];
  const load = () => new Promise<V>((resolve, reject) => calls.push({ resolve, reject }));
  return { load, calls };
}

describe('TtlCache', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('reads once for many concurrent misses and serves the value until the TTL', async () => {
    const cache = new TtlCache<string>(5_000);
    const { load, calls } = controlledLoad<string>();
    const waiting = Promise.all([cache.get('k', load), cache.get('k', load), cache.get('k', load)]);
    expect(calls).toHaveLength(1);
    calls[0]!.resolve('v1');
    await expect(waiting).resolves.toEqual(['v1', 'v1', 'v1']);
    jest.advanceTimersByTime(4_999);
    await expect(cache.get('k', load)).resolves.toBe('v1');
    expect(calls).toHaveLength(1);
  });

  it('after the TTL answers the old value while one refresh runs, then the new one', async () => {
    const cache = new TtlCache<string>(5_000);
    const { load, calls } = controlledLoad<string>();
    const first = cache.get('k', load);
    calls[0]!.resolve('v1');
    await first;
    jest.advanceTimersByTime(5_001);
    await expect(cache.get('k', load)).resolves.toBe('v1');
    await expect(cache.get('k', load)).resolves.toBe('v1');
    expect(calls).toHaveLength(2);
    calls[1]!.resolve('v2');
    await Promise.resolve();
    await expect(cache.get('k', load)).resolves.toBe('v2');
  });

  it('waits for a fresh read once the value is older than two TTLs', async () => {
    const cache = new TtlCache<string>(5_000);
    const { load, calls } = controlledLoad<string>();
    const first = cache.get('k', load);
    calls[0]!.resolve('v1');
    await first;
    jest.advanceTimersByTime(10_001);
    const second = cache.get('k', load);
    calls[1]!.resolve('v2');
    await expect(second).resolves.toBe('v2');
  });

  it('a failed refresh is tried again by the next request; a failed first read fails its callers', async () => {
    const cache = new TtlCache<string>(5_000);
    const { load, calls } = controlledLoad<string>();
    const failing = cache.get('k', load);
    calls[0]!.reject(new Error('db down'));
    await expect(failing).rejects.toThrow('db down');
    const retry = cache.get('k', load);
    expect(calls).toHaveLength(2);
    calls[1]!.resolve('v1');
    await expect(retry).resolves.toBe('v1');
    jest.advanceTimersByTime(5_001);
    await expect(cache.get('k', load)).resolves.toBe('v1');
    calls[2]!.reject(new Error('db down'));
    await Promise.resolve();
    await expect(cache.get('k', load)).resolves.toBe('v1');
    expect(calls).toHaveLength(4);
  });

  it('a delete during a read keeps that read from being stored', async () => {
    const cache = new TtlCache<string>(5_000);
    const { load, calls } = controlledLoad<string>();
    const before = cache.get('k', load);
    cache.delete('k');
    calls[0]!.resolve('old');
    await expect(before).resolves.toBe('old');
    const after = cache.get('k', load);
    expect(calls).toHaveLength(2);
    calls[1]!.resolve('new');
    await expect(after).resolves.toBe('new');
  });

  it('keeps at most maxEntries, dropping the oldest', async () => {
    const cache = new TtlCache<string>(5_000, 2);
    let loads = 0;
    const load = (v: string) => async () => (loads++, v);
    await cache.get('a', load('a'));
    await cache.get('b', load('b'));
    await cache.get('c', load('c'));
    await cache.get('b', load('b2'));
    await cache.get('a', load('a2'));
    expect(loads).toBe(4);
    await expect(cache.get('a', load('a3'))).resolves.toBe('a2');
  });
});
