/**
 * The notice of runs that finished while a notebook was closed (catchup.ts):
 * at the top of the history panel for the notebook it shows, and once as a
 * notification when the notebook opens. One click brings the outputs back.
 */

import { Notification } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { CatchUp } from '../catchup';

/**
 * "3 cells finished while this notebook was closed".
 */
export function unseenMessage(n: number, trans: TranslationBundle): string {
  return trans._n(
    '%1 cell finished while this notebook was closed',
    '%1 cells finished while this notebook was closed',
    n
  );
}

export class CatchUpNotice extends Widget {
  constructor(options: CatchUpNotice.IOptions) {
    super();
    this.addClass('jp-BranchCatchUp');
    this._catchUp = options.catchUp;
    this._tracker = options.tracker;
    this._trans = options.trans;
    this._catchUp.changed.connect(this._onFound, this);
    this._tracker.currentChanged.connect(() => this._render(), this);
    this._render();
  }

  /** Bring back the outputs of `panel`'s unseen runs; says so, or why not. */
  bringBack(panel: NotebookPanel): void {
    const trans = this._trans;
    try {
      const n = this._catchUp.bringBack(panel);
      Notification.success(
        trans._n(
          'Outputs of %1 cell brought back (one undo step).',
          'Outputs of %1 cells brought back (one undo step).',
          n
        ),
        { autoClose: 5000 }
      );
    } catch (error) {
      Notification.warning((error as Error).message, { autoClose: 8000 });
    }
  }

  dispose(): void {
    this._toasts.forEach(id => Notification.dismiss(id));
    this._toasts.clear();
    super.dispose();
  }

  private _onFound(_: CatchUp, panel: NotebookPanel): void {
    const runs = this._catchUp.unseen(panel);
    const toast = this._toasts.get(panel);
    if (runs.length === 0 && toast) {
      Notification.dismiss(toast);
      this._toasts.delete(panel);
    } else if (runs.length > 0 && !toast) {
      const name = panel.context.localPath.split('/').pop();
      const id = Notification.info(
        `${name}: ${unseenMessage(runs.length, this._trans)}.`,
        {
          autoClose: false,
          actions: [
            {
              label: this._trans.__('Bring the outputs back'),
              callback: () => this.bringBack(panel)
            }
          ]
        }
      );
      this._toasts.set(panel, id);
    }
    this._render();
  }

  private _render(): void {
    const panel = this._tracker.currentWidget;
    const runs = this._catchUp.unseen(panel);
    this.node.replaceChildren();
    this.setHidden(!panel || runs.length === 0);
    if (!panel || runs.length === 0) {
      return;
    }
    const trans = this._trans;
    const text = document.createElement('div');
    text.className = 'jp-BranchCatchUp-text';
    text.textContent = `${unseenMessage(runs.length, trans)}: ${runs
      .map(r => trans.__('cell %1', r.index + 1))
      .join(', ')}.`;
    const actions = document.createElement('div');
    actions.className = 'jp-BranchPanel-actions';
    const bring = document.createElement('button');
    bring.className = 'jp-BranchPanel-action jp-BranchCatchUp-bring';
    bring.textContent = trans.__('Bring the outputs back');
    bring.title = trans.__(
      'Put the outputs and execution counts of those runs into the notebook (one undo step)'
    );
    bring.addEventListener('click', () => this.bringBack(panel));
    const dismiss = document.createElement('button');
    dismiss.className = 'jp-BranchPanel-action jp-BranchCatchUp-dismiss';
    dismiss.textContent = trans.__('Dismiss');
    dismiss.title = trans.__(
      'Keep the notebook as it is; the runs stay in history'
    );
    dismiss.addEventListener('click', () => this._catchUp.dismiss(panel));
    actions.append(bring, dismiss);
    this.node.append(text, actions);
  }

  private _catchUp: CatchUp;
  private _toasts = new Map<NotebookPanel, string>();
  private _tracker: INotebookTracker;
  private _trans: TranslationBundle;
}

export namespace CatchUpNotice {
  export interface IOptions {
    catchUp: CatchUp;
    tracker: INotebookTracker;
    trans: TranslationBundle;
  }
}
