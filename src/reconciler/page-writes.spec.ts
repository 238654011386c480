import { PageWriteQueue } from './page-writes.js';
import { RateLimiter } from './rate-limiter.js';

interface Page {
  objects: number;
  name: string;
}

const page = (name: string, objects = 100): Page => ({ name, objects });

/** A write that finishes when told to, recording the batches it was given. */
function controlledWrites() {
  const batches: string[][] = [];
  const finish: (() => void)[] = [];
  const write = (pages: Page[]) => {
    batches.push(pages.map((p) => p.name));
    return new Promise<void>((resolve) => finish.push(resolve));
  };
  return { batches, finish, write };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('PageWriteQueue', () => {
  it('writes each page at once while a writer is free, then gathers the waiting pages of one account into one batch up to its size', async () => {
    const queue = new PageWriteQueue<Page>({ concurrency: 1, batchObjects: 300, maxQueuedObjects: 10_000 });
    const { batches, finish, write } = controlledWrites();
    const written = [];
    written.push((await queue.add('acct_a', page('a1'), write)).written);
    for (const name of ['a2', 'b1', 'a3', 'a4', 'a5']) written.push((await queue.add(name.startsWith('a') ? 'acct_a' : 'acct_b', page(name), write)).written);
    expect(batches).toEqual([['a1']]);
    finish.shift()!();
    await settled();
    expect(batches).toEqual([['a1'], ['a2', 'a3', 'a4']]);
    finish.shift()!();
    await settled();
    expect(batches).toEqual([['a1'], ['a2', 'a3', 'a4'], ['b1']]);
    finish.shift()!();
    await settled();
    finish.shift()!();
    await Promise.all(written);
    expect(batches).toEqual([['a1'], ['a2', 'a3', 'a4'], ['b1'], ['a5']]);
  });

  it('makes the listing wait while the queue holds its bound of objects, and lets it on once a writer takes them', async () => {
    const queue = new PageWriteQueue<Page>({ concurrency: 1, batchObjects: 100, maxQueuedObjects: 200 });
    const { finish, write } = controlledWrites();
    await queue.add('acct_a', page('writing'), write);
    await queue.add('acct_a', page('q1'), write);
    await queue.add('acct_a', page('q2'), write);
    let third = false;
    const waiting = queue.add('acct_a', page('q3'), write).then(() => (third = true));
    await settled();
    expect({ third, queued: queue.queuedObjects }).toEqual({ third: false, queued: 200 });
    finish.shift()!();
    await waiting;
    expect({ third, queued: queue.queuedObjects }).toEqual({ third: true, queued: 200 });
  });

  it('fails every page of a batch whose write failed, and goes on with the others', async () => {
    const queue = new PageWriteQueue<Page>({ concurrency: 1, batchObjects: 300, maxQueuedObjects: 1_000 });
    const writes: string[][] = [];
    let calls = 0;
    const write = async (pages: Page[]) => {
      writes.push(pages.map((p) => p.name));
      await settled();
      if (++calls === 2) throw new Error('deadlock');
    };
    const first = await queue.add('acct_a', page('p1'), write);
    const second = await queue.add('acct_a', page('p2'), write);
    const third = await queue.add('acct_a', page('p3'), write);
    await expect(first.written).resolves.toBeUndefined();
    await expect(second.written).rejects.toThrow('deadlock');
    await expect(third.written).rejects.toThrow('deadlock');
    const fourth = await queue.add('acct_a', page('p4'), write);
    await expect(fourth.written).resolves.toBeUndefined();
    expect(writes).toEqual([['p1'], ['p2', 'p3'], ['p4']]);
  });
});

describe('RateLimiter', () => {
  it('lets no more than its rate through in any second, the first one included', async () => {
    const limiter = new RateLimiter(20);
    const started = Date.now();
    const times: number[] = [];
    await Promise.all(Array.from({ length: 50 }, () => limiter.take().then(() => times.push(Date.now() - started))));
    times.sort((a, b) => a - b);
    // Seen from the callbacks, which a busy machine may run a few ms late each (a token bucket's first burst would put 40 in the first second).
    for (let i = 20; i < times.length; i++) expect(times[i]! - times[i - 20]!).toBeGreaterThanOrEqual(950);
    // None is held back for good: all 50 resolved (the suite's own timeout is the bound; no timed assertion here).
    expect(times).toHaveLength(50);
  });
});
