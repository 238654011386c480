import { SharedStatementGroups, SharedStatements } from './shared-statements.js';

/** A statement that answers when told to, recording each batch it was sent. */
function fakeStatement(fail: (item: string) => boolean = () => false) {
  const batches: string[][] = [];
  const pending: (() => void)[] = [];
  const send = (batch: string[]) => {
    batches.push(batch);
    return new Promise<string[]>((resolve, reject) => {
      pending.push(() => (batch.some(fail) ? reject(new Error(`refused ${batch.filter(fail).join(',')}`)) : resolve(batch.map((item) => `stored ${item}`))));
    });
  };
  /** Answers every statement on its way, and those they lead to, until none is left. */
  const answerAll = async () => {
    while (pending.length > 0) {
      pending.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { send, batches, answerAll };
}

describe('SharedStatements', () => {
  it('sends a lone item at once, and what arrives while a statement is on its way together in the next', async () => {
    const statement = fakeStatement();
    const shared = new SharedStatements(statement.send, { inFlight: 1, maxItems: 100 });
    const first = shared.submit('a');
    expect(statement.batches).toEqual([['a']]);
    const rest = ['b', 'c', 'd'].map((item) => shared.submit(item));
    expect(statement.batches).toHaveLength(1);
    await statement.answerAll();
    expect(statement.batches).toEqual([['a'], ['b', 'c', 'd']]);
    expect(await Promise.all([first, ...rest])).toEqual(['stored a', 'stored b', 'stored c', 'stored d']);
  });

  it('keeps to the item and weight limits, and never puts two items of one key in a statement', async () => {
    const statement = fakeStatement();
    const shared = new SharedStatements(statement.send, { inFlight: 1, maxItems: 3, weight: (item) => item.length, maxWeight: 6, key: (item) => item[0]! });
    const all = ['x', 'a1', 'a2', 'b1', 'c1', 'd1', 'eeeeeeeeee', 'f1'].map((item) => shared.submit(item));
    await statement.answerAll();
    // 'a2' waits for the statement after 'a1'; 'eeeeeeeeee' is over the weight alone, so it goes alone.
    expect(statement.batches).toEqual([['x'], ['a1', 'b1', 'c1'], ['a2', 'd1'], ['eeeeeeeeee'], ['f1']]);
    expect(await Promise.all(all)).toHaveLength(8);
  });

  it('fails only the item the statement refused, never the neighbours it shared the statement with', async () => {
    const statement = fakeStatement((item) => item === 'bad');
    const shared = new SharedStatements(statement.send, { inFlight: 1, maxItems: 100 });
    const first = shared.submit('first');
    const outcomes = ['ok1', 'bad', 'ok2'].map((item) => shared.submit(item).then((v) => v, (error: Error) => error.message));
    await statement.answerAll();
    expect(await first).toBe('stored first');
    expect(await Promise.all(outcomes)).toEqual(['stored ok1', 'refused bad', 'stored ok2']);
    expect(statement.batches).toEqual([['first'], ['ok1', 'bad', 'ok2'], ['ok1'], ['bad'], ['ok2']]);
  });

  it('tells every caller of a failed statement at once when the error is not the items\' (isolate)', async () => {
    const statement = fakeStatement((item) => item !== 'first');
    const shared = new SharedStatements(statement.send, { inFlight: 1, maxItems: 100, isolate: () => false });
    const first = shared.submit('first');
    const outcomes = ['a', 'b'].map((item) => shared.submit(item).then((v) => v, (error: Error) => error.message));
    await statement.answerAll();
    await first;
    expect(await Promise.all(outcomes)).toEqual(['refused a,b', 'refused a,b']);
    expect(statement.batches).toEqual([['first'], ['a', 'b']]);
  });

  it('has at most `inFlight` statements on their way', async () => {
    const statement = fakeStatement();
    const shared = new SharedStatements(statement.send, { inFlight: 2, maxItems: 100 });
    const all = ['a', 'b', 'c', 'd'].map((item) => shared.submit(item));
    expect(statement.batches).toEqual([['a'], ['b']]);
    await statement.answerAll();
    expect(statement.batches).toEqual([['a'], ['b'], ['c', 'd']]);
    expect(await Promise.all(all)).toEqual(['stored a', 'stored b', 'stored c', 'stored d']);
  });

  it('shares statements only within a group, each group written by its own send', async () => {
    const [a, b] = [fakeStatement(), fakeStatement()];
    const groups = new SharedStatementGroups<string, string>({ inFlight: 1, maxItems: 100 });
    const all = ['a1', 'b1', 'a2', 'b2', 'a3'].map((item) => groups.submit(item[0]!, item, item[0] === 'a' ? a.send : b.send));
    expect(groups.waiting).toBe(3);
    await Promise.all([a.answerAll(), b.answerAll()]);
    expect([a.batches, b.batches]).toEqual([[['a1'], ['a2', 'a3']], [['b1'], ['b2']]]);
    expect(await Promise.all(all)).toEqual(['stored a1', 'stored b1', 'stored a2', 'stored b2', 'stored a3']);
  });
});
