/**
 * The pixel difference of two images, on small synthetic RGBA arrays: what
 * counts as differing, its share, images of different sizes, and the
 * picture painted of it.
 */

import {
  DIFFERENCE_COLOUR,
  formatShare,
  IPixels,
  pixelDifference
} from '../pixeldiff';

/** A width x height image of one colour. */
function solid(
  width: number,
  height: number,
  rgba: [number, number, number, number] = [40, 90, 200, 255]
): IPixels & { data: Uint8ClampedArray } {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < data.length; i += 4) {
    data.set(rgba, i);
  }
  return { width, height, data };
}

function setPixel(
  image: IPixels & { data: Uint8ClampedArray },
  x: number,
  y: number,
  rgba: [number, number, number, number]
): void {
  image.data.set(rgba, (y * image.width + x) * 4);
}

describe('pixelDifference', () => {
  it('finds no differing pixel in identical images: 0%', () => {
    const result = pixelDifference(solid(4, 4), solid(4, 4));
    expect(result).toEqual({
      width: 4,
      height: 4,
      differing: 0,
      total: 16,
      share: 0,
      sameSize: true
    });
    expect(formatShare(result.differing, result.total)).toBe('0%');
  });

  it('counts one differing pixel as its share', () => {
    const b = solid(4, 4);
    setPixel(b, 2, 1, [220, 40, 40, 255]);
    const result = pixelDifference(solid(4, 4), b);
    expect(result.differing).toBe(1);
    expect(result.share).toBe(1 / 16);
    expect(formatShare(result.differing, result.total)).toBe('6.25%');
  });

  it('counts a change in one channel by one level, or in alpha alone', () => {
    const b = solid(2, 1);
    setPixel(b, 0, 0, [40, 91, 200, 255]);
    setPixel(b, 1, 0, [40, 90, 200, 254]);
    expect(pixelDifference(solid(2, 1), b).differing).toBe(2);
  });

  it('lets small changes pass within a tolerance', () => {
    const b = solid(2, 1);
    setPixel(b, 0, 0, [43, 90, 200, 255]);
    setPixel(b, 1, 0, [60, 90, 200, 255]);
    expect(pixelDifference(solid(2, 1), b, { tolerance: 3 }).differing).toBe(1);
  });

  it('never counts two fully transparent pixels, whatever their colour', () => {
    const a = solid(2, 1, [255, 0, 0, 0]);
    const b = solid(2, 1, [0, 0, 255, 0]);
    setPixel(b, 1, 0, [0, 0, 255, 1]);
    expect(pixelDifference(a, b).differing).toBe(1);
  });

  it('compares the overlapping area of images of different sizes', () => {
    // B is 3x2; A is 5x4. A difference inside the overlap counts (read with
    // each image's own row length), one outside it does not.
    const a = solid(5, 4);
    const b = solid(3, 2);
    setPixel(a, 4, 3, [0, 0, 0, 255]); // outside
    setPixel(a, 1, 1, [0, 0, 0, 255]); // inside
    const result = pixelDifference(a, b);
    expect(result).toEqual({
      width: 3,
      height: 2,
      differing: 1,
      total: 6,
      share: 1 / 6,
      sameSize: false
    });
    // the other way round: the same area, the same pixel
    expect(pixelDifference(b, a)).toEqual(result);
  });

  it('has nothing to compare when an image is empty', () => {
    const result = pixelDifference(solid(0, 0), solid(3, 3));
    expect(result.total).toBe(0);
    expect(result.share).toBe(0);
    expect(result.sameSize).toBe(false);
  });

  it('paints the differing pixels in a strong colour over a dimmed A', () => {
    const a = solid(2, 2, [0, 0, 0, 255]);
    const b = solid(2, 2, [0, 0, 0, 255]);
    setPixel(b, 1, 0, [255, 255, 255, 255]);
    const out = new Uint8ClampedArray(2 * 2 * 4);
    pixelDifference(a, b, { out });
    const pixel = (i: number) => Array.from(out.slice(i * 4, i * 4 + 4));
    expect(pixel(1)).toEqual([...DIFFERENCE_COLOUR, 255]);
    // black, dimmed: grey, lighter than A but not white, opaque
    for (const i of [0, 2, 3]) {
      const [r, g, bl, alpha] = pixel(i);
      expect(r).toBeGreaterThan(0);
      expect(r).toBeLessThan(255);
      expect([g, bl, alpha]).toEqual([r, r, 255]);
    }
  });

  it('refuses a picture of the wrong size', () => {
    expect(() =>
      pixelDifference(solid(2, 2), solid(3, 3), {
        out: new Uint8ClampedArray(9 * 4)
      })
    ).toThrow(RangeError);
  });
});

describe('formatShare', () => {
  it.each([
    [0, 100, '0%'],
    [100, 100, '100%'],
    [1, 16, '6.25%'],
    [32, 1000, '3.2%'],
    [1, 3, '33.33%'],
    [1, 1_000_000, '< 0.01%'],
    [999_999, 1_000_000, '> 99.99%'],
    [0, 0, '0%']
  ])('%d of %d is %s', (differing, total, expected) => {
    expect(formatShare(differing, total)).toBe(expected);
  });
});
