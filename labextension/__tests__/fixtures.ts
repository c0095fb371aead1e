/**
 * What the Jest specs build again and again, each default given once: a state
 * summary, the server's info, a history panel on a fake notebook tracker. A
 * spec passes only what its tests read.
 */

import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { IInfo, IState } from '../tokens';
import { HistoryPanel } from '../widgets/panel';

/** A state summary: an `ok` execution of cell `c1` unless `fields` say otherwise. */
export function makeState(
  fields: Partial<IState> & Pick<IState, 'id' | 'seq'>
): IState {
  return {
    parent: null,
    time: new Date(Date.now() - (100 - fields.seq) * 60000).toISOString(),
    event: 'execute',
    cell_id: 'c1',
    cell_index: 0,
    execution_count: fields.seq,
    status: 'ok',
    duration_ms: 5,
    preview: '',
    label: null,
    restored_from: null,
    by_user: null,
    by_client: null,
    sources_key: `k-${fields.id}`,
    ...fields
  };
}

/** `GET info` of a working server with a small store, with `fields` over it. */
export function makeInfo(fields: Partial<IInfo> = {}): IInfo {
  return {
    version: '0.1.0',
    ok: true,
    message: null,
    writer: { backlog: 0, committed: 10, refused: 0 },
    coverage: { sees: [], misses: [] },
    store: {
      owner: 'alice',
      url: 'sqlite:////tmp/h.sqlite',
      path: '/tmp/h.sqlite',
      size_bytes: 2048,
      notebooks: 1,
      states: 2,
      cell_versions: 2,
      blobs: 2,
      content_bytes: 10,
      stored_bytes: 10,
      running: 0
    },
    ...fields
  };
}

/**
 * A history panel attached to the page, following a notebook tracker whose
 * current notebook is at `path` (none if null); `options` over bare defaults.
 */
export function makePanel(
  path: string | null,
  options: Partial<HistoryPanel.IOptions> = {}
): HistoryPanel {
  const tracker = {
    currentWidget: path === null ? null : { context: { localPath: path } },
    activeCell: null
  } as any;
  tracker.currentChanged = new Signal(tracker);
  tracker.activeCellChanged = new Signal(tracker);
  const panel = new HistoryPanel({
    tracker: tracker as INotebookTracker,
    rendermime: {} as IRenderMimeRegistry,
    commands: new CommandRegistry(),
    trans: nullTranslator.load('jupyter-branch'),
    ...options
  });
  Widget.attach(panel, document.body);
  return panel;
}
