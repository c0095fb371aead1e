/**
 * Comparing two runs: the previous run of a version, which outputs are
 * images and how they pair, the cells two states differ in; and what the
 * comparison views show (headers, server diff lines, "outputs identical",
 * a side without outputs, the image modes, the picks of the Cell tab).
 */

import {
  RenderMimeRegistry,
  standardRendererFactories
} from '@jupyterlab/rendermime';
import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';

import {
  changedCells,
  countChanges,
  imagesOf,
  olderFirst,
  otherOutputs,
  pairImages,
  previousRun
} from '../compare';
import { findState } from '../comparecommands';
import { IPixels } from '../pixeldiff';
import { CommandIDs, IDiffCell, IOutput, IState, IStateCell } from '../tokens';
import { CompareView } from '../widgets/compare';
import { ImageCompare } from '../widgets/compareimages';
import { VersionPicks } from '../widgets/comparepicks';
import { StateCompareView } from '../widgets/comparestates';
import { makeState } from './fixtures';

const trans = nullTranslator.load('jupyter-branch');

function state(id: string, seq: number, extra: Partial<IState> = {}): IState {
  return makeState({
    id: id.padEnd(32, '0'),
    seq,
    time: new Date(Date.UTC(2025, 0, 10, 12, seq)).toISOString(),
    cell_id: 'cell1',
    duration_ms: 1200,
    sources_key: `k-${seq}`,
    ...extra
  });
}

function cell(source: string, outputs: IOutput[], count = 1): IStateCell {
  return {
    id: 'cell1',
    cell_type: 'code',
    source,
    metadata: {},
    outputs,
    execution_count: count
  };
}

const stream = (text: string): IOutput => ({
  output_type: 'stream',
  name: 'stdout',
  text
});
const png = (data: string): IOutput => ({
  output_type: 'display_data',
  data: { 'image/png': data, 'text/plain': '<IPython.core.display.Image>' },
  metadata: {}
});

function entry(extra: Partial<IDiffCell> = {}): IDiffCell {
  return {
    cell_id: 'cell1',
    cell_type: 'code',
    change: 'modified',
    source_diff: [],
    outputs_changed: false,
    outputs_diff: [],
    source_a: '',
    source_b: '',
    ...extra
  };
}

describe('previousRun', () => {
  // newest first, as GET cells lists a cell's versions
  const versions = [
    { state: state('e', 5) },
    { state: state('d', 4, { event: 'edit' }) },
    { state: state('c', 3) },
    { state: state('b', 2, { event: 'restore' }) },
    { state: state('a', 1) }
  ];

  it('is the next older execution, skipping edits and restores', () => {
    expect(previousRun(versions, 0)).toBe(2);
    expect(previousRun(versions, 2)).toBe(4);
  });

  it('is, for an edit, the last run before it', () => {
    expect(previousRun(versions, 1)).toBe(2);
  });

  it('is null for the oldest run', () => {
    expect(previousRun(versions, 4)).toBeNull();
    expect(previousRun([{ state: state('x', 1, { event: 'edit' }) }], 0)).toBe(
      null
    );
  });
});

