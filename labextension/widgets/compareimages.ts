/**
 * Two images of a comparison, A (older) and B (newer), in four modes: side
 * by side; a swipe (B over A, shown up to a slider); an onion skin (B over A,
 * its opacity on a slider); and the pixel difference (a canvas: the pixels
 * that differ in a strong colour over a dimmed A, and their share).
 *
 * The images are recorded outputs shown as `<img>` from `data:` URLs, as the
 * rest of history shows them: an SVG in an `<img>` runs no script.
 */

import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { IImageOutput } from '../compare';
import {
  formatShare,
  IPixelDifference,
  IPixels,
  pixelDifference
} from '../pixeldiff';

export type ImageMode = 'side' | 'swipe' | 'onion' | 'difference';

/** Reads the pixels of an image given as a URL. */
export type PixelLoader = (src: string) => Promise<IPixels>;

/** The size an image without one of its own (an SVG without width) gets. */
const DEFAULT_SIZE = { width: 300, height: 150 };

/**
 * Decode an image and read its pixels through a canvas.
 *
 * @throws if the image cannot be decoded, or the browser refuses to read a
 *   canvas it drew on (some SVGs)
 */
export async function loadPixels(src: string): Promise<IPixels> {
  const img = await decoded(src);
  const { width, height } = naturalSize(img);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d');
  if (!context) {
    throw new Error('this browser cannot draw on a canvas');
  }
  context.drawImage(img, 0, 0, width, height);
  return context.getImageData(0, 0, width, height);
}

async function decoded(src: string): Promise<HTMLImageElement> {
  const img = new Image();
  img.src = src;
  await img.decode();
  return img;
}

function naturalSize(img: HTMLImageElement): { width: number; height: number } {
  return img.naturalWidth > 0 && img.naturalHeight > 0
    ? { width: img.naturalWidth, height: img.naturalHeight }
    : DEFAULT_SIZE;
}

/**
 * A canvas holding the picture of the difference (see `pixelDifference`), or
 * a note saying there is no area to compare.
 */
function paintDifference(a: IPixels, b: IPixels): HTMLElement {
  const width = Math.min(a.width, b.width);
  const height = Math.min(a.height, b.height);
  const canvas = document.createElement('canvas');
  canvas.className = 'jp-BranchCompareImage-difference';
  canvas.width = width;
  canvas.height = height;
  const context = width > 0 && height > 0 ? canvas.getContext('2d') : null;
  if (context) {
    const out = new Uint8ClampedArray(width * height * 4);
    pixelDifference(a, b, { out });
    context.putImageData(new ImageData(out, width, height), 0, 0);
  }
  return canvas;
}

export class ImageCompare extends Widget {
  constructor(options: ImageCompare.IOptions) {
    super();
    this._options = options;
    const { a, b, trans } = options;
    this.addClass('jp-BranchCompareImage');
    const bar = document.createElement('div');
    bar.className = 'jp-BranchCompareImage-bar';
    this._summary.className = 'jp-BranchCompareImage-summary';
    bar.append(this._summary);
    this._stage.className = 'jp-BranchCompareImage-stage';
    this._control.className = 'jp-BranchCompareImage-control';
    this.node.append(bar, this._stage, this._control, this._note);
    this._note.className = 'jp-BranchCompareImage-note';
    if (!a || !b) {
      this._summary.textContent = a
        ? trans.__('Only in A (older)')
        : trans.__('Only in B (newer)');
      this.node.classList.add('jp-mod-single');
      this._renderSide();
      this.ready = Promise.resolve();
      return;
    }
    const modes = document.createElement('div');
    modes.className = 'jp-BranchCompareImage-modes';
    const names: [ImageMode, string, string][] = [
      [
        'side',
        trans.__('Side by side'),
        trans.__('A and B next to each other')
      ],
      [
        'swipe',
        trans.__('Swipe'),
        trans.__('B over A, shown up to the slider')
      ],
      [
        'onion',
        trans.__('Onion skin'),
        trans.__('B over A, as opaque as the slider says')
      ],
      [
        'difference',
        trans.__('Difference'),
        trans.__('The pixels that differ, marked over a dimmed A')
      ]
    ];
    for (const [mode, label, caption] of names) {
      const button = document.createElement('button');
      button.className = 'jp-BranchCompareImage-mode';
      button.dataset.mode = mode;
      button.textContent = label;
      button.title = caption;
      button.addEventListener('click', () => (this.mode = mode));
      this._modeButtons.set(mode, button);
      modes.append(button);
    }
    bar.append(modes);
    this._summary.textContent = trans.__('Comparing pixels…');
    this.ready = this._compare(a, b);
    this.mode = 'side';
  }

