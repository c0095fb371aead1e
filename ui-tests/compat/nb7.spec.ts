/**
 * Notebook 7.6 (`notebook==7.6.*`): a notebook opened at /notebooks/...,
 * cells run over the kernel websocket, the history panel in Notebook's right
 * sidebar, with its quiet Timeline and the notice of runs that finished while
 * the notebook's tab was closed.
 */
import { compatTests } from './compat';
import { timelineTests } from './timeline';

compatTests('nb7', {
  browsers: 1,
  runsBy: 'websocket',
  documentOnServer: false,
  more: timelineTests
});
