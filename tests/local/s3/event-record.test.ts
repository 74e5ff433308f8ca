import { createSequencer, encodeNotificationKey } from '../../../local/s3/event-record';

describe('S3 notification records', () => {
  it.each([
    ['photos/a b.jpg', 'photos/a+b.jpg'],
    ['photos/a+b.jpg', 'photos/a%2Bb.jpg'],
    ['été/日本.jpg', '%C3%A9t%C3%A9/%E6%97%A5%E6%9C%AC.jpg'],
    ['x/(1)=&~*.jpg', 'x/%281%29%3D%26%7E*.jpg'],
  ])('encodes the key %p as %p', (key, encoded) => {
    expect(encodeNotificationKey(key)).toBe(encoded);
  });

  it('decodes back to the original key the way Lambda handlers do', () => {
    const key = 'uploads/my photo+1 été (2).jpg';

    const decoded = decodeURIComponent(encodeNotificationKey(key).replace(/\+/g, ' '));

    expect(decoded).toBe(key);
  });

  it('issues strictly increasing sequencers even within the same millisecond', () => {
    const next = createSequencer(() => new Date('2024-01-01T00:00:00Z'));

    const first = next();
    const second = next();

    expect(second > first).toBe(true);
    expect(second).toHaveLength(first.length);
  });
});
