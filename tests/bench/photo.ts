import sharp from 'sharp';

/**
 * A smartphone-like photo for the benchmarks: 4032×3024 (stored as 3024×4032 portrait pixels
 * with EXIF orientation 6, as phones write them), JPEG quality 92, with enough fine detail
 * (noise over gradients) to weigh 4–8 MB like a real photo.
 */
export async function smartphonePhoto(): Promise<Buffer> {
  const width = 3024;
  const height = 4032;
  const pixels = Buffer.alloc(width * height * 3);
  let seed = 0x2545f491;
  const random = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 0x100000000;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const offset = (y * width + x) * 3;
      const noise = (random() - 0.5) * 90;
      pixels[offset] = clamp((x / width) * 200 + 30 + noise);
      pixels[offset + 1] = clamp((y / height) * 180 + 40 + noise);
      pixels[offset + 2] = clamp(128 + 90 * Math.sin(x / 97) * Math.cos(y / 131) + noise);
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 92, chromaSubsampling: '4:2:0' })
    .withExif({ IFD0: { Make: 'Happy Path', Model: 'Bench Phone' } })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

function clamp(value: number): number {
  return Math.max(0, Math.min(255, Math.round(value)));
}
