/**
 * The pixel difference of two images, as plain data: which pixels differ,
 * what share of them, and a picture of where (the differing pixels in a strong
 * colour over a dimmed first image). No DOM: it works on RGBA arrays, as a
 * canvas's `ImageData` holds them, so it is tested without a browser.
 */

/**
 * An image as RGBA bytes, row by row (`ImageData` fits).
 */
export interface IPixels {
  width: number;
  height: number;
  data: ArrayLike<number>;
}

/**
 * What `pixelDifference` found, over the area both images cover.
 */
export interface IPixelDifference {
  /** Width of the area compared: the narrower image's. */
  width: number;
  /** Height of the area compared: the lower image's. */
  height: number;
  /** Pixels of that area that differ. */
  differing: number;
  /** Pixels in that area (`width * height`). */
  total: number;
  /** `differing / total`, 0 for an empty area. */
  share: number;
  /** Both images have the same width and height. */
  sameSize: boolean;
}

/** The colour of a differing pixel in the picture (RGB). */
export const DIFFERENCE_COLOUR: readonly [number, number, number] = [
  255, 0, 170
];

/** How much of the first image shows under the marks (0 to 1). */
const DIM = 0.3;

/**
 * Compare two images pixel by pixel over the area they share (from the top
 * left corner). Two pixels differ when a channel differs by more than
 * `tolerance`; two fully transparent pixels never differ, whatever their
 * colour channels hold.
 *
 * With `out` (RGBA bytes, `4 * width * height` of the area compared), also
 * paint the picture of the difference into it: the first image dimmed over
 * white, the differing pixels in `DIFFERENCE_COLOUR`, all opaque.
 *
 * @returns the counts and share of differing pixels
 * @throws RangeError if `out` is given and is not the area's size
 */
export function pixelDifference(
  a: IPixels,
  b: IPixels,
  options: { tolerance?: number; out?: Uint8ClampedArray | number[] } = {}
): IPixelDifference {
  const tolerance = options.tolerance ?? 0;
  const out = options.out;
  const width = Math.max(0, Math.min(a.width, b.width));
  const height = Math.max(0, Math.min(a.height, b.height));
  if (out && out.length !== width * height * 4) {
    throw new RangeError(
      `the picture needs ${width * height * 4} bytes, not ${out.length}`
    );
  }
  let differing = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * a.width + x) * 4;
      const j = (y * b.width + x) * 4;
      const differs = pixelsDiffer(a.data, i, b.data, j, tolerance);
      if (differs) {
        differing++;
      }
      if (out) {
        paint(out, (y * width + x) * 4, a.data, i, differs);
      }
    }
  }
  const total = width * height;
  return {
    width,
    height,
    differing,
    total,
    share: total === 0 ? 0 : differing / total,
    sameSize: a.width === b.width && a.height === b.height
  };
}

function pixelsDiffer(
  a: ArrayLike<number>,
  i: number,
  b: ArrayLike<number>,
  j: number,
  tolerance: number
): boolean {
  if (a[i + 3] === 0 && b[j + 3] === 0) {
    return false; // both invisible
  }
  for (let c = 0; c < 4; c++) {
    if (Math.abs(a[i + c] - b[j + c]) > tolerance) {
      return true;
    }
  }
  return false;
}

function paint(
  out: Uint8ClampedArray | number[],
  k: number,
  a: ArrayLike<number>,
  i: number,
  differs: boolean
): void {
  if (differs) {
    out[k] = DIFFERENCE_COLOUR[0];
    out[k + 1] = DIFFERENCE_COLOUR[1];
    out[k + 2] = DIFFERENCE_COLOUR[2];
  } else {
    const alpha = a[i + 3] / 255;
    for (let c = 0; c < 3; c++) {
      // over white, then faded towards white
      const over = a[i + c] * alpha + 255 * (1 - alpha);
      out[k + c] = Math.round(255 - (255 - over) * DIM);
    }
  }
  out[k + 3] = 255;
}

/**
 * A share of pixels as a percentage a reader can trust: `0%` only when none
 * differ, `100%` only when all do, otherwise at most two decimals and never
 * rounded to either end ("< 0.01%", "> 99.99%").
 */
export function formatShare(differing: number, total: number): string {
  if (total <= 0 || differing <= 0) {
    return '0%';
  }
  if (differing >= total) {
    return '100%';
  }
  const percent = (differing / total) * 100;
  if (percent < 0.01) {
    return '< 0.01%';
  }
  if (percent > 99.99) {
    return '> 99.99%';
  }
  return `${Number(percent.toFixed(2))}%`;
}
