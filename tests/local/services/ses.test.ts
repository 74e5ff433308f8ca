import { SESClient, SendEmailCommand, SendRawEmailCommand } from '@aws-sdk/client-ses';
import { type EmailOutboxMessage, readOutbox } from '../../../local/services';
import { clientConfig, type RunningServices, rejectionOf, startServices } from './harness';

describe('SES stand-in', () => {
  let services: RunningServices;
  let ses: SESClient;

  beforeAll(async () => {
    services = await startServices({ verifiedIdentities: ['example.com', 'solo@other.test'] });
    ses = new SESClient(clientConfig(services.endpoint));
  });

  afterAll(async () => {
    ses.destroy();
    await services.close();
  });

  beforeEach(() => {
    services.logLines.length = 0;
  });

  const lastEmail = () => readOutbox(services.dataDir).at(-1) as EmailOutboxMessage;

  it('saves a SendEmail message to the outbox and returns its MessageId', async () => {
    const result = await ses.send(
      new SendEmailCommand({
        Source: 'Happy Path <noreply@example.com>',
        Destination: { ToAddresses: ['alice@guest.test'], CcAddresses: ['bob@guest.test'] },
        Message: {
          Subject: { Data: 'Please approve' },
          Body: {
            Text: { Data: 'Approve here: https://app.test/approve?token=abc&x=1.' },
            Html: { Data: '<p><a href="https://app.test/approve?token=abc&amp;x=1">Approve</a></p>' },
          },
        },
      }),
    );

    const email = lastEmail();
    expect(result.MessageId).toBe(email.id);
    expect(email).toMatchObject({
      kind: 'email',
      action: 'SendEmail',
      from: 'Happy Path <noreply@example.com>',
      to: ['alice@guest.test'],
      cc: ['bob@guest.test'],
      subject: 'Please approve',
      text: 'Approve here: https://app.test/approve?token=abc&x=1.',
      raw: null,
      links: ['https://app.test/approve?token=abc&x=1'],
    });
  });

  it('prints sender, recipients, subject, the text body and each link on its own line', async () => {
    await ses.send(
      new SendEmailCommand({
        Source: 'noreply@example.com',
        Destination: { ToAddresses: ['alice@guest.test'] },
        Message: {
          Subject: { Data: 'Your photo' },
          Body: { Text: { Data: 'See https://app.test/p/1 and https://app.test/p/2 now' } },
        },
      }),
    );

    const lines = services.logLines;
    expect(lines).toEqual(
      expect.arrayContaining([
        '  From:    noreply@example.com',
        '  To:      alice@guest.test',
        '  Subject: Your photo',
        '  See https://app.test/p/1 and https://app.test/p/2 now',
        'https://app.test/p/1',
        'https://app.test/p/2',
      ]),
    );
  });

  it('prints the HTML as text when the email has no text body', async () => {
    await ses.send(
      new SendEmailCommand({
        Source: 'noreply@example.com',
        Destination: { ToAddresses: ['alice@guest.test'] },
        Message: {
          Subject: { Data: 'HTML only' },
          Body: { Html: { Data: '<p>Hello &amp; welcome</p><p><a href="https://app.test/x">open</a></p>' } },
        },
      }),
    );

    expect(services.logLines).toEqual(expect.arrayContaining(['  Hello & welcome', 'https://app.test/x']));
  });

  it('reads addresses, subject and both bodies out of a multipart SendRawEmail message', async () => {
    const raw = [
      'From: =?UTF-8?B?SMOkcHB5IFBhdGg=?= <noreply@example.com>',
      'To: "Doe, Alice" <alice@guest.test>, carol@guest.test',
      'Subject: =?UTF-8?Q?Caf=C3=A9_approval?=',
      'MIME-Version: 1.0',
      'Content-Type: multipart/alternative; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=UTF-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'Caf=C3=A9 link: https://app.test/approve?id=7',
      '--b1',
      'Content-Type: text/html; charset=UTF-8',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('<a href="https://app.test/approve?id=7">Approve</a>').toString('base64'),
      '--b1--',
      '',
    ].join('\r\n');

    const result = await ses.send(new SendRawEmailCommand({ RawMessage: { Data: Buffer.from(raw) } }));

    const email = lastEmail();
    expect(result.MessageId).toBe(email.id);
    expect(email).toMatchObject({
      action: 'SendRawEmail',
      from: 'Häppy Path <noreply@example.com>',
      to: ['"Doe, Alice" <alice@guest.test>', 'carol@guest.test'],
      subject: 'Café approval',
      text: 'Café link: https://app.test/approve?id=7',
      html: '<a href="https://app.test/approve?id=7">Approve</a>',
      raw,
      links: ['https://app.test/approve?id=7'],
    });
  });

  it('records envelope-only Destinations of a raw message as Bcc', async () => {
    const raw = 'From: noreply@example.com\r\nTo: alice@guest.test\r\nSubject: Hi\r\n\r\nHello\r\n';

    await ses.send(
      new SendRawEmailCommand({
        RawMessage: { Data: Buffer.from(raw) },
        Destinations: ['alice@guest.test', 'audit@guest.test'],
      }),
    );

    expect(lastEmail()).toMatchObject({
      to: ['alice@guest.test'],
      bcc: ['audit@guest.test'],
      text: 'Hello\n',
    });
  });

  it('rejects a sender outside the verified identities with MessageRejected', async () => {
    const error = await rejectionOf(
      ses.send(
        new SendEmailCommand({
          Source: 'someone@unverified.test',
          Destination: { ToAddresses: ['alice@guest.test'] },
          Message: { Subject: { Data: 's' }, Body: { Text: { Data: 't' } } },
        }),
      ),
    );

    expect(error.name).toBe('MessageRejected');
    expect(error.message).toContain('Email address is not verified');
  });

  it('rejects a recipient without a domain with InvalidParameterValue "Missing final \'@domain\'"', async () => {
    const before = readOutbox(services.dataDir).length;

    const error = await rejectionOf(
      ses.send(
        new SendEmailCommand({
          Source: 'solo@other.test',
          Destination: { ToAddresses: ['alice@guest.test', 'not-an-address'] },
          Message: { Subject: { Data: 's' }, Body: { Text: { Data: 't' } } },
        }),
      ),
    );

    expect(error.name).toBe('InvalidParameterValue');
    expect(error.message).toBe("Missing final '@domain'");
    expect(readOutbox(services.dataDir)).toHaveLength(before);
  });

  it('rejects more than 50 recipients with InvalidParameterValue', async () => {
    const recipients = Array.from({ length: 51 }, (_, index) => `r${index}@guest.test`);

    const error = await rejectionOf(
      ses.send(
        new SendEmailCommand({
          Source: 'noreply@example.com',
          Destination: { BccAddresses: recipients },
          Message: { Subject: { Data: 's' }, Body: { Text: { Data: 't' } } },
        }),
      ),
    );

    expect(error.name).toBe('InvalidParameterValue');
    expect(error.message).toBe('Recipient count exceeds 50.');
  });

  it('rejects a raw message without a From header', async () => {
    const raw = 'To: alice@guest.test\r\nSubject: Hi\r\n\r\nHello\r\n';

    const error = await rejectionOf(
      ses.send(new SendRawEmailCommand({ RawMessage: { Data: Buffer.from(raw) } })),
    );

    expect(error.name).toBe('InvalidParameterValue');
    expect(error.message).toBe("Missing required header 'From'.");
  });

  it('lists the outbox with the newest message last', async () => {
    for (const subject of ['first', 'second', 'third']) {
      await ses.send(
        new SendEmailCommand({
          Source: 'noreply@example.com',
          Destination: { ToAddresses: ['alice@guest.test'] },
          Message: { Subject: { Data: subject }, Body: { Text: { Data: subject } } },
        }),
      );
    }

    const subjects = readOutbox(services.dataDir).map((message) => (message as EmailOutboxMessage).subject);

    expect(subjects.slice(-3)).toEqual(['first', 'second', 'third']);
  });
});
