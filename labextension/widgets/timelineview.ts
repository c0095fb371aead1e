/**
 * The Timeline tab: the branch on screen as a virtualized list of rows, and
 * the "Show every edit" switch. By default an edit that only prepared the run
 * after it is folded into that run's row (fold.ts); the switch shows every
 * edit as a row of its own.
 */

import { TranslationBundle } from '@jupyterlab/translation';
import { Panel, Widget } from '@lumino/widgets';

import { HistoryModel, ITimelineRow } from '../model';
import { VirtualList } from './virtuallist';

export class TimelineView extends Panel {
  constructor(options: TimelineView.IOptions) {
    super();
    this.addClass('jp-BranchTimeline');
    this._model = options.model;
    const trans = options.trans;
    const bar = new Widget();
    bar.addClass('jp-BranchTimeline-bar');
    const label = document.createElement('label');
    label.className = 'jp-BranchTimeline-everyEdit';
    label.title = trans.__(
      'An edit that only prepared the run after it is shown in that run’s row; show it as a row of its own'
    );
    this._toggle.type = 'checkbox';
    this._toggle.checked = this._model.everyEdit;
    this._toggle.addEventListener('change', () => {
      this._model.everyEdit = this._toggle.checked;
    });
    this._hidden.className = 'jp-BranchTimeline-hidden';
    label.append(this._toggle, ` ${trans.__('Show every edit')}`);
    bar.node.append(label, this._hidden);
    this._trans = trans;
    this.list = new VirtualList<ITimelineRow>(48, options.render);
    this.addWidget(bar);
    this.addWidget(this.list);
  }

  /** The rows' list (only the rows in view are in the DOM). */
  readonly list: VirtualList<ITimelineRow>;

  setItems(rows: ITimelineRow[]): void {
    this._toggle.checked = this._model.everyEdit;
    const folded = rows.reduce((n, row) => n + row.folded.length, 0);
    this._hidden.textContent =
      folded > 0
        ? this._trans._n(
            '%1 edit folded into its run',
            '%1 edits folded into their runs',
            folded
          )
        : '';
    this.list.setItems(rows);
  }

  repaint(): void {
    this.list.repaint();
  }

  private _hidden = document.createElement('span');
  private _model: HistoryModel;
  private _toggle = document.createElement('input');
  private _trans: TranslationBundle;
}

export namespace TimelineView {
  export interface IOptions {
    model: HistoryModel;
    trans: TranslationBundle;
    render: (row: ITimelineRow, index: number) => HTMLElement;
  }
}
