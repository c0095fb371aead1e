/**
 * The commands of jupyter-branch (ids in `CommandIDs`): opening, diffing,
 * restoring, exporting and labelling states, and the panel's views. Buttons,
 * context menus and the palette all run these, with `{state, path, cell}`
 * arguments or, by default, the panel's selection and notebook.
 */

import { JupyterFrontEnd } from '@jupyterlab/application';
import { InputDialog, Notification } from '@jupyterlab/apputils';
import {
  INotebookTracker,
  NotebookActions,
  NotebookPanel
} from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';

import {
  getDiff,
  getState,
  getTree,
  postExport,
  postRestore,
  putLabel
} from './api';
import { DocumentReporter } from './reporter';
import { applyRestore, restoreBlocker } from './restore';
import { CommandIDs, IDocumentCell } from './tokens';
import { HistoryPanel } from './widgets/panel';
import { DiffView, mainArea, StateView } from './widgets/stateview';

export interface ICommandContext {
  app: JupyterFrontEnd;
  panel: HistoryPanel;
  tracker: INotebookTracker;
  reporter: DocumentReporter;
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
  serverSettings: ServerConnection.ISettings;
}

type Args = ReadonlyPartialJSONObject;

const NO_ARGS = { args: { type: 'object' as const, properties: {} } };

const STATE_ARGS = {
  args: {
    type: 'object' as const,
    properties: {
      state: {
        type: 'string' as const,
        description: 'State id or unique prefix (default: the selected state)'
      },
      path: {
        type: 'string' as const,
        description: 'Notebook path (default: the notebook the panel shows)'
      },
      cell: {
        type: 'string' as const,
        description: 'Cell id, where one applies'
      }
    }
  }
};

/** How many states the "diff with another state" dialog offers, newest first. */
const MAX_DIFF_CHOICES = 500;

