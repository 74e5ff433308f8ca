// Executions of each state machine, newest first, 50 a page, with what each did to its upload.
import { consoleApi, h, statusBadge, time, took } from './lib.js';

const MACHINE_KEY = 'happy-path-console-machine';

export async function render(main) {
  const remembered = sessionStorage.getItem(MACHINE_KEY);
  const forMachine = (chosen) =>
    chosen ? `executions?stateMachineArn=${encodeURIComponent(chosen)}` : 'executions';
  // One request for the first paint: the remembered state machine's page, or the one that ran last.
  const first = await consoleApi(forMachine(remembered)).catch(() => consoleApi('executions'));
  const { stateMachines } = first;
  main.append(h('h1', {}, 'Executions'));
  if (stateMachines.length === 0) {
    main.append(h('p', {}, 'No state machines are running.'));
    return;
  }
  let arn = first.stateMachineArn;
  const tokens = [undefined];
  const body = h('tbody');
  const pageNote = h('p', { 'aria-live': 'polite' });
  const newer = h('button', { type: 'button', onclick: () => load(tokens.length - 3) }, '← Newer');
  const older = h('button', { type: 'button', onclick: () => load(tokens.length - 1) }, 'Older →');

  async function load(index, given) {
    tokens.length = index + 1;
    const page =
      given ??
      (await consoleApi(
        `executions?stateMachineArn=${encodeURIComponent(arn)}${tokens[index] ? `&nextToken=${encodeURIComponent(tokens[index])}` : ''}`,
      ));
    tokens.push(page.nextToken);
    body.replaceChildren(
      ...(page.executions.length === 0
        ? [h('tr', {}, h('td', { colspan: 6 }, 'No executions yet.'))]
        : page.executions.map((row) =>
            h(
              'tr',
              {},
              h('td', {}, time(row.startDate)),
              h('td', {}, h('a', { href: `#/execution/${encodeURIComponent(row.executionArn)}` }, row.name)),
              h('td', {}, statusBadge(row.status)),
              h('td', {}, row.uploadId ? h('code', {}, row.uploadId) : '—'),
              h('td', {}, statusBadge(row.outcome)),
              h('td', {}, took(row.startDate, row.stopDate)),
            ),
          )),
    );
    newer.disabled = index === 0;
    older.disabled = !page.nextToken;
    pageNote.textContent = `Page ${index + 1}`;
  }

  const select = h(
    'select',
    {
      id: 'machine',
      onchange: (event) => {
        arn = event.target.value;
        sessionStorage.setItem(MACHINE_KEY, arn);
        load(0);
      },
    },
    ...stateMachines.map((machine) =>
      h('option', { value: machine.arn, selected: machine.arn === arn }, machine.name),
    ),
  );
  main.append(
    h('p', {}, h('label', { for: 'machine' }, 'State machine '), select),
    h(
      'table',
      { class: 'list' },
      h('caption', { class: 'visually-hidden' }, 'Executions, newest first'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Started (UTC)', 'Execution', 'Status', 'Upload', 'Outcome', 'Took'].map((title) =>
            h('th', { scope: 'col' }, title),
          ),
        ),
      ),
      body,
    ),
    h('nav', { class: 'pager', 'aria-label': 'Pages of executions' }, newer, pageNote, older),
  );
  await load(0, first);
}
