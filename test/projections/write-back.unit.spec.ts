import { expect } from 'chai';
import type { DocumentWrite, ReadStore } from '../../ports/read-store';
import { openSqliteReadStore } from '../../infra/sqlite/sqlite-read-store';
import { WriteBackConflictError, WriteBackStore } from '../../projections/write-back';

const write = (id: string, n: number, expectedVersion: DocumentWrite['expectedVersion']): DocumentWrite => ({
  id,
  body: { id, n },
  progress: { $all: n },
  expectedVersion,
});

/** What a worker does: read, then write on the version it read. */
const bump = async (store: ReadStore, collection: string, id: string, n: number): Promise<readonly string[]> => {
  const current = (await store.getMany(collection, [id])).get(id);
  return (await store.putMany(collection, [write(id, n, current?.version ?? 0)])).conflicts;
};

describe('a write-back store (a rebuild holding its target in memory)', () => {
  let store: ReadStore;
  beforeEach(() => {
    store = openSqliteReadStore({ path: ':memory:' });
  });
  afterEach(async () => {
    await store.close();
  });

  it('writes nothing before a flush, then each changed document once at version 1', async () => {
    const held = new WriteBackStore(store, { collection: 'c', startsEmpty: true });
    for (let n = 1; n <= 5; n++) expect(await bump(held, 'c', 'a', n)).to.deep.equal([]);
    expect(await bump(held, 'c', 'b', 1)).to.deep.equal([]);
    expect((await held.getMany('c', ['a'])).get('a')?.body).to.deep.equal({ id: 'a', n: 5 });
    expect(await store.count('c')).to.equal(0);
    expect(held.dirty).to.equal(2);

    expect(await held.flush()).to.equal(2);
    const stored = await store.getMany('c', ['a', 'b']);
    expect(stored.get('a')).to.deep.include({ body: { id: 'a', n: 5 }, progress: { $all: 5 }, version: 1 });
    expect(stored.get('b')?.version).to.equal(1);
    expect(held.dirty).to.equal(0);
  });

  it('updates a document flushed before on the version the store has', async () => {
    const held = new WriteBackStore(store, { collection: 'c', startsEmpty: true });
    await bump(held, 'c', 'a', 1);
    await held.flush();
    await bump(held, 'c', 'a', 2);
    await bump(held, 'c', 'a', 3);
    await held.flush();
    expect((await store.get('c', 'a'))?.version).to.equal(2);
    expect((await store.get('c', 'a'))?.body).to.deep.equal({ id: 'a', n: 3 });
  });

  it('reads documents it does not hold from the store when the collection did not start empty', async () => {
    await store.putMany('c', [write('old', 7, 0)]);
    const held = new WriteBackStore(store, { collection: 'c', startsEmpty: false });
    expect((await held.getMany('c', ['old', 'new'])).get('old')?.body).to.deep.equal({ id: 'old', n: 7 });
    await bump(held, 'c', 'old', 8);
    await bump(held, 'c', 'new', 1);
    await held.flush();
    expect((await store.get('c', 'old'))?.version).to.equal(2);
    expect((await store.get('c', 'new'))?.version).to.equal(1);
  });

  it('refuses a write on a version it does not hold, like any read store', async () => {
    const held = new WriteBackStore(store, { collection: 'c', startsEmpty: true });
    await bump(held, 'c', 'a', 1);
    expect((await held.putMany('c', [write('a', 2, 0)])).conflicts).to.deep.equal(['a']);
    const unread = new WriteBackStore(store, { collection: 'c', startsEmpty: false });
    expect((await unread.putMany('c', [write('x', 1, 0)])).conflicts, 'never read').to.deep.equal(['x']);
  });

  it('stops with a conflict when another writer changed a document it holds', async () => {
    const held = new WriteBackStore(store, { collection: 'c', startsEmpty: true });
    await bump(held, 'c', 'a', 1);
    await store.putMany('c', [write('a', 99, 0)]);
    const error = await held.flush().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(WriteBackConflictError);
  });

  it('holds unconditional writes to other collections until the documents are written', async () => {
    const held = new WriteBackStore(store, { collection: 'c', startsEmpty: true });
    await bump(held, 'c', 'a', 1);
    await held.putMany('progress', [write('c@$all', 1, 'any')]);
    expect(await store.get('progress', 'c@$all')).to.equal(undefined);
    await held.flush();
    expect((await store.get('progress', 'c@$all'))?.body).to.deep.equal({ id: 'c@$all', n: 1 });
  });

  it('keeps folding while a flush is under way, and writes what changed meanwhile at the next flush', async () => {
    const held = new WriteBackStore(store, { collection: 'c', startsEmpty: true, flushBatch: 1 });
    await bump(held, 'c', 'a', 1);
    await bump(held, 'c', 'b', 1);
    const flushing = held.flush();
    await bump(held, 'c', 'a', 2);
    await flushing;
    await held.flush();
    expect((await store.get('c', 'a'))?.body).to.deep.equal({ id: 'a', n: 2 });
    expect((await store.get('c', 'a'))?.version).to.equal(2);
  });

  it('forgets what it holds past its limit and reads it back from the store', async () => {
    const held = new WriteBackStore(store, { collection: 'c', startsEmpty: true, maxDocuments: 1 });
    await bump(held, 'c', 'a', 1);
    await bump(held, 'c', 'b', 1);
    await held.flush();
    await bump(held, 'c', 'a', 2);
    await held.flush();
    expect((await store.get('c', 'a'))?.version).to.equal(2);
    expect((await store.get('c', 'a'))?.body).to.deep.equal({ id: 'a', n: 2 });
  });

  it('writes only the documents that settled when asked, and tells where the unwritten changes start', async () => {
    const held = new WriteBackStore(store, { collection: 'c', startsEmpty: true });
    held.beginBatch(10);
    await bump(held, 'c', 'old', 1);
    await held.putMany('progress', [write('c@$all', 10, 'any')]);
    held.beginBatch(50);
    await bump(held, 'c', 'recent', 1);
    await bump(held, 'c', 'old', 2);
    expect(held.unwrittenSince).to.equal(10);

    expect(await held.flush({ changedBefore: 40 })).to.equal(1);
    expect((await store.get('c', 'old'))?.body).to.deep.equal({ id: 'old', n: 2 });
    expect(await store.get('c', 'recent')).to.equal(undefined);
    expect(held.unwrittenSince).to.equal(50);
    expect(await store.get('progress', 'c@$all'), 'progress waits for every change').to.equal(undefined);

    await held.flush();
    expect(held.unwrittenSince).to.equal(undefined);
    expect(await store.get('c', 'recent')).to.not.equal(undefined);
    expect(await store.get('progress', 'c@$all')).to.not.equal(undefined);
  });
});
