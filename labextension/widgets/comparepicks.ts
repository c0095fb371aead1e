/**
 * Picking two versions of a cell to compare, in the Cell tab: a checkbox per
 * version and a bar that compares the two picked. Picking a third lets go of
 * the one picked first. Picks outlive the list's redraws (new versions
 * arriving), not a change of cell.
 */

import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

export class VersionPicks extends Widget {
  constructor(
    private _trans: TranslationBundle,
    private _onCompare: (a: string, b: string) => void
  ) {
    super();
    this.addClass('jp-BranchPicks');
    this._text.className = 'jp-BranchPicks-text';
    this._compare.className = 'jp-BranchPicks-compare';
    this._compare.textContent = _trans.__('Compare the two picked');
    this._compare.addEventListener('click', () => {
      if (this._picked.length === 2) {
        this._onCompare(this._picked[0], this._picked[1]);
      }
    });
    this._clear.className = 'jp-BranchPanel-link';
    this._clear.textContent = _trans.__('Clear');
    this._clear.addEventListener('click', () => this.reset());
    this.node.append(this._text, this._compare, this._clear);
    this._update();
  }

  /** The picked states' ids, in the order they were picked. */
  get picked(): readonly string[] {
    return this._picked;
  }

  /** A checkbox that picks the version of state `id`. */
  checkbox(id: string): HTMLElement {
    const label = document.createElement('label');
    label.className = 'jp-BranchPicks-pick';
    label.title = this._trans.__('Pick two versions to compare them');
    const input = document.createElement('input');
    input.type = 'checkbox';
    input.dataset.stateId = id;
    input.checked = this._picked.includes(id);
    input.addEventListener('change', () => this._toggle(id, input.checked));
    this._boxes.set(id, input);
    label.append(input, this._trans.__('pick'));
    return label;
  }

  /** Forget every pick (another cell is shown). */
  reset(): void {
    this._picked = [];
    this._boxes.forEach(box => (box.checked = false));
    this._update();
  }

  /** Drop the checkboxes of a list that was redrawn; picks stay. */
  forgetBoxes(): void {
    this._boxes.clear();
  }

  private _toggle(id: string, on: boolean): void {
    this._picked = this._picked.filter(p => p !== id);
    if (on) {
      this._picked.push(id);
      while (this._picked.length > 2) {
        const dropped = this._picked.shift()!;
        const box = this._boxes.get(dropped);
        if (box) {
          box.checked = false;
        }
      }
    }
    this._update();
  }

  private _update(): void {
    const n = this._picked.length;
    this.setHidden(n === 0);
    this._compare.disabled = n !== 2;
    this._text.textContent =
      n === 2
        ? this._trans.__('2 versions picked.')
        : this._trans.__('1 version picked: pick another to compare.');
  }

  private _boxes = new Map<string, HTMLInputElement>();
  private _clear = document.createElement('button');
  private _compare = document.createElement('button');
  private _picked: string[] = [];
  private _text = document.createElement('span');
}
