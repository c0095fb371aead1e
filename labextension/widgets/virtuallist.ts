/**
 * A scrolling list that renders only the rows in view, so a history of 10,000
 * states scrolls as smoothly as one of ten. Rows have one fixed height.
 */

import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

/**
 * A scrolling list that renders only the rows in view.
 */
export class VirtualList<T> extends Widget {
  constructor(
    private _rowHeight: number,
    private _render: (item: T, index: number) => HTMLElement
  ) {
    super();
    this.addClass('jp-BranchList');
    this._spacer.className = 'jp-BranchList-spacer';
    this.node.appendChild(this._spacer);
    this.node.addEventListener('scroll', () => this._paint());
  }

  get items(): readonly T[] {
    return this._items;
  }

  setItems(items: T[]): void {
    this._items = items;
    this._spacer.style.height = `${items.length * this._rowHeight}px`;
    this._paint();
  }

  /** Repaint the rows in view (after a selection change, say). */
  repaint(): void {
    this._paint();
  }

  scrollToIndex(index: number): void {
    const top = index * this._rowHeight;
    const view = this.node.clientHeight;
    if (
      top < this.node.scrollTop ||
      top + this._rowHeight > this.node.scrollTop + view
    ) {
      this.node.scrollTop = Math.max(0, top - view / 3);
    }
    this._paint();
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    this._paint();
  }

  protected onAfterShow(msg: Message): void {
    this._paint();
  }

  private _paint(): void {
    const height = this.node.clientHeight || 600;
    const first = Math.max(
      0,
      Math.floor(this.node.scrollTop / this._rowHeight) - 5
    );
    const last = Math.min(
      this._items.length,
      Math.ceil((this.node.scrollTop + height) / this._rowHeight) + 5
    );
    const rows: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      const row = this._render(this._items[i], i);
      row.style.top = `${i * this._rowHeight}px`;
      row.style.height = `${this._rowHeight}px`;
      rows.push(row);
    }
    this._spacer.replaceChildren(...rows);
  }

  private _items: T[] = [];
  private _spacer = document.createElement('div');
}
