/**
 * Tests of "back from a closed tab": which runs the document has not seen,
 * and putting their outputs into the notebook.
 */

import { NotebookModel, NotebookPanel } from '@jupyterlab/notebook';

import { findUnseenRuns, IDocumentCodeCell, outputsKey } from '../catchup';
import { applyOutputs } from '../restore';
import { IState, IStateDetail } from '../tokens';
import { makeState } from './fixtures';

const SAVED = Date.parse('2025-01-10T12:00:00Z');
const AFTER = '2025-01-10T12:05:00.000+00:00';
const BEFORE = '2025-01-10T11:55:00.000+00:00';

function st(id: string, extra: Partial<IState> = {}): IState {
  return makeState({
    id,
    seq: 1,
    time: AFTER,
    execution_count: 1,
    duration_ms: 1,
    by_client: 'browser',
    sources_key: 'k',
    ...extra
  });
}

const out = (text: string) => [
  { output_type: 'stream' as const, name: 'stdout', text }
];

/** Head: c1 ran `long()` and printed "done", c2 ran `x = 2` long ago. */
function head(): IStateDetail {
  return {
    ...st('h'),
    metadata: {},
    kernel_id: 'k',
    started: null,
    ended: null,
    cells: [
      {
        id: 'c1',
        cell_type: 'code',
        source: 'long()',
        metadata: {},
        outputs: out('done\n'),
        execution_count: 3
      },
      {
        id: 'c2',
        cell_type: 'code',
        source: 'x = 2',
        metadata: {},
        outputs: [],
        execution_count: 1
      },
      { id: 'm', cell_type: 'markdown', source: '# notes', metadata: {} }
    ]
  };
}

/** The document as the file had it: c1 without the run's outputs. */
function doc(extra: Partial<IDocumentCodeCell> = {}): IDocumentCodeCell[] {
  return [
    {
      id: 'c1',
      cell_type: 'code',
      source: 'long()',
      outputs: [],
      execution_count: null,
      ...extra
    },
    {
      id: 'c2',
      cell_type: 'code',
      source: 'x = 2',
      outputs: [],
      execution_count: 1
    },
    { id: 'm', cell_type: 'markdown', source: '# notes' }
  ];
}

describe('findUnseenRuns', () => {
  it('finds a run of a cell that ended after the file was last saved', () => {
    const run = st('run', { time: AFTER });
    const branch = [st('h', { event: 'edit', cell_id: 'c2' }), run];
    const [found, ...more] = findUnseenRuns(doc(), head(), branch, SAVED);
    expect(more).toEqual([]);
    expect(found.cellId).toBe('c1');
    expect(found.index).toBe(0);
    expect(found.state.id).toBe('run');
    expect(found.outputs).toEqual(out('done\n'));
    expect(found.executionCount).toBe(3);
  });

  it('claims nothing for a run the saved file had seen', () => {
    const branch = [st('run', { time: BEFORE })];
    expect(findUnseenRuns(doc(), head(), branch, SAVED)).toEqual([]);
  });

  it('claims nothing for a cell whose source is no longer what ran', () => {
    const branch = [st('run')];
    expect(
      findUnseenRuns(doc({ source: 'long(2)' }), head(), branch, SAVED)
    ).toEqual([]);
  });

  it('claims nothing when the document shows those outputs already', () => {
    const branch = [st('run')];
    const same = doc({
      outputs: [
        { output_type: 'stream', name: 'stdout', text: ['do', 'ne\n'] }
      ],
      execution_count: 3
    });
    expect(findUnseenRuns(same, head(), branch, SAVED)).toEqual([]);
  });

  it('claims nothing when the outputs came from a save, a restore or no run', () => {
    for (const between of [
      st('s', { event: 'save', cell_id: null }),
      st('x', { event: 'external', cell_id: null }),
      st('r', { event: 'restore', cell_id: null })
    ]) {
      expect(
        findUnseenRuns(doc(), head(), [between, st('run')], SAVED)
      ).toEqual([]);
    }
    expect(
      findUnseenRuns(doc(), head(), [st('e', { event: 'edit' })], SAVED)
    ).toEqual([]);
    expect(findUnseenRuns(doc(), head(), [st('run')], null)).toEqual([]);
  });

  it('tells outputs apart by what a user sees, not by their shape', () => {
    expect(outputsKey(out('a\n'))).toBe(
      outputsKey([
        { output_type: 'stream', name: 'stdout', text: ['a\n'], metadata: {} }
      ])
    );
    expect(outputsKey(out('a\n'))).not.toBe(outputsKey(out('b\n')));
  });
});

describe('applyOutputs', () => {
  it('puts outputs and counts into cells that still hold the source run', () => {
    const model = new NotebookModel();
    model.sharedModel.insertCells(0, [
      { cell_type: 'code', id: 'c1', source: 'long()', outputs: [] },
      { cell_type: 'code', id: 'c2', source: 'changed since', outputs: [] }
    ] as never[]);
    const panel = { content: { model } } as unknown as NotebookPanel;
    const applied = applyOutputs(panel, [
      {
        id: 'c1',
        source: 'long()',
        outputs: out('done\n'),
        execution_count: 3
      },
      { id: 'c2', source: 'x = 2', outputs: out('2\n'), execution_count: 4 }
    ]);
    expect(applied).toBe(1);
    const [c1, c2] = (model.toJSON() as any).cells;
    expect(c1.execution_count).toBe(3);
    expect(c1.outputs[0].text).toBe('done\n');
    expect(c2.outputs).toEqual([]);
    expect(c2.execution_count).toBeNull();
    model.dispose();
  });
});