describe('the parts of a comparison', () => {
  it('puts the older state first', () => {
    const [older, newer] = [state('a', 1), state('b', 7)];
    expect(olderFirst(newer, older)).toEqual([older, newer]);
    expect(olderFirst(older, newer)).toEqual([older, newer]);
  });

  it('finds a state by a unique prefix, and refuses others', () => {
    const states = [state('ab1', 1), state('ab2', 2)];
    expect(findState(states, 'AB2').id).toBe(states[1].id);
    expect(() => findState(states, 'ab')).toThrow('more than one');
    expect(() => findState(states, 'ff')).toThrow('no state');
  });

  it('tells images from other outputs, and pairs them in order', () => {
    const svg: IOutput = {
      output_type: 'display_data',
      data: { 'image/svg+xml': ['<svg>', '</svg>'] }
    };
    const html: IOutput = {
      output_type: 'execute_result',
      data: { 'text/html': '<b>x</b>', 'image/png': 'AAAA' }
    };
    const outputs = [stream('hi\n'), png('iVBO\nRw0K'), html, svg];
    const images = imagesOf(outputs);
    expect(images.map(i => [i.mime, i.index])).toEqual([
      ['image/png', 1],
      ['image/svg+xml', 3]
    ]);
    expect(images[0].src).toBe('data:image/png;base64,iVBORw0K');
    expect(images[1].src).toBe(
      `data:image/svg+xml;charset=utf-8,${encodeURIComponent('<svg></svg>')}`
    );
    expect(otherOutputs(outputs)).toEqual([outputs[0], html]);
    const pairs = pairImages(images, images.slice(0, 1));
    expect(pairs).toEqual([
      { a: images[0], b: images[0] },
      { a: images[1], b: null }
    ]);
  });

  it('counts lines added and removed, not headers', () => {
    expect(
      countChanges(['@@ -1,2 +1,2 @@', '-x = 1', '+x = 2', '+y', ' z'])
    ).toEqual({ added: 2, removed: 1 });
  });

  it('lists the cells whose code or outputs changed', () => {
    const cells = [
      entry({ cell_id: 'code', source_diff: ['-a', '+b'] }),
      entry({ cell_id: 'out', outputs_changed: true, outputs_diff: ['+1'] }),
      entry({
        cell_id: 'both',
        source_diff: ['-a', '+b'],
        outputs_changed: true
      }),
      entry({ cell_id: 'new', change: 'added', outputs_changed: false }),
      entry({ cell_id: 'same', change: 'unchanged' }),
      entry({ cell_id: 'moved', change: 'moved' })
    ];
    const { code, outputs, same } = changedCells(cells);
    expect(code.map(c => c.cell_id)).toEqual(['code', 'both', 'new']);
    expect(outputs.map(c => c.cell_id)).toEqual(['out', 'both']);
    expect(same).toBe(2);
  });
});

describe('CompareView', () => {
  const rendermime = new RenderMimeRegistry({
    initialFactories: standardRendererFactories
  });
  const texts = (view: CompareView, selector: string) =>
    Array.from(view.node.querySelectorAll(selector)).map(n => n.textContent);

  it('shows each side, the server lines as they are, and identical outputs', () => {
    const a = state('a', 1, { execution_count: 3, status: 'error' });
    const b = state('b', 2, { event: 'edit', status: null });
    const view = new CompareView({
      path: 'n.ipynb',
      cellId: 'cell1',
      a: { state: a, cell: cell('x = 1', [stream('1\n')], 3) },
      b: { state: b, cell: cell('x = 2', [stream('1\n')], 3) },
      entry: entry({ source_diff: ['@@ -1 +1 @@', '-x = 1', '+x = 2'] }),
      rendermime,
      trans
    });
    const [sideA, sideB] = Array.from(
      view.node.querySelectorAll<HTMLElement>('.jp-BranchCompare-side')
    );
    expect(sideA.dataset.stateId).toBe(a.id);
    expect(sideA.querySelector('.jp-BranchCompare-run')!.textContent).toBe(
      '[3] · error · 1.2 s'
    );
    expect(sideA.textContent).toContain(a.id.slice(0, 12));
    expect(sideA.textContent).toContain(new Date(a.time).toLocaleString());
    // an edit did not run the cell: no status of its own
    expect(sideB.querySelector('.jp-BranchCompare-run')!.textContent).toBe(
      '[3]'
    );
    expect(sideB.textContent).toContain('Not run in this state');
    expect(
      texts(view, '.jp-BranchCompare-code .jp-BranchDiff-lines > div')
    ).toEqual(['@@ -1 +1 @@', '-x = 1', '+x = 2']);
    expect(
      view.node.querySelector('.jp-BranchCompare-outputs')!.textContent
    ).toContain('Outputs identical.');
    view.dispose();
  });

  it('says so when the code is the same, and when one side has no outputs', () => {
    const view = new CompareView({
      path: 'n.ipynb',
      cellId: 'cell1',
      a: { state: state('a', 1), cell: cell('print(1)', []) },
      b: { state: state('b', 2), cell: cell('print(1)', [stream('1\n')]) },
      entry: entry({ outputs_changed: true, outputs_diff: ['+1'] }),
      rendermime,
      trans
    });
    expect(
      view.node.querySelector('.jp-BranchCompare-code')!.textContent
    ).toContain('Code identical.');
    expect(
      texts(view, '.jp-BranchCompare-outputs .jp-BranchDiff-lines > div')
    ).toEqual(['+1']);
    const columns = view.node.querySelectorAll<HTMLElement>(
      '.jp-BranchCompare-rendered .jp-BranchCompare-column'
    );
    expect(columns[0].textContent).toBe('No outputs');
    expect(columns[1].querySelector('.jp-BranchOutputs')).not.toBeNull();
    view.dispose();
  });

  it('says which side a cell is missing from', () => {
    const view = new CompareView({
      path: 'n.ipynb',
      cellId: 'cell1',
      a: { state: state('a', 1, { cell_id: 'other' }), cell: null },
      b: { state: state('b', 2), cell: cell('y', []) },
      entry: entry({ change: 'added', source_diff: ['+y'] }),
      rendermime,
      trans
    });
    const sideA = view.node.querySelector('.jp-BranchCompare-side')!;
    expect(sideA.textContent).toContain('The cell is not in this state.');
    expect(view.node.textContent).toContain('Neither version has outputs.');
    view.dispose();
  });

  it('pairs the images of both sides', async () => {
    const pixels = fakePixels({ A: solid(4, 4, 0), B: solid(4, 4, 0, 3) });
    const view = new CompareView({
      path: 'n.ipynb',
      cellId: 'cell1',
      a: { state: state('a', 1), cell: cell('x', [png('A')]) },
      b: { state: state('b', 2), cell: cell('x', [png('B'), png('A')]) },
      entry: entry({ outputs_changed: true }),
      rendermime,
      trans,
      loadPixels: pixels
    });
    expect(view.images).toHaveLength(2);
    await Promise.all(view.images.map(i => i.ready));
    expect(view.images[0].difference!.differing).toBe(3);
    expect(view.images[1].node.textContent).toContain('Only in B (newer)');
    // the text/plain of an image is not shown again as an output
    expect(view.node.querySelector('.jp-BranchCompare-rendered')).toBeNull();
    view.dispose();
  });
});

