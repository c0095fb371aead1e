/// <reference types="node" />

/**
 * The diff view shows the server's diff lines as they are, only coloured: the
 * answers in tests/fixtures/diff-lines.json are what the server makes (checked
 * by tests/unit/test_diff.py), so the CLI and the panel show the same lines.
 */

import { nullTranslator } from '@jupyterlab/translation';
import * as fs from 'fs';
import * as path from 'path';

import { IDiffCell } from '../tokens';
import { DiffView } from '../widgets/stateview';

interface ICase {
  name: string;
  cells: IDiffCell[];
}

const CASES: ICase[] = JSON.parse(
  fs.readFileSync(
    path.resolve(__dirname, '..', '..', 'tests', 'fixtures', 'diff-lines.json'),
    'utf-8'
  )
);

function kind(line: string): string {
  if (line.startsWith('+')) {
    return 'jp-mod-added';
  }
  if (line.startsWith('-')) {
    return 'jp-mod-removed';
  }
  return line.startsWith('@@') || line.startsWith('\\') ? 'jp-mod-hunk' : '';
}

describe('DiffView', () => {
  it.each(CASES.map(c => [c.name, c] as [string, ICase]))(
    'shows the lines of the server as they are: %s',
    (_name, { cells }) => {
      const view = new DiffView({
        path: 'a.ipynb',
        diff: { a: '0'.repeat(32), b: null, cells },
        trans: nullTranslator.load('jupyter-branch')
      });
      const changed = cells.filter(c => c.change !== 'unchanged');
      const blocks = view.node.querySelectorAll<HTMLElement>(
        '.jp-BranchDiff-cell'
      );
      expect(Array.from(blocks).map(b => b.dataset.cellId)).toEqual(
        changed.map(c => c.cell_id)
      );
      changed.forEach((cell, i) => {
        const rows = Array.from(
          blocks[i].querySelectorAll<HTMLElement>('.jp-BranchDiff-lines > div')
        );
        const lines = [...cell.source_diff, ...cell.outputs_diff];
        expect(rows.map(r => r.textContent)).toEqual(lines);
        expect(rows.map(r => r.className)).toEqual(lines.map(kind));
      });
      view.dispose();
    }
  );

  it('says when nothing differs', () => {
    const view = new DiffView({
      path: 'a.ipynb',
      diff: { a: '0'.repeat(32), b: '1'.repeat(32), cells: [] },
      trans: nullTranslator.load('jupyter-branch')
    });
    expect(view.node.textContent).toContain('No differences.');
    view.dispose();
  });
});
