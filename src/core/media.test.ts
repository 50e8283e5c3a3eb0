import { describe, expect, it } from 'vitest';
import { isBase64, isDataUrl, parseDataUrl } from './media.js';

describe('data URLs', () => {
  it('reads the media type and base64 data of data:<type>;base64,<data>', () => {
    expect(parseDataUrl('data:image/png;base64,iVBORw0KGgo=')).toEqual({ mediaType: 'image/png', data: 'iVBORw0KGgo=' });
    expect(parseDataUrl('data:application/vnd.ms-excel;base64,AAA')).toEqual({ mediaType: 'application/vnd.ms-excel', data: 'AAA' });
  });

  it('refuses data URLs that are not base64, lack a media type or carry parameters, and other URLs', () => {
    for (const url of ['data:image/png,abc', 'data:;base64,AAA', 'data:image;base64,AAA', 'data:text/plain;charset=utf-8;base64,AAA', 'https://x/y.png', '']) {
      expect(parseDataUrl(url)).toBeUndefined();
    }
  });

  it('refuses a base64 data URL whose data is empty or no base64, which the upstream would refuse after the send', () => {
    for (const url of ['data:image/png;base64,', 'data:image/png;base64,!!!@@@', 'data:image/png;base64,iVBO Rw0K', 'data:image/png;base64,iV=BORw0KGgo', 'data:image/png;base64,AAAA===']) {
      expect(parseDataUrl(url)).toBeUndefined();
    }
  });

  it('takes base64 in the standard or URL-safe alphabet, padded or not, with MIME line breaks', () => {
    for (const data of ['iVBORw0KGgo=', 'AAA', 'AA==', 'a-_b', 'QUJD\r\nREVG', 'QUI=\r\n']) expect(isBase64(data)).toBe(true);
    for (const data of ['', ' ', 'QU JD', 'QUJD%3D', '=AAA', 'A=A=', 'QUI===', '{"a":1}']) expect(isBase64(data)).toBe(false);
  });

  it('tells a data: URL from others, whatever its case', () => {
    expect(isDataUrl('data:image/png,abc')).toBe(true);
    expect(isDataUrl('DATA:image/png;base64,AAA')).toBe(true);
    expect(isDataUrl('https://x/data:')).toBe(false);
  });
});
