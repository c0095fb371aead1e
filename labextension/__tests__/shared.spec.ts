/**
 * Histories other users shared with this user: the Shared tab of the panel
 * (listed with their owner, read-only: no restore, no label), the state view
 * that says whose it is, and the export into the user's root.
 */

import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ServerConnection } from '@jupyterlab/services';
import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';

import {
  freeName,
  exportSharedState,
  sharedExportName,
  withDefaultKernel
} from '../sharedexport';
import {
  CommandIDs,
  INotebookSummary,
  IState,
  IStateDetail,
  ITree
} from '../tokens';
import { HistoryPanel } from '../widgets/panel';
import { ISharedSource } from '../widgets/shared';
import { StateView } from '../widgets/stateview';
import { makeInfo, makePanel as newPanel, makeState } from './fixtures';

const trans = nullTranslator.load('jupyter-branch');
const BOB_PATH = '/home/bob/work/train.ipynb';

function state(id: string, parent: string | null, seq: number): IState {
  return makeState({ id, parent, seq, preview: `loss = ${seq}` });
}

const bobTree: ITree = {
  notebook: BOB_PATH,
  head: 'b3',
  states: [state('b1', null, 1), state('b2', 'b1', 2), state('b3', 'b2', 3)],
  running: [],
  deleted: false
};

function summary(extra: Partial<INotebookSummary>): INotebookSummary {
  return {
    path: 'mine.ipynb',
    owner: 'alice',
    shared: false,
    states: 2,
    last: new Date().toISOString(),
    head: null,
    deleted: null,
    ...extra
  };
}

