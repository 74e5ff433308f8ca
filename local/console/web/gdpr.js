// GDPR erasure as the signed-in user: request it, approve it from the email, see it verified.
import { appApi, consoleApi, emailFrame, h, poll, session, statusBadge, time } from './lib.js';
import { signInForm } from './photos.js';

const REQUEST_KEY = 'happy-path-console-erasure';
const TERMINAL = new Set([
  'COMPLETED',
  'PARTIALLY_FAILED',
  'REJECTED',
  'EXPIRED',
  'NOTHING_TO_DELETE',
  'FAILED',
]);
const STEPS = ['REQUESTED', 'AWAITING_APPROVAL', 'PURGING'];

export async function render(main) {
  main.append(h('h1', {}, 'GDPR erasure'));
  const current = session();
  if (!current) {
    main.append(signInForm('Sign in as the user whose data is to be erased'));
    return;
  }
  const key = `${REQUEST_KEY}:${current.userId}`;
  const progress = h('section', { class: 'card', 'aria-live': 'polite', 'aria-label': 'Erasure request' });
  const mail = h('section', { 'aria-label': 'Approval email' });
  const notices = h('section', { 'aria-label': 'Notifications' });
  const problem = h('p', { class: 'error', role: 'alert' });
  let stop = () => {};

  const follow = (requestId) => {
    stop();
    const seen = [];
    stop = poll(async () => {
      const view = await appApi('GET', `/gdpr/erasure-requests/${encodeURIComponent(requestId)}`);
      if (seen.at(-1)?.status !== view.status)
        seen.push({ status: view.status, at: new Date().toISOString() });
      progress.replaceChildren(
        h('h2', {}, 'Request ', h('code', {}, view.requestId)),
        h(
          'p',
          {},
          'Status: ',
          statusBadge(view.status),
          TERMINAL.has(view.status) ? ' (final)' : ' (following…)',
        ),
        h(
          'ol',
          { class: 'steps' },
          ...[...STEPS, TERMINAL.has(view.status) ? view.status : 'verified'].map((step) => {
            const reached =
              seen.find((entry) => entry.status === step) ||
              (TERMINAL.has(view.status) && step === view.status);
            const passed = STEPS.indexOf(view.status) > STEPS.indexOf(step) || TERMINAL.has(view.status);
            return h(
              'li',
              { class: reached || passed ? 'done' : '' },
              `${reached || passed ? '✓' : '○'} ${step}`,
            );
          }),
        ),
        view.counts
          ? h(
              'div',
              {},
              h('h3', {}, 'Verification result'),
              h(
                'dl',
                { class: 'facts' },
                ...Object.entries(view.counts).flatMap(([name, count]) => [
                  h('dt', {}, name),
                  h('dd', {}, String(count)),
                ]),
              ),
            )
          : '',
        h(
          'p',
          {},
          'Created ',
          time(view.createdAt),
          view.closedAt ? [' — closed ', time(view.closedAt)] : '',
        ),
      );
      const { messages } = await consoleApi('outbox');
      const related = messages.filter((m) =>
        `${m.subject ?? ''} ${m.text ?? ''} ${m.message ?? ''}`.includes(requestId),
      );
      const email = related.find((m) => m.kind === 'email');
      if (email && !mail.dataset.id) {
        mail.dataset.id = email.id;
        mail.replaceChildren(
          h('h2', {}, 'Approval email'),
          h('p', {}, 'As the approver received it; its links open the API’s confirmation page in a new tab.'),
          emailFrame(email),
        );
      }
      const sns = related.filter((m) => m.kind === 'sns');
      notices.replaceChildren(
        ...(sns.length
          ? [
              h('h2', {}, 'Notifications (SNS)'),
              h('ul', {}, ...sns.map((m) => h('li', {}, h('strong', {}, m.subject ?? ''), ' ', m.message))),
            ]
          : []),
      );
      return TERMINAL.has(view.status) && sns.length > 0;
    }, 1000);
  };

  const request = h(
    'button',
    {
      type: 'button',
      onclick: async () => {
        problem.textContent = '';
        try {
          const view = await appApi('POST', '/gdpr/erasure-requests');
          sessionStorage.setItem(key, view.requestId);
          delete mail.dataset.id;
          mail.replaceChildren();
          follow(view.requestId);
        } catch (error) {
          problem.textContent = `⚠ ${error.message}`;
        }
      },
    },
    `Request erasure of ${current.userId}’s data`,
  );
  const approverToken = h('input', { id: 'approver-token', readonly: true, size: 40, value: '' });
  const approver = h(
    'section',
    { class: 'card', 'aria-labelledby': 'approver-heading' },
    h('h2', { id: 'approver-heading' }, 'Approver sign-in'),
    h(
      'p',
      {},
      'The confirmation page asks for an approver’s access token. This console mints one for a local approver (signed with the data directory’s key, with the approver scope): paste it there.',
    ),
    h(
      'button',
      {
        type: 'button',
        onclick: async () => {
          try {
            const minted = await consoleApi('approver-token', {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ userId: 'approver-console' }),
            });
            approverToken.value = minted.token;
            approverToken.select();
          } catch (error) {
            problem.textContent = `⚠ ${error.message}`;
          }
        },
      },
      'Mint an approver token',
    ),
    ' ',
    h('label', { for: 'approver-token' }, 'Token of approver-console '),
    approverToken,
  );
  main.append(
    h(
      'p',
      {},
      'Everything ',
      h('strong', {}, current.userId),
      ' uploaded is found, listed in a purge report and deleted once an approver agrees.',
    ),
    h('p', {}, request),
    problem,
    progress,
    mail,
    approver,
    notices,
  );
  const saved = sessionStorage.getItem(key);
  if (saved) follow(saved);
  else progress.append(h('p', {}, 'No request yet.'));
  return () => stop();
}
