/**
 * The comparison commands: two versions of a cell side by side
 * (`compareRuns`), and two whole states (`compareStates`), whose entries
 * open the comparison of one cell. Both open in the main area beside the
 * other history views.
 */

import { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { getDiff, getState, getTree } from './api';
import { olderFirst } from './compare';
import { CommandIDs, IState, IStateDetail } from './tokens';
import { CompareView } from './widgets/compare';
import { StateCompareView } from './widgets/comparestates';
import { HistoryPanel } from './widgets/panel';
import { mainArea, openInMainArea, pickOtherState } from './widgets/stateview';

export interface ICompareContext {
  app: JupyterFrontEnd;
  panel: HistoryPanel;
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
  serverSettings: ServerConnection.ISettings;
}

type Args = ReadonlyPartialJSONObject;

const RUNS_ARGS = {
  args: {
    type: 'object' as const,
    properties: {
      path: { type: 'string' as const, description: 'Notebook path' },
      cell: { type: 'string' as const, description: 'Cell id' },
      a: { type: 'string' as const, description: 'One state (id or prefix)' },
      b: { type: 'string' as const, description: 'The other state' }
    },
    required: ['cell', 'a', 'b']
  }
};

const STATES_ARGS = {
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
      against: {
        type: 'string' as const,
        description: 'The other state (default: ask)'
      }
    }
  }
};

/**
 * The state `ref` (a full id or unique prefix) among `states`.
 *
 * @throws Error if none or several match
 */
export function findState(states: readonly IState[], ref: string): IState {
  const prefix = ref.toLowerCase();
  const found = states.filter(s => s.id.startsWith(prefix));
  if (found.length !== 1) {
    throw new Error(
      found.length === 0
        ? `no state ${ref} in this notebook`
        : `${ref} names more than one state`
    );
  }
  return found[0];
}

export function addCompareCommands(ctx: ICompareContext): void {
  const { app, panel, trans, serverSettings: settings } = ctx;
  const commands = app.commands;
  const pathOf = (args: Args): string | null =>
    (args.path as string | undefined) ?? panel.path ?? null;
  const stateOf = (args: Args): string | null =>
    (args.state as string | undefined) ?? panel.selected?.id ?? null;
  const fail = (error: unknown) => {
    Notification.error(
      `${trans.__('Could not compare')}: ${(error as Error).message}`,
      { autoClose: 8000 }
    );
  };
  const show = (
    view: CompareView | StateCompareView,
    id: string,
    label: string
  ) => {
    [...app.shell.widgets('main')].find(w => w.id === id)?.dispose();
    openInMainArea(app.shell, mainArea(view, id, label));
  };
  const statesOf = async (path: string, refs: string[]): Promise<IState[]> => {
    const graph = panel.path === path ? panel.model.graph : null;
    if (graph && refs.every(r => graph.states.some(s => s.id.startsWith(r)))) {
      return [...graph.states];
    }
    return (await getTree(path, settings)).states;
  };

  commands.addCommand(CommandIDs.compareRuns, {
    describedBy: RUNS_ARGS,
    label: trans.__('Compare Two Versions of a Cell'),
    caption: trans.__(
      'Code, outputs and images of a cell in two states, side by side'
    ),
    isEnabled: args =>
      pathOf(args) !== null &&
      typeof args.cell === 'string' &&
      typeof args.a === 'string' &&
      typeof args.b === 'string',
    execute: async args => {
      const path = pathOf(args)!;
      const cellId = args.cell as string;
      try {
        const [x, y] = await Promise.all([
          getState(path, args.a as string, settings),
          getState(path, args.b as string, settings)
        ]);
        if (x.id === y.id) {
          throw new Error(trans.__('pick two different versions'));
        }
        const [older, newer] = olderFirst<IStateDetail>(x, y);
        const diff = await getDiff(path, older.id, newer.id, settings);
        const entry = diff.cells.find(c => c.cell_id === cellId);
        if (!entry) {
          throw new Error(
            trans.__('neither state has cell %1', cellId.slice(0, 8))
          );
        }
        const side = (state: IStateDetail) => ({
          state,
          cell: state.cells.find(c => c.id === cellId) ?? null
        });
        const view = new CompareView({
          path,
          cellId,
          a: side(older),
          b: side(newer),
          entry,
          rendermime: ctx.rendermime,
          trans
        });
        const name = path.split('/').pop();
        show(
          view,
          `jupyter-branch-compare-${older.id}-${newer.id}-${cellId}`,
          trans.__('%1 · cell %2: compare', name, cellId.slice(0, 8))
        );
      } catch (error) {
        fail(error);
      }
    }
  });

  commands.addCommand(CommandIDs.compareStates, {
    describedBy: STATES_ARGS,
    label: trans.__('Compare State with Another State…'),
    caption: trans.__(
      'Which cells changed code and outputs, each one open to compare'
    ),
    isEnabled: args => stateOf(args) !== null && pathOf(args) !== null,
    execute: async args => {
      const path = pathOf(args)!;
      const ref = stateOf(args)!;
      let against = args.against as string | undefined;
      try {
        const states = await statesOf(path, against ? [ref, against] : [ref]);
        const first = findState(states, ref);
        if (!against) {
          const picked = await pickOtherState(
            states,
            first.id,
            trans.__('Compare state %1 with', first.id.slice(0, 8)),
            trans
          );
          if (picked === null) {
            return;
          }
          against = picked;
        }
        const [older, newer] = olderFirst(first, findState(states, against));
        if (older.id === newer.id) {
          throw new Error(trans.__('pick another state'));
        }
        const diff = await getDiff(path, older.id, newer.id, settings);
        const view = new StateCompareView({
          path,
          a: older,
          b: newer,
          diff,
          commands,
          trans
        });
        show(
          view,
          `jupyter-branch-compare-states-${older.id}-${newer.id}`,
          `${path.split('/').pop()}: ${older.id.slice(0, 8)} ↔ ${newer.id.slice(0, 8)}`
        );
      } catch (error) {
        fail(error);
      }
    }
  });

  app.contextMenu.addItem({
    command: CommandIDs.compareStates,
    selector: '.jp-BranchPanel .jp-BranchStateRow',
    rank: 2.5 // after "Diff with…"
  });
}
