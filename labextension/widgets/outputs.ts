/**
 * Rendering recorded cells and outputs the way Jupyter renders them, but
 * untrusted: the rendermime registry sanitizes HTML and refuses to run
 * scripts or JavaScript outputs, so nothing from history ever executes.
 */

import * as nbformat from '@jupyterlab/nbformat';
import {
  IOutputAreaModel,
  OutputArea,
  OutputAreaModel
} from '@jupyterlab/outputarea';
import { IRenderMimeRegistry, MimeModel } from '@jupyterlab/rendermime';
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Panel, Widget } from '@lumino/widgets';

/**
 * Shows an SVG as an image. An SVG in an <img> can neither run scripts nor
 * load anything, so unlike inline SVG it is safe for untrusted history: old
 * plots show instead of their text fallback.
 */
class SvgAsImage extends Widget implements IRenderMime.IRenderer {
  constructor() {
    super();
    this.addClass('jp-BranchSvg');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const svg = String(model.data['image/svg+xml'] ?? '');
    const img = document.createElement('img');
    img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
    this.node.replaceChildren(img);
  }
}

const svgFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: ['image/svg+xml'],
  defaultRank: 80,
  createRenderer: () => new SvgAsImage()
};

const forHistory = new WeakMap<IRenderMimeRegistry, IRenderMimeRegistry>();

/**
 * The application's registry, plus safe SVG images; made once per registry.
 */
export function historyRendermime(
  rendermime: IRenderMimeRegistry
): IRenderMimeRegistry {
  let registry = forHistory.get(rendermime);
  if (!registry) {
    registry = rendermime.clone();
    registry.addFactory(svgFactory, 80);
    forHistory.set(rendermime, registry);
  }
  return registry;
}

import { IOutput, IStateCell } from '../tokens';

/**
 * A read-only output area holding recorded outputs, never trusted.
 */
export function renderOutputs(
  outputs: IOutput[],
  rendermime: IRenderMimeRegistry
): Widget {
  const model: IOutputAreaModel = new OutputAreaModel({
    // the server sends outputs as a notebook holds them (no transient ids)
    values: outputs as unknown as nbformat.IOutput[],
    trusted: false
  });
  const area = new OutputArea({
    model,
    rendermime: historyRendermime(rendermime)
  });
  area.addClass('jp-BranchOutputs');
  area.disposed.connect(() => model.dispose());
  return area;
}

/**
 * One recorded cell: its prompt and source, then its outputs (code) or its
 * rendered text (markdown).
 */
export function renderCell(
  cell: IStateCell,
  rendermime: IRenderMimeRegistry,
  options: { highlight?: boolean; outputs?: boolean } = {}
): Panel {
  const panel = new Panel();
  panel.addClass('jp-BranchCell');
  panel.addClass(`jp-mod-${cell.cell_type}`);
  if (options.highlight) {
    panel.addClass('jp-mod-highlight');
  }
  panel.node.dataset.cellId = cell.id;
  const head = new Widget();
  head.addClass('jp-BranchCell-source');
  const prompt = document.createElement('div');
  prompt.className = 'jp-BranchCell-prompt';
  prompt.textContent =
    cell.cell_type === 'code'
      ? `[${cell.execution_count ?? ' '}]:`
      : cell.cell_type;
  const source = document.createElement('pre');
  source.textContent = cell.source;
  head.node.append(prompt, source);
  panel.addWidget(head);
  if (
    cell.cell_type === 'code' &&
    options.outputs !== false &&
    cell.outputs &&
    cell.outputs.length > 0
  ) {
    panel.addWidget(renderOutputs(cell.outputs, rendermime));
  } else if (cell.cell_type === 'markdown' && cell.source.trim()) {
    const renderer = rendermime.createRenderer('text/markdown');
    renderer.addClass('jp-BranchCell-markdown');
    void renderer.renderModel(
      new MimeModel({ data: { 'text/markdown': cell.source }, trusted: false })
    );
    panel.addWidget(renderer);
  }
  return panel;
}
