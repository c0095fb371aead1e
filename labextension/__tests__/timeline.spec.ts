/**
 * Tests of the quiet Timeline: which edits fold into the run after them, the
 * "Show every edit" switch, and what a row says (the cell by its place, who
 * made the state when it was not the user).
 */

import { nullTranslator } from '@jupyterlab/translation';

import { foldEdits, preparesRun } from '../fold';
import { HistoryGraph } from '../model';
import { IState, ITree } from '../tokens';
import { HistoryPanel } from '../widgets/panel';
import { cellName, madeBy } from '../widgets/rowtext';
import { makePanel as newPanel, makeState } from './fixtures';

const trans = nullTranslator.load('jupyter-branch');

function st(
  id: string,
  parent: string | null,
  seq: number,
  extra: Partial<IState> = {}
): IState {
  return makeState({
    id,
    parent,
    seq,
    cell_id: 'c1-internal-id',
    preview: `step ${seq}`,
    by_client: 'browser',
    sources_key: `k${seq}`,
    ...extra
  });
}

const edit = (extra: Partial<IState> = {}) => ({
  event: 'edit' as const,
  execution_count: null,
  status: null,
  duration_ms: null,
  ...extra
});

function tree(head: string, states: IState[]): ITree {
  return { notebook: 'a.ipynb', head, states, running: [], deleted: false };
}

// a fresh notebook and four runs, each after the edit that typed its code
//   save ─ E1 ─ R1 ─ E2 ─ R2 ─ E3 ─ R3 ─ E4 ─ R4 (head)
function fourRuns(): IState[] {
  const states = [
    st('s', null, 1, {
      event: 'save',
      cell_id: null,
      cell_index: null,
      execution_count: null,
      status: null,
      preview: 'saved in Jupyter'
    })
  ];
  for (let i = 1; i <= 4; i++) {
    const cell = i % 2 ? 'c1-internal-id' : 'c2-internal-id';
    const key = `typed-${i}`;
    states.push(
      st(`e${i}`, states[states.length - 1].id, 2 * i, {
        ...edit({ cell_id: cell, cell_index: 1 - (i % 2), sources_key: key })
      }),
      st(`r${i}`, `e${i}`, 2 * i + 1, {
        cell_id: cell,
        cell_index: 1 - (i % 2),
        sources_key: key
      })
    );
  }
  return states;
}

describe('folding edits into runs', () => {
  it('folds each edit that only typed the code the run after it ran', () => {
    const g = new HistoryGraph(tree('r4', fourRuns()));
    const rows = foldEdits(g.timeline());
    expect(g.timeline()).toHaveLength(9);
    expect(rows.map(r => r.state.id)).toEqual(['r4', 'r3', 'r2', 'r1', 's']);
    expect(rows.map(r => r.folded.map(s => s.id))).toEqual([
      ['e4'],
      ['e3'],
      ['e2'],
      ['e1'],
      []
    ]);
  });

  it('keeps an edit whose run ran other code, another cell, or came later', () => {
    const base = st('e', null, 1, edit({ sources_key: 'k' }));
    expect(preparesRun(base, st('r', 'e', 2, { sources_key: 'k' }))).toBe(true);
    // the run changed a source the edit did not have (other code)
    expect(preparesRun(base, st('r', 'e', 2, { sources_key: 'other' }))).toBe(
      false
    );
    // another cell ran
    expect(
      preparesRun(base, st('r', 'e', 2, { sources_key: 'k', cell_id: 'c2' }))
    ).toBe(false);
    // not the next state
    expect(preparesRun(base, st('r', 'x', 2, { sources_key: 'k' }))).toBe(
      false
    );
    // an edit of several cells names none: it stays
    expect(
      preparesRun(
        { ...base, cell_id: null },
        st('r', 'e', 2, { cell_id: null })
      )
    ).toBe(false);
  });

  it('keeps an edit that is Head, is labelled, or starts another branch', () => {
    const states = [
      st('e1', null, 1, edit({ sources_key: 'a' })),
      st('r1', 'e1', 2, { sources_key: 'a' }),
      st('e2', 'r1', 3, edit({ sources_key: 'b', label: 'idea' })),
      st('r2', 'e2', 4, { sources_key: 'b' }),
      st('e3', 'r2', 5, edit({ sources_key: 'c' })),
      st('r3', 'e3', 6, { sources_key: 'c' }),
      st('x', 'e3', 7, edit({ sources_key: 'd' }))
    ];
    const rows = (head: string, tip?: string) =>
      foldEdits(new HistoryGraph(tree(head, states)).timeline(tip)).map(
        r => r.state.id
      );
    // e3 starts the branch to x; e2 is labelled; e1 folds
    expect(rows('r3', 'r3')).toEqual(['r3', 'e3', 'r2', 'e2', 'r1']);
    // the document went back to e1's sources: Head stands on it
    expect(rows('e1', 'r1')).toEqual(['r1', 'e1']);
  });
});

