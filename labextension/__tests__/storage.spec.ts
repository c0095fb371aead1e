/**
 * The panel's footer: storage used, and in plain words, as an error, what is
 * wrong with the store and how many history writes it refused.
 */

import { nullTranslator } from '@jupyterlab/translation';

import { APIError } from '../api';
import { IInfo } from '../tokens';
import { HistoryPanel } from '../widgets/panel';
import { describeStorage } from '../widgets/storage';
import { makeInfo, makePanel as newPanel } from './fixtures';

const trans = nullTranslator.load('jupyter-branch');

function info(refused: number, ok = true): IInfo {
  return makeInfo({
    ok,
    message: ok ? null : 'The history store is unavailable: disk full',
    writer: { backlog: 0, committed: 10, refused }
  });
}

describe('describeStorage', () => {
  it('shows storage, not an error, while nothing was refused', () => {
    const line = describeStorage(info(0), trans);
    expect(line.text).toBe('History store: 2.0 KB · 2 states in 1 notebooks');
    expect(line.title).toBe('/tmp/h.sqlite');
    expect(line.isError).toBe(false);
  });

  it('counts refused writes in plain words, as an error', () => {
    const line = describeStorage(info(3), trans);
    expect(line.text).toBe(
      'History store: 2.0 KB · 2 states in 1 notebooks · 3 history writes were refused by the store; see the server log.'
    );
    expect(line.isError).toBe(true);
  });

  it('says one refused write in the singular, and why the store fails', () => {
    const line = describeStorage(info(1, false), trans);
    expect(line.text).toContain('1 history write was refused by the store');
    expect(line.text).toContain('disk full');
    expect(line.isError).toBe(true);
  });
});

describe("the panel's footer", () => {
  function footerFor(fetchInfo: () => Promise<IInfo>) {
    return newPanel(null, { trans, fetchTree: jest.fn(), fetchInfo });
  }

  /** The footer once `GET info` was answered. */
  async function footer(panel: HistoryPanel): Promise<HTMLElement> {
    for (let i = 0; i < 10; i++) {
      await new Promise(resolve => setTimeout(resolve, 0));
    }
    return panel.node.querySelector<HTMLElement>('.jp-BranchPanel-footer')!;
  }

  it('says the store refused writes, as an error', async () => {
    const panel = footerFor(async () => info(3));
    const node = await footer(panel);
    expect(node.textContent).toContain(
      '3 history writes were refused by the store; see the server log.'
    );
    expect(node.classList.contains('jp-mod-error')).toBe(true);
    panel.dispose();
  });

  it('is plain storage while all is well', async () => {
    const panel = footerFor(async () => info(0));
    const node = await footer(panel);
    expect(node.textContent).toBe(
      'History store: 2.0 KB · 2 states in 1 notebooks'
    );
    expect(node.classList.contains('jp-mod-error')).toBe(false);
    panel.dispose();
  });

  it('shows why GET info failed, as an error', async () => {
    const panel = footerFor(async () => {
      throw new APIError('Could not reach the Jupyter server: offline', 0);
    });
    const node = await footer(panel);
    expect(node.textContent).toBe(
      'Could not reach the Jupyter server: offline'
    );
    expect(node.classList.contains('jp-mod-error')).toBe(true);
    panel.dispose();
  });
});