  /** Settles once the pixel difference is known (or known to be impossible). */
  readonly ready: Promise<void>;

  /** The pixel difference, once known. */
  get difference(): IPixelDifference | null {
    return this._difference;
  }

  get mode(): ImageMode {
    return this._mode;
  }
  set mode(mode: ImageMode) {
    this._mode = mode;
    this.node.dataset.mode = mode;
    this._modeButtons.forEach((button, name) => {
      button.classList.toggle('jp-mod-active', name === mode);
      button.setAttribute('aria-pressed', String(name === mode));
    });
    this._control.replaceChildren();
    switch (mode) {
      case 'side':
        this._renderSide();
        break;
      case 'swipe':
      case 'onion':
        this._renderOverlay(mode);
        break;
      case 'difference':
        this._renderDifference();
        break;
    }
  }

  private _renderSide(): void {
    const { a, b, trans } = this._options;
    const figure = (image: IImageOutput | null, label: string) => {
      const node = document.createElement('figure');
      node.className = 'jp-BranchCompareImage-figure';
      if (image) {
        node.append(this._img(image));
      } else {
        const none = document.createElement('div');
        none.className = 'jp-BranchCompare-none';
        none.textContent = trans.__('No image');
        node.append(none);
      }
      const caption = document.createElement('figcaption');
      caption.textContent = label;
      node.append(caption);
      return node;
    };
    const grid = document.createElement('div');
    grid.className = 'jp-BranchCompareImage-sideBySide';
    grid.append(
      figure(a, trans.__('A (older)')),
      figure(b, trans.__('B (newer)'))
    );
    this._stage.replaceChildren(grid);
  }

  private _renderOverlay(mode: 'swipe' | 'onion'): void {
    const { a, b, trans } = this._options;
    const overlay = document.createElement('div');
    overlay.className = 'jp-BranchCompareImage-overlay';
    const top = document.createElement('div');
    top.className = 'jp-BranchCompareImage-top';
    const imgA = this._img(a!);
    const imgB = this._img(b!);
    top.append(imgB);
    overlay.append(imgA, top);
    const handle = document.createElement('div');
    handle.className = 'jp-BranchCompareImage-handle';
    if (mode === 'swipe') {
      overlay.append(handle);
    }
    this._stage.replaceChildren(overlay);
    // Both pictures are placed in a box as large as the larger one, in
    // shares of it, so that they scale together in a narrow view.
    void Promise.all([imgA, imgB].map(img => img.decode?.())).then(
      () => {
        const sizeA = naturalSize(imgA);
        const sizeB = naturalSize(imgB);
        const width = Math.max(sizeA.width, sizeB.width);
        const height = Math.max(sizeA.height, sizeB.height);
        overlay.style.width = `${width}px`;
        overlay.style.aspectRatio = `${width} / ${height}`;
        imgA.style.width = `${(sizeA.width / width) * 100}%`;
        imgB.style.width = `${(sizeB.width / width) * 100}%`;
      },
      () => undefined // the side-by-side mode says what cannot be shown
    );
    const slider = document.createElement('input');
    slider.type = 'range';
    slider.min = '0';
    slider.max = '100';
    slider.className = 'jp-BranchCompareImage-slider';
    slider.dataset.mode = mode;
    const label = document.createElement('label');
    label.textContent =
      mode === 'swipe'
        ? trans.__('A ◀ swipe ▶ B')
        : trans.__('A ◀ opacity of B ▶ B');
    const apply = () => {
      const value = Number(slider.value);
      if (mode === 'swipe') {
        this._swipe = value;
        top.style.clipPath = `inset(0 ${100 - value}% 0 0)`;
        handle.style.left = `${value}%`;
      } else {
        this._onion = value;
        top.style.opacity = String(value / 100);
      }
    };
    slider.value = String(mode === 'swipe' ? this._swipe : this._onion);
    slider.setAttribute(
      'aria-label',
      mode === 'swipe'
        ? trans.__('How much of B to show over A, from the left')
        : trans.__('Opacity of B over A')
    );
    slider.addEventListener('input', apply);
    apply();
    label.append(slider);
    this._control.append(label);
  }

