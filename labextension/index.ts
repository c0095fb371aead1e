/**
 * The JupyterLab plugins of jupyter-branch, and nothing else: wiring of the
 * history panel, its commands and the document reporter into the application.
 */

import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { refreshIcon } from '@jupyterlab/ui-components';

// Both are needed during activation: the reporter must watch notebooks as
// soon as they open, and the panel's tab belongs in the sidebar from the start.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { DEFAULT_DEBOUNCE_MS, DocumentReporter } from './reporter';
import { CommandIDs } from './tokens';
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
  requires: [INotebookTracker],
  optional: [ICommandPalette, ILayoutRestorer, ISettingRegistry, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null
  ) => {
    translator = translator ?? nullTranslator;
    const trans = translator.load('jupyter-branch');
    const serverSettings = app.serviceManager.serverSettings;
    const reporter = new DocumentReporter({
      tracker,
      serverSettings,
      debounceMs: DEFAULT_DEBOUNCE_MS
    });

    const panel = new HistoryPanel({ tracker, serverSettings, translator });
    app.shell.add(panel, 'right', { rank: 900 });
    restorer?.add(panel, panel.id);

    app.commands.addCommand(CommandIDs.openPanel, {
      label: trans.__('Show Notebook History'),
      caption: trans.__('Open the jupyter-branch notebook history sidebar'),
      describedBy: { args: { type: 'object', properties: {} } },
      execute: () => app.shell.activateById(panel.id)
    });
    app.commands.addCommand(CommandIDs.refresh, {
      label: trans.__('Refresh Notebook History'),
      icon: refreshIcon,
      describedBy: { args: { type: 'object', properties: {} } },
      execute: () => panel.refresh()
    });
    const category = trans.__('Notebook History');
    palette?.addItem({ command: CommandIDs.openPanel, category });
    palette?.addItem({ command: CommandIDs.refresh, category });

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
