import { MalformedMimeError, parseRawEmail } from '../../../local/services/mime';

const message = (...lines: string[]) => Buffer.from(lines.join('\r\n'));

describe('parseRawEmail', () => {
  it('reads a single-part message with folded headers, its body with LF line endings', async () => {
    const parsed = await parseRawEmail(
      message(
        'From: a@x.test',
        'To: b@x.test,',
        ' c@x.test',
        'Subject: A long',
        '  subject',
        '',
        'Body text',
      ),
    );

    expect(parsed).toMatchObject({
      from: 'a@x.test',
      to: ['b@x.test', 'c@x.test'],
      subject: 'A long  subject',
      text: 'Body text\n',
      html: null,
    });
  });

  it('finds text and HTML inside nested multiparts and skips attachments', async () => {
    const parsed = await parseRawEmail(
      message(
        'From: a@x.test',
        'Content-Type: multipart/mixed; boundary=outer',
        '',
        '--outer',
        'Content-Type: multipart/alternative; boundary="inner"',
        '',
        '--inner',
        'Content-Type: text/plain',
        '',
        'plain',
        '--inner',
        'Content-Type: text/html',
        '',
        '<b>rich</b>',
        '--inner--',
        '--outer',
        'Content-Type: text/plain',
        'Content-Disposition: attachment; filename="notes.txt"',
        '',
        'attached notes',
        '--outer--',
      ),
    );

    expect(parsed.text).toBe('plain');
    expect(parsed.html).toBe('<b>rich</b>');
  });

  it('decodes quoted-printable soft line breaks and the declared charset', async () => {
    const parsed = await parseRawEmail(
      message(
        'From: a@x.test',
        'Content-Type: text/plain; charset=ISO-8859-1',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        'https://app.test/very/long/=',
        'path?q=3D1 caf=E9',
      ),
    );

    expect(parsed.text).toBe('https://app.test/very/long/path?q=1 café\n');
  });

  it('rejects a message without a blank line after the header', async () => {
    await expect(parseRawEmail(Buffer.from('From: a@x.test'))).rejects.toThrow(MalformedMimeError);
  });
});

describe('addresses', () => {
  it('splits at commas outside quotes and angle brackets, quoting names with specials', async () => {
    const parsed = await parseRawEmail(
      message('From: a@x.test', 'To: "Doe, Jane" <jane@x.test>, bob@x.test ,<c@x.test>', '', 'Hi'),
    );

    expect(parsed.to).toEqual(['"Doe, Jane" <jane@x.test>', 'bob@x.test', 'c@x.test']);
  });
});
