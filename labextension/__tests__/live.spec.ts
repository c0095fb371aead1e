/**
 * Tests of the live history: server events reach the panel, others do not.
 */

import { Event } from '@jupyterlab/services';
import { Signal } from '@lumino/signaling';

import { HISTORY_EVENTS, LiveHistory } from '../live';

describe('LiveHistory', () => {
  it("passes on the history events' notebook paths, and nothing else", () => {
    const owner = {};
    const stream = new Signal<unknown, Event.Emission>(owner);
    const changed: string[] = [];
    const live = new LiveHistory(stream as unknown as Event.Stream, {
      historyChanged: path => changed.push(path)
    });
    stream.emit({
      schema_id: HISTORY_EVENTS,
      action: 'state',
      path: 'a.ipynb'
    });
    stream.emit({
      schema_id:
        'https://events.jupyter.org/jupyter_server/contents_service/v1',
      action: 'save',
      path: 'b.ipynb'
    });
    stream.emit({ schema_id: HISTORY_EVENTS, action: 'label' }); // no path
    expect(changed).toEqual(['a.ipynb']);
    live.dispose();
    stream.emit({ schema_id: HISTORY_EVENTS, action: 'head', path: 'a.ipynb' });
    expect(changed).toEqual(['a.ipynb']);
  });

  it('passes on what changed: a label comes with its new text', () => {
    const stream = new Signal<unknown, Event.Emission>({});
    const changes: unknown[] = [];
    const live = new LiveHistory(stream as unknown as Event.Stream, {
      historyChanged: (path, change) => changes.push([path, change])
    });
    stream.emit({
      schema_id: HISTORY_EVENTS,
      action: 'label',
      path: 'a.ipynb',
      state: 's1',
      label: 'baseline'
    });
    expect(changes).toEqual([
      ['a.ipynb', { action: 'label', state: 's1', label: 'baseline' }]
    ]);
    live.dispose();
  });
});
