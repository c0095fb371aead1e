/**
 * jupyter-server-nbmodel 0.2 (`jupyter-server-nbmodel==0.2.*`): its frontend
 * plugin replaces JupyterLab's cell executor and runs each cell with
 * POST /api/kernels/<id>/execute ({code, metadata: {cell_id, ...}}); the
 * server runs it through a kernel client of its own, not the websocket.
 */
import { compatTests } from './compat';

compatTests('nbmodel', {
  browsers: 1,
  runsBy: 'execute-request',
  documentOnServer: false
});