/** A 4x4 image of one grey level, its first `changed` pixels white. */
function solid(w: number, h: number, level: number, changed = 0): IPixels {
  const data = new Uint8ClampedArray(w * h * 4).fill(level);
  for (let i = 0; i < data.length; i += 4) {
    data[i + 3] = 255;
  }
  data.fill(255, 0, changed * 4);
  return { width: w, height: h, data };
}

/** Pixels by the base64 text of an image's data URL. */
function fakePixels(images: Record<string, IPixels>) {
  return async (src: string): Promise<IPixels> => {
    const key = src.split(',')[1];
    if (!(key in images)) {
      throw new Error(`cannot decode ${key}`);
    }
    return images[key];
  };
}

describe('ImageCompare', () => {
  const image = (key: string) => ({
    mime: 'image/png',
    src: `data:image/png;base64,${key}`,
    index: 0
  });

  it('reports the share of differing pixels, and identical images', async () => {
    const load = fakePixels({
      A: solid(4, 4, 0),
      B: solid(4, 4, 0, 1),
      C: solid(2, 4, 0)
    });
    const differ = new ImageCompare({
      a: image('A'),
      b: image('B'),
      trans,
      loadPixels: load
    });
    await differ.ready;
    expect(
      differ.node.querySelector('.jp-BranchCompareImage-summary')!.textContent
    ).toBe('6.25% of pixels differ (1 of 16)');
    const same = new ImageCompare({
      a: image('A'),
      b: image('A'),
      trans,
      loadPixels: load
    });
    await same.ready;
    expect(same.node.textContent).toContain('Identical: no pixel differs (0%)');
    const sizes = new ImageCompare({
      a: image('A'),
      b: image('C'),
      trans,
      loadPixels: load
    });
    await sizes.ready;
    expect(sizes.node.textContent).toContain(
      'The images differ in size (A 4×4, B 2×4): the overlapping 2×4 area'
    );
    const broken = new ImageCompare({
      a: image('A'),
      b: image('Z'),
      trans,
      loadPixels: load
    });
    await broken.ready;
    expect(broken.node.textContent).toContain(
      'cannot be computed for these images: cannot decode Z'
    );
  });

  it('moves B over A with the swipe and onion-skin sliders', () => {
    const view = new ImageCompare({
      a: image('A'),
      b: image('B'),
      trans,
      loadPixels: fakePixels({})
    });
    const imgs = () =>
      Array.from(view.node.querySelectorAll('img')).map(i => i.src);
    expect(imgs()).toEqual([image('A').src, image('B').src]);
    const slide = (value: number) => {
      const slider = view.node.querySelector<HTMLInputElement>(
        '.jp-BranchCompareImage-slider'
      )!;
      slider.value = String(value);
      slider.dispatchEvent(new Event('input'));
    };
    const top = () =>
      view.node.querySelector<HTMLElement>('.jp-BranchCompareImage-top')!;
    view.node.querySelector<HTMLButtonElement>('[data-mode="swipe"]')!.click();
    expect(view.mode).toBe('swipe');
    expect(top().style.clipPath).toBe('inset(0 50% 0 0)');
    slide(20);
    expect(top().style.clipPath).toBe('inset(0 80% 0 0)');
    expect(top().querySelector('img')!.src).toBe(image('B').src);
    view.mode = 'onion';
    expect(top().style.opacity).toBe('0.5');
    slide(0);
    expect(top().style.opacity).toBe('0');
    // each slider keeps its place across modes
    view.mode = 'swipe';
    expect(top().style.clipPath).toBe('inset(0 80% 0 0)');
  });
});

