/**
 * jupyter-server-documents 0.3 (`jupyter-server-documents==0.3.*`): the
 * notebook lives on the server (its own rooms), its own kernel websocket
 * connection class, and cells run with POST /api/kernels/<id>/execute
 * ({document_id, cells: [{cell_id, source_hash}]}) by a kernel client of the room.
 */
import { compatTests } from './compat';

compatTests('jsd', {
  browsers: 1,
  runsBy: 'execute-request',
  documentOnServer: true
});
