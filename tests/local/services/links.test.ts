import { findLinks } from '../../../local/services/links';

describe('findLinks', () => {
  it('finds bare URLs in text without trailing sentence punctuation', () => {
    expect(findLinks('Go to https://a.test/x?y=1. Or (see http://b.test/path).')).toEqual([
      'https://a.test/x?y=1',
      'http://b.test/path',
    ]);
  });

  it('keeps parentheses that belong to the URL', () => {
    expect(findLinks('Read https://wiki.test/Foo_(bar) today')).toEqual(['https://wiki.test/Foo_(bar)']);
  });

  it('finds href targets in HTML with entities decoded, once each', () => {
    const html = `<a href="https://a.test/?a=1&amp;b=2">x</a> <a href='https://b.test/'>https://b.test/</a> <a href="#top">top</a>`;

    expect(findLinks('Also https://a.test/?a=1&b=2', html)).toEqual([
      'https://a.test/?a=1&b=2',
      'https://b.test/',
    ]);
  });

  it('finds nothing in text without links', () => {
    expect(findLinks('no links here', '<p>none</p>')).toEqual([]);
  });
});
