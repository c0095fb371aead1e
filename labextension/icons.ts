/**
 * The extension's icon. Drawn here rather than taken from
 * @jupyterlab/ui-components, whose `historyIcon` only exists in later 4.x
 * releases; the `jp-icon3` class lets the theme colour it.
 */

import { LabIcon } from '@jupyterlab/ui-components';

const BRANCH_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16" fill="none">
  <g class="jp-icon3" stroke="#616161" stroke-width="1.5" stroke-linecap="round">
    <circle cx="4.5" cy="3.5" r="1.75"/>
    <circle cx="4.5" cy="12.5" r="1.75"/>
    <circle cx="11.5" cy="5" r="1.75"/>
    <path d="M4.5 5.25v5.5M11.5 6.75c0 2.5-2 3-4.5 3.5l-1.5 0.75"/>
  </g>
</svg>`;

export const branchIcon = new LabIcon({
  name: 'jupyter-branch:branch',
  svgstr: BRANCH_SVG
});