describe('what a row says', () => {
  it('names a cell by its place, and a run no cell holds plainly', () => {
    expect(cellName(st('a', null, 1, { cell_index: 2 }), trans)).toBe('cell 3');
    expect(
      cellName(st('a', null, 1, { cell_id: null, cell_index: null }), trans)
    ).toBe('not in a cell');
    const several = st('a', null, 1, edit({ cell_id: null, cell_index: null }));
    expect(cellName(several, trans)).toBeNull();
  });

  it('says who made a state, unless it was the user in a browser', () => {
    const by = (extra: Partial<IState>) =>
      madeBy(st('a', null, 1, extra), 'me', trans);
    expect(by({ by_user: 'me', by_client: 'browser' })).toBeNull();
    expect(by({ by_user: null, by_client: null })).toBeNull();
    expect(by({ by_user: 'alice', by_client: 'browser' })).toBe('by alice');
    expect(by({ by_user: 'me', by_client: 'kernel client' })).toBe(
      'by a kernel client'
    );
    expect(by({ by_user: 'me', by_client: 'server' })).toBe(
      'run on the server'
    );
    expect(by({ by_user: 'alice', by_client: 'server' })).toBe(
      'run on the server by alice'
    );
    expect(by({ by_user: null, by_client: 'document' })).toBe(
      'from the shared document'
    );
  });
});

describe('the Timeline tab', () => {
  function makePanel(states: IState[], head: string) {
    return newPanel('a.ipynb', {
      trans,
      fetchTree: async () => tree(head, states),
      currentUser: () => 'me'
    });
  }

  const rows = (panel: HistoryPanel) =>
    Array.from(panel.node.querySelectorAll<HTMLElement>('.jp-BranchRow'));

  it('shows one row per run, and every edit when asked', async () => {
    const panel = makePanel(fourRuns(), 'r4');
    await panel.refresh();
    expect(rows(panel).map(r => r.dataset.stateId)).toEqual([
      'r4',
      'r3',
      'r2',
      'r1',
      's'
    ]);
    expect(
      panel.node.querySelector('.jp-BranchTimeline-hidden')!.textContent
    ).toBe('4 edits folded into their runs');
    const toggle = panel.node.querySelector<HTMLInputElement>(
      '.jp-BranchTimeline-everyEdit input'
    )!;
    expect(toggle.checked).toBe(false);
    toggle.click();
    expect(panel.model.everyEdit).toBe(true);
    expect(rows(panel)).toHaveLength(9);
    expect(rows(panel)[1].dataset.stateId).toBe('e4');
    toggle.click();
    expect(rows(panel)).toHaveLength(5);
    panel.dispose();
  });

  it('names cells by place and users other than me, never by cell id', async () => {
    const states = [
      st('r1', null, 1, { cell_index: 2, preview: 'import numpy as np' }),
      st('r2', 'r1', 2, {
        cell_id: null,
        cell_index: null,
        by_client: 'kernel client',
        preview: "print('agent')"
      }),
      st('e3', 'r2', 3, edit({ by_user: 'alice', preview: 'x = 1' })),
      st('r4', 'e3', 4, { by_user: 'me', preview: 'y = 2' })
    ];
    const panel = makePanel(states, 'r4');
    await panel.refresh();
    const [r4, e3, r2, r1] = rows(panel);
    expect(r1.querySelector('.jp-BranchRow-preview')!.textContent).toBe(
      'cell 3import numpy as np'
    );
    expect(r1.querySelector('.jp-BranchRow-cell')!.textContent).toBe('cell 3');
    expect(r2.textContent).toContain('not in a cell');
    expect(r2.querySelector('.jp-BranchRow-by')!.textContent).toBe(
      'by a kernel client'
    );
    expect(e3.querySelector('.jp-BranchRow-by')!.textContent).toBe('by alice');
    expect(r4.querySelector('.jp-BranchRow-by')).toBeNull();
    for (const row of rows(panel)) {
      expect(row.textContent).not.toContain('internal-id');
    }
    // the id stays where tests and the curious find it
    expect(r1.dataset.cellId).toBe('c1-internal-id');
    expect(r1.title).toContain('c1-internal-id');
    panel.dispose();
  });
});
