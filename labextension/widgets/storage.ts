/**
 * The footer of the history panel in words: the storage used, what is wrong
 * with the store, and writes it refused (`GET info`).
 */

import { TranslationBundle } from '@jupyterlab/translation';

import { APIError } from '../api';
import { IInfo } from '../tokens';
import { formatBytes } from './timeline';

export interface IStorageLine {
  /** What the footer says. */
  text: string;
  /** Its tooltip: where the store is. */
  title: string;
  /** Shown as an error: the store fails, or refused writes. */
  isError: boolean;
  /** Whose history this server records (`store.owner`), if known. */
  owner: string | null;
}

/**
 * What the footer says for an answer of `GET info`.
 *
 * A write the store refused is history lost (the server logs why); it is
 * said here in plain words, not only in the log.
 */
export function describeStorage(
  info: IInfo,
  trans: TranslationBundle
): IStorageLine {
  const parts: string[] = [];
  if (info.store) {
    parts.push(
      trans.__(
        'History store: %1 · %2 states in %3 notebooks',
        formatBytes(info.store.size_bytes),
        info.store.states,
        info.store.notebooks
      )
    );
  }
  if (!info.ok || !info.store) {
    parts.push(info.message ?? trans.__('The history store cannot be read.'));
  }
  const refused = info.writer.refused;
  if (refused > 0) {
    parts.push(
      trans._n(
        '%1 history write was refused by the store; see the server log.',
        '%1 history writes were refused by the store; see the server log.',
        refused
      )
    );
  }
  return {
    text: parts.join(' · '),
    title: info.store ? (info.store.path ?? info.store.url) : '',
    isError: !info.ok || refused > 0,
    owner: info.store?.owner ?? null
  };
}

/**
 * Ask `GET info` (through `fetchInfo`) and describe the answer, or the
 * failure to get one. Never rejects.
 */
export async function storageLine(
  fetchInfo: () => Promise<IInfo>,
  trans: TranslationBundle
): Promise<IStorageLine> {
  try {
    return describeStorage(await fetchInfo(), trans);
  } catch (error) {
    const text = error instanceof APIError ? error.message : String(error);
    return { text, title: '', isError: true, owner: null };
  }
}