  private _renderDifference(): void {
    const trans = this._options.trans;
    if (!this._canvas && this._pixels) {
      this._canvas = paintDifference(...this._pixels);
    }
    if (this._canvas) {
      this._stage.replaceChildren(this._canvas);
    } else {
      const wait = document.createElement('div');
      wait.className = 'jp-BranchCompare-none';
      wait.textContent = this._failed ?? trans.__('Comparing pixels…');
      this._stage.replaceChildren(wait);
    }
  }

  private _img(image: IImageOutput): HTMLImageElement {
    const img = document.createElement('img');
    img.src = image.src;
    img.alt = image.mime;
    img.draggable = false;
    return img;
  }

  private async _compare(a: IImageOutput, b: IImageOutput): Promise<void> {
    const trans = this._options.trans;
    const load = this._options.loadPixels ?? loadPixels;
    let pixels: [IPixels, IPixels];
    try {
      pixels = await Promise.all([load(a.src), load(b.src)]);
    } catch (error) {
      this._failed = trans.__(
        'The pixel difference cannot be computed for these images: %1',
        (error as Error).message ?? String(error)
      );
      this._summary.textContent = this._failed;
      if (this._mode === 'difference') {
        this._renderDifference();
      }
      return;
    }
    const [pa, pb] = pixels;
    const difference = pixelDifference(pa, pb);
    this._pixels = pixels;
    this._difference = difference;
    const share = formatShare(difference.differing, difference.total);
    this._summary.textContent =
      difference.differing === 0
        ? trans.__('Identical: no pixel differs (%1)', share)
        : trans.__(
            '%1 of pixels differ (%2 of %3)',
            share,
            difference.differing.toLocaleString(),
            difference.total.toLocaleString()
          );
    this.node.dataset.differing = String(difference.differing);
    if (!difference.sameSize) {
      this._note.textContent = trans.__(
        'The images differ in size (A %1×%2, B %3×%4): the overlapping %5×%6 area, from the top left corner, is compared.',
        pa.width,
        pa.height,
        pb.width,
        pb.height,
        difference.width,
        difference.height
      );
    }
    if (this._mode === 'difference') {
      this._renderDifference();
    }
  }

  private _options: ImageCompare.IOptions;
  private _mode: ImageMode = 'side';
  private _modeButtons = new Map<ImageMode, HTMLButtonElement>();
  private _summary = document.createElement('span');
  private _stage = document.createElement('div');
  private _control = document.createElement('div');
  private _note = document.createElement('div');
  private _canvas: HTMLElement | null = null;
  private _pixels: [IPixels, IPixels] | null = null;
  private _difference: IPixelDifference | null = null;
  private _failed: string | null = null;
  private _swipe = 50;
  private _onion = 50;
}

export namespace ImageCompare {
  export interface IOptions {
    /** The image of A (older), null if only B has one here. */
    a: IImageOutput | null;
    /** The image of B (newer), null if only A has one here. */
    b: IImageOutput | null;
    trans: TranslationBundle;
    /** How to read pixels; by default through a canvas. */
    loadPixels?: PixelLoader;
  }
}