export function addCommands(ctx: ICommandContext): void {
  const { app, panel, trans, tracker, serverSettings: settings } = ctx;
  const commands = app.commands;

  const stateOf = (args: Args): string | null =>
    (args.state as string | undefined) ?? panel.selected?.id ?? null;
  const pathOf = (args: Args): string | null =>
    (args.path as string | undefined) ??
    panel.path ??
    tracker.currentWidget?.context.localPath ??
    null;
  const hasState = (args: Args) =>
    stateOf(args) !== null && pathOf(args) !== null;
  const notebookAt = (path: string): NotebookPanel | null =>
    tracker.find(p => p.context.localPath === path) ?? null;
  // history views share one area beside the notebook, as tabs
  const openInMain = (widget: Widget) => {
    const other = [...app.shell.widgets('main')].find(
      w => w !== widget && w.hasClass('jp-BranchMainTab')
    );
    widget.addClass('jp-BranchMainTab');
    app.shell.add(
      widget,
      'main',
      other ? { mode: 'tab-after', ref: other.id } : { mode: 'split-right' }
    );
    app.shell.activateById(widget.id);
  };
  const fail = (what: string, error: unknown) => {
    Notification.error(`${what}: ${(error as Error).message}`, {
      autoClose: 8000
    });
  };

  commands.addCommand(CommandIDs.openPanel, {
    describedBy: NO_ARGS,
    label: trans.__('Show Notebook History'),
    caption: trans.__('Open the notebook history sidebar'),
    execute: () => app.shell.activateById(panel.id)
  });

  commands.addCommand(CommandIDs.refresh, {
    describedBy: NO_ARGS,
    label: trans.__('Refresh Notebook History'),
    execute: () => panel.refresh()
  });

  commands.addCommand(CommandIDs.toggleTree, {
    describedBy: NO_ARGS,
    label: trans.__('Show History as a Tree'),
    caption: trans.__('Every state and branch of the notebook at once'),
    isToggled: () => panel.view === 'tree',
    execute: () => {
      app.shell.activateById(panel.id);
      panel.showView(panel.view === 'tree' ? 'timeline' : 'tree');
    }
  });

  commands.addCommand(CommandIDs.search, {
    describedBy: NO_ARGS,
    label: trans.__('Search Notebook History'),
    execute: () => {
      app.shell.activateById(panel.id);
      panel.showView('search');
    }
  });

  commands.addCommand(CommandIDs.cellHistory, {
    describedBy: NO_ARGS,
    label: trans.__('Show Cell History'),
    caption: trans.__('Every version of this cell, with its outputs'),
    execute: () => {
      app.shell.activateById(panel.id);
      panel.showView('cell');
    }
  });

  commands.addCommand(CommandIDs.openState, {
    describedBy: STATE_ARGS,
    label: trans.__('Open State'),
    caption: trans.__('Show this state read-only'),
    isEnabled: hasState,
    execute: async args => {
      const path = pathOf(args)!;
      const id = stateOf(args)!;
      try {
        const state = await getState(path, id, settings);
        const view = new StateView({
          path,
          state,
          rendermime: ctx.rendermime,
          commands,
          trans,
          focusCell: (args.cell as string | undefined) ?? null
        });
        const widgetId = `jupyter-branch-state-${state.id}`;
        const open = [...app.shell.widgets('main')].find(
          w => w.id === widgetId
        );
        open?.dispose();
        const label = `${path.split('/').pop()} @ ${state.id.slice(0, 8)}`;
        openInMain(mainArea(view, widgetId, label));
      } catch (error) {
        fail(trans.__('Could not open the state'), error);
      }
    }
  });

  commands.addCommand(CommandIDs.diffState, {
    describedBy: STATE_ARGS,
    label: trans.__('Diff State with Notebook'),
    caption: trans.__(
      'What changed between this state and the notebook as it is now'
    ),
    isEnabled: hasState,
    execute: async args => {
      const path = pathOf(args)!;
      const id = stateOf(args)!;
      try {
        let against: string | IDocumentCell[];
        if (typeof args.against === 'string') {
          against = args.against;
        } else {
          const notebook = notebookAt(path);
          if (!notebook?.content.model) {
            throw new Error(trans.__('open the notebook to compare with it'));
          }
          const json = notebook.content.model.toJSON() as unknown as {
            cells: IDocumentCell[];
          };
          against = json.cells;
        }
        const diff = await getDiff(path, id, against, settings);
        const widgetId = `jupyter-branch-diff-${diff.a}-${diff.b ?? 'now'}`;
        [...app.shell.widgets('main')].find(w => w.id === widgetId)?.dispose();
        const view = new DiffView({ path, diff, trans });
        const label = `${path.split('/').pop()}: ${diff.a.slice(0, 8)} ↔ ${diff.b ? diff.b.slice(0, 8) : trans.__('now')}`;
        openInMain(mainArea(view, widgetId, label));
      } catch (error) {
        fail(trans.__('Could not compare'), error);
      }
    }
  });

  commands.addCommand(CommandIDs.diffStates, {
    describedBy: STATE_ARGS,
    label: trans.__('Diff State with Another State…'),
    caption: trans.__('What changed between this state and one you pick'),
    isEnabled: hasState,
    execute: async args => {
      const path = pathOf(args)!;
      const id = stateOf(args)!;
      let against = args.against as string | undefined;
      if (!against) {
        try {
          const states =
            panel.path === path && panel.model.graph
              ? panel.model.graph.states
              : (await getTree(path, settings)).states;
          // newest first; a dialog of a few hundred choices stays usable
          const choices = [...states]
            .reverse()
            .filter(s => s.id !== id)
            .slice(0, MAX_DIFF_CHOICES);
          if (choices.length === 0) {
            throw new Error(trans.__('this notebook has no other state'));
          }
          const labels = choices.map(
            s =>
              `${s.id.slice(0, 12)} · ${s.label ? `[${s.label}] ` : ''}${s.event} · ${s.preview.slice(0, 60)}`
          );
          const result = await InputDialog.getItem({
            title: trans.__('Diff state %1 with', id.slice(0, 8)),
            items: labels,
            current: 0
          });
          if (!result.button.accept || result.value === null) {
            return;
          }
          against = choices[labels.indexOf(result.value)].id;
        } catch (error) {
          fail(trans.__('Could not compare'), error);
          return;
        }
      }
      await commands.execute(CommandIDs.diffState, {
        state: id,
        path,
        against
      });
    }
  });

  const restore = async (args: Args, whole: boolean) => {
    const path = pathOf(args)!;
    const id = stateOf(args)!;
    const notebook = notebookAt(path);
    if (!notebook) {
      fail(
        trans.__('Could not restore'),
        new Error(trans.__('open %1 first', path))
      );
      return;
    }
    const blocker = restoreBlocker(notebook);
    if (blocker) {
      Notification.warning(blocker, { autoClose: 8000 });
      return;
    }
    let cellId: string | null = null;
    if (!whole) {
      cellId = (args.cell as string | undefined) ?? null;
      if (!cellId) {
        const state = await getState(path, id, settings);
        cellId = state.cell_id;
      }
      if (!cellId) {
        fail(
          trans.__('Could not restore'),
          new Error(trans.__('this state ran no cell'))
        );
        return;
      }
    }
    try {
      // what is about to be replaced must be a state first
      await ctx.reporter.flush(notebook, 'restore');
      const reply = await postRestore(path, id, cellId, settings);
      applyRestore(notebook, reply.cells, cellId);
      void ctx.reporter.flush(notebook, 'restore');
      void panel.refresh();
      // the cell by its place in the notebook, as the user knows it
      const place =
        notebook.content.widgets.findIndex(c => c.model.id === cellId) + 1;
      const what = cellId
        ? trans.__('Cell %1 restored from state %2.', place, id.slice(0, 8))
        : trans.__('State %1 restored.', id.slice(0, 8));
      Notification.info(
        `${what} ${trans.__('Sources and outputs are back; kernel variables are not.')}`,
        {
          autoClose: 12000,
          actions: [
            {
              label: cellId
                ? trans.__('Re-run the cell')
                : trans.__('Re-run all cells'),
              callback: () => void rerun(notebook, cellId)
            }
          ]
        }
      );
    } catch (error) {
      fail(trans.__('Could not restore'), error);
    }
  };

  const rerun = async (notebook: NotebookPanel, cellId: string | null) => {
    const content = notebook.content;
    if (cellId === null) {
      await NotebookActions.runAll(content, notebook.sessionContext);
      return;
    }
    const index = content.widgets.findIndex(c => c.model.id === cellId);
    if (index >= 0) {
      content.activeCellIndex = index;
      content.deselectAll();
      await NotebookActions.run(content, notebook.sessionContext);
    }
  };

  commands.addCommand(CommandIDs.restoreState, {
    describedBy: STATE_ARGS,
    label: trans.__('Restore State into Notebook'),
    caption: trans.__('Bring back every cell of this state (one undo step)'),
    isEnabled: hasState,
    execute: args => restore(args, true)
  });

  commands.addCommand(CommandIDs.restoreCell, {
    describedBy: STATE_ARGS,
    label: trans.__('Restore This Cell Only'),
    caption: trans.__('Bring back the cell this state ran, leaving the others'),
    isEnabled: hasState,
    execute: args => restore(args, false)
  });

  const exportState = async (args: Args, outputs: boolean) => {
    const path = pathOf(args)!;
    const id = stateOf(args)!;
    try {
      const reply = await postExport(path, id, outputs, settings);
      await commands.execute('docmanager:open', { path: reply.path });
      Notification.success(trans.__('Exported to %1', reply.path), {
        autoClose: 5000
      });
    } catch (error) {
      fail(trans.__('Could not export'), error);
    }
  };

  commands.addCommand(CommandIDs.exportState, {
    describedBy: STATE_ARGS,
    label: trans.__('Export State as Notebook'),
    caption: trans.__('A clean copy of this state, next to the notebook'),
    isEnabled: hasState,
    execute: args => exportState(args, true)
  });

  commands.addCommand(CommandIDs.exportStateNoOutputs, {
    describedBy: STATE_ARGS,
    label: trans.__('Export State without Outputs'),
    isEnabled: hasState,
    execute: args => exportState(args, false)
  });

  commands.addCommand(CommandIDs.labelState, {
    describedBy: STATE_ARGS,
    label: trans.__('Label State…'),
    caption: trans.__(
      'Name this state, e.g. "baseline" (empty removes the label)'
    ),
    isEnabled: hasState,
    execute: async args => {
      const path = pathOf(args)!;
      const id = stateOf(args)!;
      const current = panel.model.graph?.get(id)?.label ?? '';
      const result = await InputDialog.getText({
        title: trans.__('Label state %1', id.slice(0, 8)),
        text: (args.label as string | undefined) ?? current,
        placeholder: trans.__('e.g. baseline, lr=3e-4')
      });
      if (!result.button.accept) {
        return;
      }
      try {
        const stored = await putLabel(path, id, result.value ?? null, settings);
        panel.model.setLabel(stored.state, stored.label);
      } catch (error) {
        fail(trans.__('Could not label'), error);
      }
    }
  });

  const rowSelector = '.jp-BranchPanel .jp-BranchStateRow';
  let rank = 0;
  for (const command of [
    CommandIDs.openState,
    CommandIDs.diffState,
    CommandIDs.diffStates,
    CommandIDs.restoreState,
    CommandIDs.restoreCell,
    CommandIDs.exportState,
    CommandIDs.exportStateNoOutputs,
    CommandIDs.labelState
  ]) {
    app.contextMenu.addItem({ command, selector: rowSelector, rank: rank++ });
  }
  app.contextMenu.addItem({
    command: CommandIDs.cellHistory,
    selector: '.jp-Notebook .jp-Cell',
    rank: 100
  });
}
