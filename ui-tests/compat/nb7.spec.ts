/**
 * Notebook 7.6 (`notebook==7.6.*`): a notebook opened at /notebooks/...,
 * cells run over the kernel websocket, the history panel in Notebook's right
 * sidebar.
 */
import { compatTests } from './compat';

compatTests('nb7', {
  browsers: 1,
  runsBy: 'websocket',
  documentOnServer: false
});
