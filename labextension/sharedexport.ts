/**
 * Exporting a state of another user's history, shared with this user.
 *
 * `POST export` writes next to the user's own notebook and never acts on
 * another's history; so for a shared one the frontend asks `GET export`
 * (with the owner) and writes the notebook into the user's root through the
 * contents API, under a name no file has yet.
 */

import type { Contents, KernelSpec } from '@jupyterlab/services';
import { ServerConnection } from '@jupyterlab/services';

import { getExport } from './api';
import { IExportNotebook } from './tokens';

/** How many `-1`, `-2`, … a name may try before giving up. */
const MAX_TRIES = 1000;

/**
 * The file name of an export of `owner`'s state: `<stem>-<owner>-<id8>.ipynb`
 * (`-no-outputs` before the extension without outputs), the owner's name
 * reduced to characters safe in a file name.
 */
export function sharedExportName(
  path: string,
  owner: string,
  state: string,
  outputs: boolean
): string {
  const name = path.split('/').pop() || 'notebook.ipynb';
  const stem = name.replace(/\.ipynb$/, '');
  const who = owner.replace(/[^A-Za-z0-9_.@-]/g, '_');
  const suffix = outputs ? '' : '-no-outputs';
  return `${stem}-${who}-${state.slice(0, 8)}${suffix}.ipynb`;
}

/**
 * `name`, or `<stem>-1<ext>`, `<stem>-2<ext>`, … : the first that no file in
 * the root has. Raises when the contents API fails otherwise than with 404.
 */
export async function freeName(
  contents: Pick<Contents.IManager, 'get'>,
  name: string
): Promise<string> {
  const dot = name.lastIndexOf('.');
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? name.slice(dot) : '';
  for (let i = 0; i < MAX_TRIES; i++) {
    const candidate = i === 0 ? name : `${stem}-${i}${ext}`;
    try {
      await contents.get(candidate, { content: false });
    } catch (error) {
      if ((error as ServerConnection.ResponseError).response?.status === 404) {
        return candidate;
      }
      throw error;
    }
  }
  throw new Error(`every name like ${name} is taken`);
}

/**
 * Give a notebook without `kernelspec` the server's default kernel, so that it
 * opens in Lab without asking for one (`POST export` names the kernel of the
 * notebook's session; a shared history has no session here).
 */
export function withDefaultKernel(
  nb: IExportNotebook,
  specs: KernelSpec.ISpecModels | null | undefined
): IExportNotebook {
  const spec = specs?.kernelspecs[specs.default];
  if (nb.metadata.kernelspec || !spec) {
    return nb;
  }
  return {
    ...nb,
    metadata: {
      ...nb.metadata,
      kernelspec: {
        name: spec.name,
        display_name: spec.display_name,
        language: spec.language
      }
    }
  };
}

/**
 * Export state `state` of `owner`'s notebook at `path` (their absolute path)
 * as a new notebook in the user's root; returns its API path.
 */
export async function exportSharedState(options: {
  path: string;
  owner: string;
  state: string;
  outputs: boolean;
  contents: Pick<Contents.IManager, 'get' | 'save'>;
  specs?: KernelSpec.ISpecModels | null;
  serverSettings?: ServerConnection.ISettings;
}): Promise<string> {
  const { path, owner, state, outputs, contents } = options;
  const nb = await getExport(
    path,
    state,
    outputs,
    options.serverSettings,
    owner
  );
  const target = await freeName(
    contents,
    sharedExportName(path, owner, state, outputs)
  );
  await contents.save(target, {
    type: 'notebook',
    format: 'json',
    content: withDefaultKernel(nb, options.specs)
  });
  return target;
}
