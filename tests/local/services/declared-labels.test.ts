import sharp from 'sharp';
import { DeclaredLabelsVisionEngine, declareLabels, readLabelDeclaration } from '../../../local/services';

const plainJpeg = () =>
  sharp({ create: { width: 64, height: 64, channels: 3, background: '#888' } })
    .jpeg()
    .toBuffer();

describe('declared labels', () => {
  it('round-trips a declaration through a generated JPEG', async () => {
    const declaration = {
      labels: [{ name: 'Person', confidence: 98.5, instances: 2 }],
      moderation: [{ name: 'Explicit Nudity', confidence: 91 }],
    };

    const image = await declareLabels(await plainJpeg(), declaration);

    expect(await readLabelDeclaration(image)).toEqual(declaration);
    expect((await sharp(image).metadata()).format).toBe('jpeg');
  });

  it('round-trips names outside ASCII', async () => {
    const image = await declareLabels(await plainJpeg(), { labels: [{ name: 'Café ☕', confidence: 60 }] });

    const result = await new DeclaredLabelsVisionEngine().detectLabels(image);

    expect(result.Labels.map((label) => label.Name)).toEqual(['Café ☕']);
  });

  it('keeps EXIF fields the image already had', async () => {
    const withArtist = await sharp(await plainJpeg())
      .withExif({ IFD0: { Artist: 'Someone' } })
      .jpeg()
      .toBuffer();

    const image = await declareLabels(withArtist, { labels: [] });

    expect((await sharp(image).metadata()).exif?.toString('latin1')).toContain('Someone');
  });

  it('treats an ordinary camera description as no labels', async () => {
    const image = await sharp(await plainJpeg())
      .withExif({ IFD0: { ImageDescription: 'Sunset at the beach' } })
      .jpeg()
      .toBuffer();

    const engine = new DeclaredLabelsVisionEngine();

    expect((await engine.detectLabels(image)).Labels).toEqual([]);
    expect((await engine.detectModerationLabels(image)).ModerationLabels).toEqual([]);
  });

  it('reports a malformed declaration through the logger and treats it as no labels', async () => {
    const lines: string[] = [];
    const image = await sharp(await plainJpeg())
      .withExif({ IFD0: { ImageDescription: '{"labels":[{"name":"Person","confidence":"high"}]}' } })
      .jpeg()
      .toBuffer();

    const result = await new DeclaredLabelsVisionEngine({ log: (line) => lines.push(line) }).detectLabels(
      image,
    );

    expect(result.Labels).toEqual([]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('not a valid label declaration');
  });

  it('refuses to write a declaration with a confidence above 100', async () => {
    const jpeg = await plainJpeg();

    await expect(declareLabels(jpeg, { labels: [{ name: 'Person', confidence: 120 }] })).rejects.toThrow();
  });
});
