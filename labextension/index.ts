/**
 * The JupyterLab plugins of jupyter-branch, and nothing else: wiring of the
 * history panel, its commands, settings, the document reporter and the check
 * for runs that finished while a notebook was closed.
 */

import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

// Needed during activation: the reporter must watch notebooks as soon as
// they open, and the panel's tab belongs in the sidebar from the start.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { CatchUp } from './catchup';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { addCommands } from './commands';
import { LiveHistory } from './live';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { addCompareCommands } from './comparecommands';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { DEFAULT_DEBOUNCE_MS, DocumentReporter } from './reporter';
import { CommandIDs } from './tokens';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { CatchUpNotice } from './widgets/catchupnotice';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { HistoryPanel } from './widgets/panel';

const PLUGIN_ID = 'jupyter-branch:plugin';

/**
 * Records open notebooks and shows their history in the right sidebar.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'Every cell execution kept as a tree of notebook states: browse, restore, branch and export notebook history.',
  autoStart: true,
  requires: [INotebookTracker, IRenderMimeRegistry],
  optional: [ICommandPalette, ILayoutRestorer, ISettingRegistry, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    rendermime: IRenderMimeRegistry,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null
  ) => {
    const trans = (translator ?? nullTranslator).load('jupyter-branch');
    const serverSettings = app.serviceManager.serverSettings;
    const reporter = new DocumentReporter({
      tracker,
      serverSettings,
      debounceMs: DEFAULT_DEBOUNCE_MS
    });

    const panel = new HistoryPanel({
      tracker,
      rendermime,
      commands: app.commands,
      trans,
      serverSettings,
      currentUser: () => app.serviceManager.user.identity?.username ?? null,
      connectLive: listener => new LiveHistory(listener, serverSettings)
    });
    // runs that finished while a notebook was closed: a notice on opening it,
    // at the top of the panel (below its header) and as a notification
    const catchUp = new CatchUp({ tracker, reporter, serverSettings });
    panel.insertWidget(1, new CatchUpNotice({ catchUp, tracker, trans }));
    app.shell.add(panel, 'right', { rank: 900 });
    restorer?.add(panel, panel.id);

    addCommands({
      app,
      panel,
      tracker,
      reporter,
      rendermime,
      trans,
      serverSettings
    });
    addCompareCommands({ app, panel, rendermime, trans, serverSettings });

    const category = trans.__('Notebook History');
    for (const command of [
      CommandIDs.openPanel,
      CommandIDs.refresh,
      CommandIDs.toggleTree,
      CommandIDs.search,
      CommandIDs.cellHistory
    ]) {
      palette?.addItem({ command, category });
    }

    if (settingRegistry) {
      const apply = (settings: ISettingRegistry.ISettings) => {
        reporter.debounceMs = settings.get('debounce_ms').composite as number;
      };
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          apply(settings);
          settings.changed.connect(apply);
        })
        .catch(reason => {
          console.warn('jupyter-branch: could not load settings.', reason);
        });
    }
  }
};

export default plugin;
