/**
 * Pieces under and above a list of states, shared by the panel's own history
 * and a shared one: the selected state's line with its action buttons, and
 * the banner shown while another branch is on screen.
 */

import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { IState } from '../tokens';

/**
 * Fill `node` with the state's id and time (and `note`, if any) and one button
 * per action, `[command id, label]`, each running its command with `args`.
 */
export function renderStateDetails(
  node: HTMLElement,
  state: IState,
  actions: [string, string][],
  commands: CommandRegistry,
  args: ReadonlyPartialJSONObject,
  note = ''
): void {
  const what = document.createElement('div');
  what.className = 'jp-BranchPanel-detailsTitle';
  what.textContent = `${state.id.slice(0, 12)} · ${new Date(state.time).toLocaleString()}${note ? ` · ${note}` : ''}`;
  const bar = document.createElement('div');
  bar.className = 'jp-BranchPanel-actions';
  for (const [command, label] of actions) {
    const b = document.createElement('button');
    b.className = 'jp-BranchPanel-action';
    b.dataset.command = command;
    b.textContent = label;
    b.title = commands.caption(command, args);
    b.addEventListener('click', () => void commands.execute(command, args));
    bar.append(b);
  }
  node.replaceChildren(what, bar);
}

/**
 * Fill `banner` with "Viewing another branch. Back to the current one", the
 * link calling `back`.
 */
export function renderBranchBanner(
  banner: HTMLElement,
  trans: TranslationBundle,
  back: () => void
): void {
  const link = document.createElement('button');
  link.className = 'jp-BranchPanel-link';
  link.textContent = trans.__('Back to the current one');
  link.addEventListener('click', back);
  banner.replaceChildren(trans.__('Viewing another branch. '), link);
}
