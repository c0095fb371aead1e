/**
 * Tests of the history sidebar: formatting, rows of the timeline, branch
 * points, and plain-words messages.
 */

import { APIError, NOT_INSTALLED_MESSAGE } from '../api';
import { IHistoryListener } from '../live';
import { IState, ITree } from '../tokens';
import { formatBytes, formatDuration, relativeTime } from '../widgets/timeline';
import { makePanel as newPanel, makeState } from './fixtures';

describe('formatting', () => {
  const now = Date.parse('2025-01-10T12:00:00Z');

  it.each([
    ['2025-01-10T12:00:03Z', 'just now'],
    ['2025-01-10T11:59:18Z', '42 s ago'],
    ['2025-01-10T11:55:00Z', '5 min ago'],
    ['2025-01-10T09:00:00Z', '3 h ago'],
    ['2025-01-08T12:00:00Z', '2 d ago']
  ])('%s is %s', (iso, expected) => {
    expect(relativeTime(iso, now)).toBe(expected);
  });

  it('returns what it cannot parse unchanged', () => {
    expect(relativeTime('yesterday-ish', now)).toBe('yesterday-ish');
  });

  it('formats durations and sizes', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12345)).toBe('12.3 s');
    expect(formatDuration(245000)).toBe('4 min 5 s');
    expect(formatBytes(812)).toBe('812 bytes');
    expect(formatBytes(1500)).toBe('1.5 KB');
    expect(formatBytes(3_200_000)).toBe('3.2 MB');
  });
});

function state(
  id: string,
  parent: string | null,
  seq: number,
  preview: string,
  extra: Partial<IState> = {}
): IState {
  return makeState({
    id,
    parent,
    seq,
    cell_id: 'abcdef0123456789',
    preview,
    duration_ms: 12,
    ...extra
  });
}

