/**
 * What a comparison of two runs is made of, as plain data: a cell's previous
 * run, which side is the older, which outputs are images and how they pair
 * up, the cells two states differ in, and how many lines a diff adds and
 * removes. No DOM.
 */

import { IDiffCell, IOutput, IState } from './tokens';

/**
 * In a cell's versions, newest first (as `GET cells/<id>` lists them), the
 * index of the run before version `index`: the next older `execute` version.
 * For an edit, that is the last run before the edit.
 *
 * @returns the index, or null when no older run is in `versions`
 */
export function previousRun(
  versions: readonly { state: IState }[],
  index: number
): number | null {
  for (let i = index + 1; i < versions.length; i++) {
    if (versions[i].state.event === 'execute') {
      return i;
    }
  }
  return null;
}

/**
 * The two states in the order they were made: A the older, B the newer.
 */
export function olderFirst<T extends { seq: number }>(x: T, y: T): [T, T] {
  return x.seq <= y.seq ? [x, y] : [y, x];
}

/**
 * Did this state run this cell? Only then are its status and duration the
 * cell's; in any other state the cell's outputs come from an earlier run.
 */
export function ranCell(state: IState, cellId: string): boolean {
  return state.event === 'execute' && state.cell_id === cellId;
}

/** Image types shown as pictures, the first one present preferred. */
export const IMAGE_TYPES = [
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/bmp',
  'image/svg+xml'
];

/**
 * One image output: its type and a `data:` URL of its picture.
 */
export interface IImageOutput {
  mime: string;
  src: string;
  /** Its place among the outputs of its cell. */
  index: number;
}

/**
 * The picture of an output, if it is an image: a `display_data` or
 * `execute_result` holding an image type and no HTML (Jupyter would show
 * the HTML).
 */
export function imageOf(output: IOutput, index: number): IImageOutput | null {
  const data = output.data as Record<string, unknown> | undefined;
  if (!data || 'text/html' in data) {
    return null;
  }
  const mime = IMAGE_TYPES.find(type => type in data);
  if (!mime) {
    return null;
  }
  const value = data[mime];
  const text = Array.isArray(value) ? value.join('') : String(value ?? '');
  const src =
    mime === 'image/svg+xml'
      ? `data:image/svg+xml;charset=utf-8,${encodeURIComponent(text)}`
      : `data:${mime};base64,${text.replace(/\s+/g, '')}`;
  return { mime, src, index };
}

/**
 * The image outputs among `outputs`, in order.
 */
export function imagesOf(outputs: readonly IOutput[]): IImageOutput[] {
  const images: IImageOutput[] = [];
  outputs.forEach((output, i) => {
    const image = imageOf(output, i);
    if (image) {
      images.push(image);
    }
  });
  return images;
}

/**
 * The outputs that are not images (text, errors, HTML and other rich data),
 * shown as Jupyter shows them.
 */
export function otherOutputs(outputs: readonly IOutput[]): IOutput[] {
  return outputs.filter((output, i) => imageOf(output, i) === null);
}

/**
 * Images of two sides paired in order: the first of A with the first of B,
 * and so on; the extra images of the side that has more pair with null.
 */
export function pairImages(
  a: readonly IImageOutput[],
  b: readonly IImageOutput[]
): { a: IImageOutput | null; b: IImageOutput | null }[] {
  const pairs: { a: IImageOutput | null; b: IImageOutput | null }[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    pairs.push({ a: a[i] ?? null, b: b[i] ?? null });
  }
  return pairs;
}

/**
 * Lines added and removed by a diff as the server makes them
 * (`#diff_lines`): hunk headers and "\ No newline" lines are not counted.
 */
export function countChanges(lines: readonly string[]): {
  added: number;
  removed: number;
} {
  let added = 0;
  let removed = 0;
  for (const line of lines) {
    if (line.startsWith('+')) {
      added++;
    } else if (line.startsWith('-')) {
      removed++;
    }
  }
  return { added, removed };
}

/**
 * The cells two states differ in, from `GET diff`: those whose code changed
 * (text or type; added and removed cells too) and those whose outputs
 * changed. A cell can be in both lists. `same` counts the cells with the
 * same code and outputs, moved ones included.
 */
export function changedCells(cells: readonly IDiffCell[]): {
  code: IDiffCell[];
  outputs: IDiffCell[];
  same: number;
} {
  const code: IDiffCell[] = [];
  const outputs: IDiffCell[] = [];
  let same = 0;
  for (const cell of cells) {
    const codeChanged =
      cell.change === 'added' ||
      cell.change === 'removed' ||
      cell.source_diff.length > 0 ||
      (cell.change === 'modified' && !cell.outputs_changed);
    if (codeChanged) {
      code.push(cell);
    }
    if (cell.outputs_changed) {
      outputs.push(cell);
    }
    if (!codeChanged && !cell.outputs_changed) {
      same++;
    }
  }
  return { code, outputs, same };
}
