/**
 * Wire objects for the Jest specs, each key given once: a state summary and
 * the server's info. A spec passes only what its tests read.
 */

import { IInfo, IState } from '../tokens';

/** A state summary: an `ok` execution of cell `c1` unless `fields` say otherwise. */
export function makeState(
  fields: Partial<IState> & Pick<IState, 'id' | 'seq'>
): IState {
  return {
    parent: null,
    time: new Date(Date.now() - (100 - fields.seq) * 60000).toISOString(),
    event: 'execute',
    cell_id: 'c1',
    cell_index: 0,
    execution_count: fields.seq,
    status: 'ok',
    duration_ms: 5,
    preview: '',
    label: null,
    restored_from: null,
    by_user: null,
    by_client: null,
    sources_key: `k-${fields.id}`,
    ...fields
  };
}

/** `GET info` of a working server with a small store, with `fields` over it. */
export function makeInfo(fields: Partial<IInfo> = {}): IInfo {
  return {
    version: '0.1.0',
    ok: true,
    message: null,
    writer: { backlog: 0, committed: 10, refused: 0 },
    coverage: { sees: [], misses: [] },
    store: {
      owner: 'alice',
      url: 'sqlite:////tmp/h.sqlite',
      path: '/tmp/h.sqlite',
      size_bytes: 2048,
      notebooks: 1,
      states: 2,
      cell_versions: 2,
      blobs: 2,
      content_bytes: 10,
      stored_bytes: 10,
      running: 0
    },
    ...fields
  };
}
