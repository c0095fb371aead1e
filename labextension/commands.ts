/**
 * The commands of jupyter-branch (ids in `CommandIDs`): opening, diffing,
 * restoring, exporting and labelling states, and the panel's views. Buttons,
 * context menus and the palette all run these, with `{state, path, cell}`
 * arguments or, by default, the panel's selection and notebook. With `owner`
 * (another user's history, shared with this one) only the reads apply: open,
 * diff two states, export into the user's root; never restore or label.
 */

import { JupyterFrontEnd } from '@jupyterlab/application';
import { InputDialog, Notification } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';

import { getDiff, getState, getTree, postExport, putLabel } from './api';
import { DocumentReporter } from './reporter';
import { restoreBlocker, restoreIntoNotebook } from './restore';
import { exportSharedState } from './sharedexport';
import { CommandIDs, IDocumentCell } from './tokens';
import { HistoryPanel } from './widgets/panel';
import {
  DiffView,
  mainArea,
  openInMainArea,
  pickOtherState,
  StateView
} from './widgets/stateview';

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
      },
      owner: {
        type: 'string' as const,
        description:
          "Another user's history shared with you (path is then theirs): read-only"
      }
    }
  }
};

export function addCommands(ctx: ICommandContext): void {
  const { app, panel, trans, tracker, serverSettings: settings } = ctx;
  const commands = app.commands;

  const stateOf = (args: Args): string | null =>
    (args.state as string | undefined) ?? panel.shown.state;
  const pathOf = (args: Args): string | null =>
    (args.path as string | undefined) ??
    panel.shown.path ??
    tracker.currentWidget?.context.localPath ??
    null;
  // a path given without an owner is the user's own notebook
  const ownerOf = (args: Args): string | null =>
    (args.owner as string | undefined) ??
    (args.path === undefined ? panel.shown.owner : null);
  const hasState = (args: Args) =>
    stateOf(args) !== null && pathOf(args) !== null;
  const isOwn = (args: Args) => ownerOf(args) === null;
  const ownState = (args: Args) => hasState(args) && isOwn(args);
  const withNotebookOrState = (args: Args) =>
    isOwn(args) || typeof args.against === 'string';
  const fileName = (path: string, owner: string | null) =>
    `${path.split('/').pop()}${owner ? ` (${owner})` : ''}`;
  const notebookAt = (path: string): NotebookPanel | null =>
    tracker.find(p => p.context.localPath === path) ?? null;
  // history views share one area beside the notebook, as tabs
  const openInMain = (widget: Widget) => openInMainArea(app.shell, widget);
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
      const owner = ownerOf(args);
      try {
        const state = await getState(path, id, settings, owner);
        const view = new StateView({
          path,
          owner,
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
        const label = `${fileName(path, owner)} @ ${state.id.slice(0, 8)}`;
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
    // a shared history is compared with its own states, not the notebook
    isEnabled: args => hasState(args) && withNotebookOrState(args),
    isVisible: withNotebookOrState,
    execute: async args => {
      const path = pathOf(args)!;
      const id = stateOf(args)!;
      const owner = ownerOf(args);
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
        const diff = await getDiff(path, id, against, settings, owner);
        const widgetId = `jupyter-branch-diff-${diff.a}-${diff.b ?? 'now'}`;
        [...app.shell.widgets('main')].find(w => w.id === widgetId)?.dispose();
        const view = new DiffView({ path, owner, diff, trans });
        const label = `${fileName(path, owner)}: ${diff.a.slice(0, 8)} ↔ ${diff.b ? diff.b.slice(0, 8) : trans.__('now')}`;
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
      const owner = ownerOf(args);
      let against = args.against as string | undefined;
      if (!against) {
        try {
          const states =
            !owner && panel.path === path && panel.model.graph
              ? panel.model.graph.states
              : (await getTree(path, settings, 0, owner)).states;
          const picked = await pickOtherState(
            states,
            id,
            trans.__('Diff state %1 with', id.slice(0, 8)),
            trans
          );
          if (picked === null) {
            return;
          }
          against = picked;
        } catch (error) {
          fail(trans.__('Could not compare'), error);
          return;
        }
      }
      await commands.execute(CommandIDs.diffState, {
        state: id,
        path,
        against,
        ...(owner ? { owner } : {})
      });
    }
  });

  // (run from code, a command may be executed while not enabled)
  const readOnly = (what: string) =>
    fail(what, new Error(trans.__('a history shared with you is read-only')));

  const restore = async (args: Args, whole: boolean) => {
    if (!isOwn(args)) {
      return readOnly(trans.__('Could not restore'));
    }
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
      await restoreIntoNotebook({
        notebook,
        path,
        state: id,
        cellId,
        reporter: ctx.reporter,
        trans,
        serverSettings: settings
      });
      void panel.refresh();
    } catch (error) {
      fail(trans.__('Could not restore'), error);
    }
  };

  commands.addCommand(CommandIDs.restoreState, {
    describedBy: STATE_ARGS,
    label: trans.__('Restore State into Notebook'),
    caption: trans.__('Bring back every cell of this state (one undo step)'),
    isEnabled: ownState,
    isVisible: isOwn,
    execute: args => restore(args, true)
  });

  commands.addCommand(CommandIDs.restoreCell, {
    describedBy: STATE_ARGS,
    label: trans.__('Restore This Cell Only'),
    caption: trans.__('Bring back the cell this state ran, leaving the others'),
    isEnabled: ownState,
    isVisible: isOwn,
    execute: args => restore(args, false)
  });

  const exportState = async (args: Args, outputs: boolean) => {
    const path = pathOf(args)!;
    const id = stateOf(args)!;
    const owner = ownerOf(args);
    try {
      // another's history: written into the user's root by the frontend
      const written = owner
        ? await exportSharedState({
            path,
            owner,
            state: id,
            outputs,
            contents: app.serviceManager.contents,
            specs: app.serviceManager.kernelspecs.specs,
            serverSettings: settings
          })
        : (await postExport(path, id, outputs, settings)).path;
      await commands.execute('docmanager:open', { path: written });
      Notification.success(trans.__('Exported to %1', written), {
        autoClose: 5000
      });
    } catch (error) {
      fail(trans.__('Could not export'), error);
    }
  };

  commands.addCommand(CommandIDs.exportState, {
    describedBy: STATE_ARGS,
    label: trans.__('Export State as Notebook'),
    caption: args =>
      isOwn(args)
        ? trans.__('A clean copy of this state, next to the notebook')
        : trans.__('A clean copy of this state, in your root folder'),
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
    isEnabled: ownState,
    isVisible: isOwn,
    execute: async args => {
      if (!isOwn(args)) {
        return readOnly(trans.__('Could not label'));
      }
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