describe('HistoryPanel', () => {
  function makePanel(
    path: string | null,
    fetchTree: (p: string, s: number) => Promise<ITree>
  ) {
    return newPanel(path, { fetchTree });
  }

  // x = 1 ran; x = 2 ran; back to x = 1; x = 1; x + 10 ran (SPEC's seed)
  const seed: ITree = {
    notebook: 'a.ipynb',
    head: 'e3',
    states: [
      state('e1', null, 1, 'x = 1'),
      // each edit typed the code the run after it ran: equal sources
      state('d2', 'e1', 2, 'x = 2', {
        event: 'edit',
        execution_count: null,
        status: null,
        sources_key: 'k2'
      }),
      state('e2', 'd2', 3, 'x = 2', { sources_key: 'k2' }),
      state('d3', 'e1', 4, 'x = 1; x + 10', {
        event: 'edit',
        execution_count: null,
        status: null,
        sources_key: 'k3'
      }),
      state('e3', 'd3', 5, 'x = 1; x + 10', { sources_key: 'k3' })
    ],
    running: [],
    deleted: false
  };

  it('shows the current branch newest first, marks Head and the branch point', async () => {
    const panel = makePanel('a.ipynb', async () => seed);
    await panel.refresh();
    const rows = Array.from(
      panel.node.querySelectorAll<HTMLElement>('.jp-BranchRow')
    );
    // the edits that only typed the code run next are folded into the runs
    expect(rows.map(r => r.dataset.stateId)).toEqual(['e3', 'e1']);
    expect(rows[0].dataset.folded).toBe('d3');
    expect(rows[0].classList.contains('jp-mod-head')).toBe(true);
    expect(rows[0].textContent).toContain('x = 1; x + 10');
    expect(rows[1].querySelector('.jp-BranchRow-branches')!.textContent).toBe(
      ' 1'
    );
    expect(
      rows[1].querySelector<HTMLElement>('.jp-BranchRow-branches')!.title
    ).toContain('1 other branch starts here');
    expect(rows[0].querySelector('.jp-BranchRow-branches')).toBeNull();
    panel.dispose();
  });

  it('opens another branch on request and offers the way back', async () => {
    const panel = makePanel('a.ipynb', async () => seed);
    await panel.refresh();
    panel.model.viewTip = panel.model.graph!.tipOf('d2')!.id;
    const rows = Array.from(
      panel.node.querySelectorAll<HTMLElement>('.jp-BranchRow')
    );
    expect(rows.map(r => r.dataset.stateId)).toEqual(['e2', 'e1']);
    const banner = panel.node.querySelector<HTMLElement>(
      '.jp-BranchPanel-banner'
    )!;
    expect(banner.hidden).toBe(false);
    banner.querySelector('button')!.click();
    const back = Array.from(
      panel.node.querySelectorAll<HTMLElement>('.jp-BranchRow')
    );
    expect(back[0].dataset.stateId).toBe('e3');
    panel.dispose();
  });

  it('selecting a row shows the actions for that state', async () => {
    const panel = makePanel('a.ipynb', async () => seed);
    await panel.refresh();
    panel.node
      .querySelector<HTMLElement>('.jp-BranchRow[data-state-id="e1"]')!
      .click();
    expect(panel.selected?.id).toBe('e1');
    const actions = Array.from(
      panel.node.querySelectorAll<HTMLElement>('.jp-BranchPanel-action')
    );
    expect(actions.map(a => a.textContent)).toEqual([
      'Open',
      'Diff',
      'Diff with…',
      'Compare with…',
      'Restore',
      'Restore cell',
      'Export',
      'Label…'
    ]);
    panel.dispose();
  });

  it('shows the plain-words error when the server extension is missing', async () => {
    const panel = makePanel('a.ipynb', async () => {
      throw new APIError(NOT_INSTALLED_MESSAGE, 404);
    });
    await panel.refresh();
    const message = panel.node.querySelector('.jp-BranchPanel-message')!;
    expect(message.textContent).toBe(NOT_INSTALLED_MESSAGE);
    expect(message.classList.contains('jp-mod-error')).toBe(true);
    expect(panel.node.querySelectorAll('.jp-BranchRow')).toHaveLength(0);
    panel.dispose();
  });

  it('says there is no history yet, without alarm, for a new notebook', async () => {
    // GET tree answers a notebook without history with no states (200)
    const panel = makePanel('new.ipynb', async () => ({
      notebook: 'new.ipynb',
      head: null,
      states: [],
      running: [],
      deleted: false
    }));
    await panel.refresh();
    const message = panel.node.querySelector('.jp-BranchPanel-message')!;
    expect(message.textContent).toBe(
      'No history yet: run a cell or edit this notebook.'
    );
    expect(message.classList.contains('jp-mod-error')).toBe(false);
    panel.dispose();
  });

  it("shows the server's error in its words, as an error", async () => {
    const panel = makePanel('a.ipynb', async () => {
      throw new APIError('no history for /root/a.ipynb', 404);
    });
    await panel.refresh();
    const message = panel.node.querySelector('.jp-BranchPanel-message')!;
    expect(message.textContent).toBe('no history for /root/a.ipynb');
    expect(message.classList.contains('jp-mod-error')).toBe(true);
    panel.dispose();
  });

  it('asks for a notebook when none is open', async () => {
    const fetchTree = jest.fn();
    const panel = makePanel(null, fetchTree);
    await panel.refresh();
    expect(fetchTree).not.toHaveBeenCalled();
    expect(panel.node.textContent).toContain('Open a notebook');
    panel.dispose();
  });

  it('renders only the rows in view of a long history', async () => {
    const states: IState[] = [];
    for (let i = 1; i <= 10000; i++) {
      states.push(state(`s${i}`, i > 1 ? `s${i - 1}` : null, i, `step ${i}`));
    }
    const panel = makePanel('big.ipynb', async () => ({
      notebook: 'big.ipynb',
      head: 's10000',
      states,
      running: [],
      deleted: false
    }));
    await panel.refresh();
    const rows = panel.node.querySelectorAll('.jp-BranchRow');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(100);
    expect((rows[0] as HTMLElement).dataset.stateId).toBe('s10000');
    panel.dispose();
  });
});

describe('HistoryPanel and its live socket', () => {
  const empty = async (): Promise<ITree> => ({
    notebook: 'a.ipynb',
    head: null,
    states: [],
    running: [],
    deleted: false
  });

  it('keeps the socket open while the panel is visible, closed once it is gone', () => {
    const watched: string[] = [];
    const panel = newPanel('a.ipynb', {
      fetchTree: empty,
      connectLive: () => ({
        watch: on => watched.push(on ? 'open' : 'close'),
        dispose: () => watched.push('dispose')
      })
    });
    expect(watched).toEqual(['open']); // attached and visible
    panel.hide();
    panel.show();
    panel.dispose();
    expect(watched).toEqual(['open', 'close', 'open', 'close', 'dispose']);
  });

  it("refreshes on a change of its notebook's history, and only of its own", async () => {
    const fetchTree = jest.fn(empty);
    let listener: IHistoryListener | null = null;
    const panel = newPanel('a.ipynb', {
      fetchTree,
      connectLive: l => {
        listener = l;
        return { watch: () => undefined, dispose: () => undefined };
      }
    });
    const settle = async () => {
      for (let i = 0; i < 10; i++) {
        await new Promise(resolve => setTimeout(resolve, 0));
      }
    };
    await settle(); // the refresh of being shown
    const before = fetchTree.mock.calls.length;
    expect(before).toBeGreaterThan(0);
    listener!.historyChanged('b.ipynb', { action: 'state', state: 'b1' });
    await settle();
    expect(fetchTree.mock.calls.length).toBe(before);
    listener!.historyChanged('a.ipynb', { action: 'state', state: 'a1' });
    await settle();
    expect(fetchTree.mock.calls.length).toBe(before + 1);
    panel.dispose();
  });
});