/** Let pending promises (fetches of the fakes) settle. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await new Promise(resolve => setTimeout(resolve, 0));
  }
}

describe('the Shared tab', () => {
  function makePanel(
    notebooks: INotebookSummary[],
    tree: ISharedSource['tree'] = async () => bobTree
  ) {
    const commands = new CommandRegistry();
    const panel = newPanel('mine.ipynb', {
      commands,
      trans,
      fetchTree: async () => ({ ...bobTree, notebook: 'mine.ipynb' }),
      fetchInfo: async () => makeInfo(),
      shared: { notebooks: async () => ({ notebooks }), tree }
    });
    return { panel, commands };
  }

  const tab = (panel: HistoryPanel) =>
    panel.node.querySelector<HTMLElement>(
      '.jp-BranchPanel-tab[data-view="shared"]'
    )!;

  it('is not offered while nothing is shared with the user', async () => {
    const { panel } = makePanel([summary({})]);
    await settle();
    expect(tab(panel).hidden).toBe(true);
    panel.dispose();
  });

  it("lists other users' histories only, with owner, states and activity", async () => {
    const { panel } = makePanel([
      summary({}),
      summary({ path: BOB_PATH, owner: 'bob', shared: true, states: 3 })
    ]);
    await settle();
    expect(tab(panel).hidden).toBe(false);
    tab(panel).click();
    await settle();
    const items = Array.from(
      panel.node.querySelectorAll<HTMLElement>('.jp-BranchShared-item')
    );
    expect(items.map(i => i.dataset.owner)).toEqual(['bob']);
    expect(items[0].textContent).toContain('train.ipynb');
    expect(items[0].textContent).toContain('shared by bob · 3 states');
    expect(items[0].textContent).toContain('just now');
    expect(items[0].title).toBe(BOB_PATH);
    panel.dispose();
  });

  it("shows a shared history's timeline, read from its owner, with reads only", async () => {
    const tree = jest.fn(async () => bobTree);
    const { panel, commands } = makePanel(
      [summary({ path: BOB_PATH, owner: 'bob', shared: true, states: 3 })],
      tree
    );
    const run = jest.spyOn(commands, 'execute').mockResolvedValue(undefined);
    await settle();
    panel.showView('shared');
    await settle();
    panel.node.querySelector<HTMLElement>('.jp-BranchShared-item')!.click();
    await settle();
    expect(tree).toHaveBeenCalledWith('bob', BOB_PATH, 0);
    const history = panel.node.querySelector<HTMLElement>(
      '.jp-BranchShared-history'
    )!;
    expect(history.textContent).toContain('shared by bob · read-only');
    const rows = Array.from(
      history.querySelectorAll<HTMLElement>('.jp-BranchRow')
    );
    expect(rows.map(r => r.dataset.stateId)).toEqual(['b3', 'b2', 'b1']);

    rows[1].click();
    expect(panel.shown).toEqual({ path: BOB_PATH, owner: 'bob', state: 'b2' });
    const actions = Array.from(
      history.querySelectorAll<HTMLElement>('.jp-BranchPanel-action')
    );
    expect(actions.map(a => a.dataset.command)).toEqual([
      CommandIDs.openState,
      CommandIDs.diffStates,
      CommandIDs.exportState
    ]);
    expect(
      panel.node.querySelector('.jp-BranchPanel-details')!.textContent
    ).toContain('shared by bob');
    actions[2].click();
    expect(run).toHaveBeenCalledWith(CommandIDs.exportState, {
      state: 'b2',
      path: BOB_PATH,
      owner: 'bob'
    });
    // the user's own notebook is not what the commands act on here
    panel.showView('timeline');
    expect(panel.shown.owner).toBeNull();
    expect(panel.shown.path).toBe('mine.ipynb');
    panel.dispose();
  });
});

describe("a state of another user's history", () => {
  const detail: IStateDetail = {
    ...state('b2'.padEnd(32, '0'), null, 2),
    metadata: {},
    cells: [],
    kernel_id: null,
    started: null,
    ended: null
  };

  it('says whose it is and offers no restore', () => {
    const view = new StateView({
      path: BOB_PATH,
      owner: 'bob',
      state: detail,
      rendermime: {} as IRenderMimeRegistry,
      commands: new CommandRegistry(),
      trans
    });
    expect(view.node.textContent).toContain('shared by bob');
    expect(view.node.textContent).toContain(
      "of bob's history, shared with you"
    );
    const commands = Array.from(
      view.node.querySelectorAll<HTMLElement>('.jp-BranchPanel-action')
    ).map(b => b.dataset.command);
    expect(commands).not.toContain(CommandIDs.restoreState);
    expect(commands).not.toContain(CommandIDs.diffState);
    expect(commands).toContain(CommandIDs.exportState);
  });

  it('of your own offers restore', () => {
    const view = new StateView({
      path: 'mine.ipynb',
      state: detail,
      rendermime: {} as IRenderMimeRegistry,
      commands: new CommandRegistry(),
      trans
    });
    expect(view.node.textContent).not.toContain('shared');
    expect(
      view.node.querySelector(`[data-command="${CommandIDs.restoreState}"]`)
    ).not.toBeNull();
  });
});

describe('export of a shared state', () => {
  const notFound = () =>
    Object.assign(new Error('not found'), { response: { status: 404 } });

  it('is named after the notebook, the owner and the state', () => {
    expect(sharedExportName(BOB_PATH, 'bob', 'abcdef0123456789', true)).toBe(
      'train-bob-abcdef01.ipynb'
    );
    expect(sharedExportName(BOB_PATH, 'b/o b', 'abcdef0123456789', false)).toBe(
      'train-b_o_b-abcdef01-no-outputs.ipynb'
    );
  });

  it('takes the first free name, never an existing file', async () => {
    const existing = new Set(['a.ipynb', 'a-1.ipynb']);
    const contents = {
      get: jest.fn(async (path: string) => {
        if (existing.has(path)) {
          return {} as any;
        }
        throw notFound();
      })
    };
    expect(await freeName(contents, 'a.ipynb')).toBe('a-2.ipynb');
    expect(await freeName(contents, 'b.ipynb')).toBe('b.ipynb');
  });

  it('fails rather than guess when the contents API fails', async () => {
    const contents = {
      get: jest.fn(async () => {
        throw Object.assign(new Error('forbidden'), {
          response: { status: 403 }
        });
      })
    };
    await expect(freeName(contents, 'a.ipynb')).rejects.toThrow('forbidden');
  });

  it('names the default kernel only when the notebook names none', () => {
    const specs = {
      default: 'python3',
      kernelspecs: {
        python3: {
          name: 'python3',
          display_name: 'Python 3',
          language: 'python'
        }
      }
    } as any;
    const bare = { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [] };
    expect(withDefaultKernel(bare as any, specs).metadata.kernelspec).toEqual({
      name: 'python3',
      display_name: 'Python 3',
      language: 'python'
    });
    const r = { name: 'ir', display_name: 'R', language: 'R' };
    const named = { ...bare, metadata: { kernelspec: r } };
    expect(withDefaultKernel(named as any, specs).metadata.kernelspec).toBe(r);
  });

  it("reads the owner's state and writes it into the user's root", async () => {
    const nb = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [{ cell_type: 'code', source: 'loss = 3' }]
    };
    const makeRequest = jest
      .spyOn(ServerConnection, 'makeRequest')
      .mockResolvedValue({
        ok: true,
        status: 200,
        statusText: 'OK',
        text: async () => JSON.stringify(nb)
      } as unknown as Response);
    const saved: [string, any][] = [];
    const contents = {
      get: jest.fn(async (path: string) => {
        if (path === 'train-bob-abcdef01.ipynb') {
          return {} as any;
        }
        throw notFound();
      }),
      save: jest.fn(async (path: string, model: any) => {
        saved.push([path, model]);
        return {} as any;
      })
    };
    try {
      const written = await exportSharedState({
        path: BOB_PATH,
        owner: 'bob',
        state: 'abcdef0123456789',
        outputs: true,
        contents,
        specs: null,
        serverSettings: ServerConnection.makeSettings({
          baseUrl: 'http://localhost:8888/'
        })
      });
      expect(written).toBe('train-bob-abcdef01-1.ipynb');
      const url = new URL(makeRequest.mock.calls[0][0] as string);
      expect(url.pathname).toBe('/jupyter-branch/api/export');
      expect(url.searchParams.get('owner')).toBe('bob');
      expect(url.searchParams.get('path')).toBe(BOB_PATH);
      expect(saved).toEqual([
        [
          'train-bob-abcdef01-1.ipynb',
          { type: 'notebook', format: 'json', content: nb }
        ]
      ]);
    } finally {
      makeRequest.mockRestore();
    }
  });
});