describe('StateCompareView', () => {
  it('lists cells with changed code and outputs; each opens the cell', async () => {
    const commands = new CommandRegistry();
    const opened: unknown[] = [];
    commands.addCommand(CommandIDs.compareRuns, {
      execute: args => {
        opened.push(args);
      }
    });
    const a = state('a', 1);
    const b = state('b', 4);
    const view = new StateCompareView({
      path: 'n.ipynb',
      a,
      b,
      diff: {
        a: a.id,
        b: b.id,
        cells: [
          entry({
            cell_id: 'c1',
            source_diff: ['-x = 1', '+x = 2'],
            source_b: 'x = 2'
          }),
          entry({
            cell_id: 'c2',
            outputs_changed: true,
            outputs_diff: ['-1', '+2']
          }),
          entry({ cell_id: 'c3', change: 'unchanged' })
        ]
      },
      commands,
      trans
    });
    const list = (kind: string) =>
      Array.from(
        view.node.querySelectorAll<HTMLElement>(
          `.jp-BranchCompareStates-list[data-kind="${kind}"] .jp-BranchCompareStates-entry`
        )
      );
    expect(list('code').map(e => e.dataset.cellId)).toEqual(['c1']);
    expect(list('code')[0].textContent).toContain('+1 −1');
    expect(list('outputs').map(e => e.dataset.cellId)).toEqual(['c2']);
    expect(view.node.textContent).toContain(
      '1 cell has the same code and outputs in both.'
    );
    list('outputs')[0].click();
    await Promise.resolve();
    expect(opened).toEqual([{ path: 'n.ipynb', cell: 'c2', a: a.id, b: b.id }]);
    view.dispose();
  });

  it('says when two states are the same', () => {
    const view = new StateCompareView({
      path: 'n.ipynb',
      a: state('a', 1),
      b: state('b', 2),
      diff: { a: 'a', b: 'b', cells: [entry({ change: 'unchanged' })] },
      commands: new CommandRegistry(),
      trans
    });
    expect(view.node.textContent).toContain(
      'The two states have the same cells, code and outputs.'
    );
    view.dispose();
  });
});

describe('VersionPicks', () => {
  it('compares the last two picked', () => {
    const compared: string[][] = [];
    const picks = new VersionPicks(trans, (a, b) => compared.push([a, b]));
    // a checkbox only changes when it is in the document
    Widget.attach(picks, document.body);
    const boxes = ['s1', 's2', 's3'].map(id => {
      const label = picks.checkbox(id);
      document.body.append(label);
      return label.querySelector('input')!;
    });
    const button = picks.node.querySelector<HTMLButtonElement>(
      '.jp-BranchPicks-compare'
    )!;
    expect(picks.isHidden).toBe(true);
    boxes[0].click();
    expect(picks.isHidden).toBe(false);
    expect(button.disabled).toBe(true);
    boxes[1].click();
    boxes[2].click(); // lets go of s1
    expect(boxes.map(b => b.checked)).toEqual([false, true, true]);
    expect(button.disabled).toBe(false);
    button.click();
    expect(compared).toEqual([['s2', 's3']]);
    picks.reset();
    expect(picks.picked).toEqual([]);
    expect(boxes[1].checked).toBe(false);
    picks.dispose();
    document.body.replaceChildren();
  });
});
