/**
 * Tests of the history sidebar's formatting and rendering.
 */

import { INotebookTracker } from '@jupyterlab/notebook';
import { Signal } from '@lumino/signaling';

import { APIError, NOT_INSTALLED_MESSAGE } from '../api';
import { ITree } from '../tokens';
import { HistoryPanel, relativeTime } from '../widgets/panel';

describe('relativeTime', () => {
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
});

describe('HistoryPanel', () => {
  function makeTracker(path: string | null): INotebookTracker {
    const tracker = {
      currentWidget: path === null ? null : { context: { localPath: path } }
    } as any;
    tracker.currentChanged = new Signal(tracker);
    return tracker;
  }

  const tree: ITree = {
    notebook: 'a.ipynb',
    head: 's2',
    states: [
      {
        id: 's1',
        parent: null,
        time: new Date(Date.now() - 120000).toISOString(),
        event: 'execute',
        cell_id: 'abcdef0123456789',
        execution_count: 1,
        status: 'ok',
        preview: 'import numpy',
        label: null,
        duration_ms: 12
      },
      {
        id: 's2',
        parent: 's1',
        time: new Date().toISOString(),
        event: 'edit',
        cell_id: null,
        execution_count: null,
        status: null,
        preview: 'x = 1',
        label: null,
        duration_ms: null
      }
    ]
  };

  it('lists states newest first and marks the head', async () => {
    const panel = new HistoryPanel({
      tracker: makeTracker('a.ipynb'),
      fetchTree: async () => tree
    });
    await panel.refresh();
    const items = Array.from(panel.node.querySelectorAll('li'));
    expect(items.map(li => li.dataset.stateId)).toEqual(['s2', 's1']);
    expect(items[0].classList.contains('jp-mod-head')).toBe(true);
    expect(items[1].textContent).toContain('cell abcdef01');
    expect(items[1].textContent).toContain('2 min ago');
    expect(items[1].textContent).toContain('import numpy');
    panel.dispose();
  });

  it('shows the plain-words error when the server extension is missing', async () => {
    const panel = new HistoryPanel({
      tracker: makeTracker('a.ipynb'),
      fetchTree: async () => {
        throw new APIError(NOT_INSTALLED_MESSAGE, 404);
      }
    });
    await panel.refresh();
    const message = panel.node.querySelector('.jp-BranchPanel-message')!;
    expect(message.textContent).toBe(NOT_INSTALLED_MESSAGE);
    expect(message.classList.contains('jp-mod-error')).toBe(true);
    expect(panel.node.querySelectorAll('li')).toHaveLength(0);
    panel.dispose();
  });

  it('asks for a notebook when none is open', async () => {
    const fetchTree = jest.fn();
    const panel = new HistoryPanel({ tracker: makeTracker(null), fetchTree });
    await panel.refresh();
    expect(fetchTree).not.toHaveBeenCalled();
    expect(panel.node.textContent).toContain('Open a notebook');
    panel.dispose();
  });
});
