// What went out and what travelled: emails (rendered), SNS messages, bus events, dead letters.
import { consoleApi, emailFrame, h, json, poll, time } from './lib.js';

function emailItem(message) {
  return h(
    'li',
    { class: 'card' },
    h(
      'details',
      { open: true },
      h(
        'summary',
        {},
        h('strong', {}, message.subject),
        ' — to ',
        message.to.join(', '),
        ' — ',
        time(message.sentAt),
      ),
      emailFrame(message),
      message.links.length > 0
        ? h('p', { class: 'links' }, 'Links: ', ...message.links.map((link) => h('code', {}, link)))
        : '',
    ),
  );
}

function snsItem(message) {
  return h(
    'li',
    { class: 'card' },
    h(
      'p',
      {},
      h('strong', {}, message.subject ?? '(no subject)'),
      ' — ',
      h('code', {}, message.topicArn.split(':').pop()),
      ' — ',
      time(message.sentAt),
    ),
    h('pre', { class: 'json' }, message.message),
  );
}

function eventRow(archived) {
  return h(
    'li',
    { class: 'card' },
    h(
      'details',
      {},
      h(
        'summary',
        {},
        time(archived.ingestionTime),
        ' ',
        h('strong', {}, archived.event['detail-type']),
        ' from ',
        h('code', {}, archived.event.source),
        ' on ',
        archived.bus,
      ),
      json(archived.event.detail),
    ),
  );
}

function deadLetterRow(letter) {
  return h(
    'li',
    { class: 'card' },
    h(
      'details',
      {},
      h(
        'summary',
        {},
        time(letter.sentTime),
        ' ',
        h('strong', {}, letter.body['detail-type']),
        ' → ',
        h('code', {}, letter.attributes.TARGET_ARN.split(':').pop()),
        `: ${letter.attributes.ERROR_CODE}: ${letter.attributes.ERROR_MESSAGE}`,
      ),
      json(letter),
    ),
  );
}

export async function render(main) {
  const emails = h('ol', { class: 'messages', 'aria-label': 'Emails' });
  const sns = h('ol', { class: 'messages', 'aria-label': 'SNS messages' });
  const events = h('ol', { class: 'messages', 'aria-label': 'Events' });
  const letters = h('ol', { class: 'messages', 'aria-label': 'Dead letters' });
  const counts = {};
  main.append(
    h('h1', {}, 'Outbox & events'),
    h(
      'nav',
      { class: 'jump', 'aria-label': 'Sections' },
      h('a', { href: '#emails' }, 'Emails'),
      h('a', { href: '#sns' }, 'SNS messages'),
      h('a', { href: '#events' }, 'Events'),
      h('a', { href: '#dead-letters' }, 'Dead letters'),
    ),
    h('section', { 'aria-labelledby': 'emails' }, h('h2', { id: 'emails' }, 'Emails (SES)'), emails),
    h('section', { 'aria-labelledby': 'sns' }, h('h2', { id: 'sns' }, 'SNS messages'), sns),
    h('section', { 'aria-labelledby': 'events' }, h('h2', { id: 'events' }, 'Events on the buses'), events),
    h(
      'section',
      { 'aria-labelledby': 'dead-letters' },
      h('h2', { id: 'dead-letters' }, 'Dead letters'),
      letters,
    ),
  );
  // The section links are in-page anchors, not routes.
  for (const link of main.querySelectorAll('.jump a')) {
    link.addEventListener('click', (event) => {
      event.preventDefault();
      document.getElementById(link.getAttribute('href').slice(1))?.scrollIntoView();
    });
  }
  const fill = (list, key, items, item, empty) => {
    const signature = JSON.stringify(items.map((x) => x.id ?? x.event?.id ?? x.sentTime));
    if (counts[key] === signature) return;
    counts[key] = signature;
    list.replaceChildren(...(items.length === 0 ? [h('li', {}, empty)] : items.map(item)));
  };
  const stop = poll(async () => {
    const [{ messages }, { events: archived }, { deadLetters }] = await Promise.all([
      consoleApi('outbox'),
      consoleApi('events'),
      consoleApi('dead-letters'),
    ]);
    fill(
      emails,
      'emails',
      messages.filter((m) => m.kind === 'email'),
      emailItem,
      'No emails sent yet.',
    );
    fill(
      sns,
      'sns',
      messages.filter((m) => m.kind === 'sns'),
      snsItem,
      'No SNS messages yet.',
    );
    fill(events, 'events', archived, eventRow, 'No events yet.');
    fill(letters, 'letters', deadLetters, deadLetterRow, 'No dead letters.');
    return false;
  }, 2000);
  await stop.ready;
  return stop;
}
