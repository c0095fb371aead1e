/**
 * jupyter-collaboration 5.0 (`jupyter-collaboration==5.0.*`): the notebook
 * lives on the server as a Y document; two browsers edit and run in it at
 * once, cells run over each browser's kernel websocket.
 */
import { compatTests } from './compat';

compatTests('collab', {
  browsers: 2,
  runsBy: 'websocket',
  documentOnServer: true
});
