/**
 * Tests of the history model: branches, tips, the tree layout, live updates.
 */

import { HistoryGraph, HistoryModel } from '../model';
import { IState, ITree } from '../tokens';

function s(id: string, parent: string | null, seq: number): IState {
  return {
    id,
    parent,
    seq,
    time: '2025-01-10T12:00:00Z',
    event: 'execute',
    cell_id: 'c',
    execution_count: seq,
    status: 'ok',
    preview: id,
    label: null,
    duration_ms: null,
    restored_from: null,
    by_user: null,
    by_client: null,
    cell_index: 0,
    sources_key: `k-${id}`
  };
}

/** A `GET tree` answer with nothing running. */
function tree(head: string | null, states: IState[], notebook = 'n'): ITree {
  return { notebook, head, states, running: [], deleted: false };
}

//   r ─ a ─ b ─ c          (c: an older branch)
//        └─ d ─ e (head)
//             └─ f         (f: the newest branch)
const states = [
  s('r', null, 1),
  s('a', 'r', 2),
  s('b', 'a', 3),
  s('c', 'b', 4),
  s('d', 'a', 5),
  s('e', 'd', 6),
  s('f', 'd', 7)
];

describe('HistoryGraph', () => {
  it('walks a branch from its tip to the root', () => {
    const g = new HistoryGraph(tree('e', states));
    expect(g.branch('c').map(x => x.id)).toEqual(['c', 'b', 'a', 'r']);
  });

  it('finds the latest tip of a subtree', () => {
    const g = new HistoryGraph(tree('e', states));
    expect(g.tipOf('r')!.id).toBe('f');
    expect(g.tipOf('b')!.id).toBe('c');
    expect(g.tipOf('e')!.id).toBe('e');
  });

  it("lists Head's branch with the branches that leave it", () => {
    const g = new HistoryGraph(tree('e', states));
    const rows = g.timeline();
    expect(rows.map(r => r.state.id)).toEqual(['e', 'd', 'a', 'r']);
    expect(
      rows.find(r => r.state.id === 'a')!.otherBranches.map(x => x.id)
    ).toEqual(['b']);
    expect(
      rows.find(r => r.state.id === 'd')!.otherBranches.map(x => x.id)
    ).toEqual(['f']);
    expect(rows[0].isHead).toBe(true);
  });

  it('continues past Head when the document went back to earlier content', () => {
    const g = new HistoryGraph(tree('a', states));
    const rows = g.timeline();
    expect(rows[0].state.id).toBe('f'); // the latest work after Head
    expect(rows.find(r => r.isHead)!.state.id).toBe('a');
  });

  it('lays every state out in lanes, newest first, one lane per live branch', () => {
    const g = new HistoryGraph(tree('e', states));
    const rows = g.treeRows();
    expect(rows.map(r => r.state.id)).toEqual([
      'f',
      'e',
      'd',
      'c',
      'b',
      'a',
      'r'
    ]);
    const lane: Record<string, number> = {};
    rows.forEach(r => (lane[r.state.id] = r.lane));
    expect(lane.f).toBe(lane.d); // f continues d's line
    expect(lane.e).not.toBe(lane.f);
    expect(lane.c).toBe(lane.b);
    expect(lane.r).toBe(lane.a);
    expect(rows.find(r => r.state.id === 'r')!.lanesAfter).toEqual([]);
    expect(Math.max(...rows.map(r => r.lane))).toBeLessThanOrEqual(2);
  });

  it('merges new states and updated labels', () => {
    const g = new HistoryGraph(tree('r', [s('r', null, 1)]));
    g.add([{ ...s('r', null, 1), label: 'baseline' }, s('x', 'r', 2)]);
    expect(g.get('r')!.label).toBe('baseline');
    expect(g.states.map(x => x.id)).toEqual(['r', 'x']);
    expect(g.lastSeq).toBe(2);
  });
});

describe('HistoryModel', () => {
  it('loads the whole tree, then asks only for what is new', async () => {
    const calls: number[] = [];
    let answer = tree('a', [s('r', null, 1), s('a', 'r', 2)]);
    const model = new HistoryModel(async (_path, since) => {
      calls.push(since);
      return { ...answer, states: answer.states.filter(x => x.seq > since) };
    });
    const changes: number[] = [];
    model.changed.connect(() => changes.push(1));
    await model.setPath('n');
    expect(model.graph!.states).toHaveLength(2);
    answer = tree('b', [...answer.states, s('b', 'a', 3)]);
    expect(await model.refresh()).toBe(true);
    expect(await model.refresh()).toBe(false);
    expect(calls).toEqual([0, 2, 3]);
    expect(model.graph!.head).toBe('b');
    expect(changes.length).toBeGreaterThan(0);
  });

  it('keeps the error in words and recovers', async () => {
    let fail = true;
    const model = new HistoryModel(async () => {
      if (fail) {
        throw new Error('The history database is locked by another program.');
      }
      return tree(null, []);
    });
    await model.setPath('n');
    expect(model.error).toContain('locked');
    fail = false;
    await model.refresh();
    expect(model.error).toBeNull();
    expect(model.graph).not.toBeNull();
  });

  it('ignores an answer for a notebook the user already left', async () => {
    let release: (t: ITree) => void = () => undefined;
    const model = new HistoryModel((path: string) =>
      path === 'slow'
        ? new Promise<ITree>(resolve => (release = resolve))
        : Promise.resolve(tree(null, [s('q', null, 1)], path))
    );
    const slow = model.setPath('slow');
    await model.setPath('fast');
    release(tree(null, [s('z', null, 1)], 'slow'));
    await slow;
    expect(model.path).toBe('fast');
    expect(model.graph!.states.map(x => x.id)).toEqual(['q']);
  });
});
