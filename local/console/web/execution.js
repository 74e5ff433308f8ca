// One execution: the state machine graph (the docs/graphs renderer) with the path taken, and each
// state's input, output, retries and timings; refreshed while the execution runs.
import { consoleApi, h, json, poll, statusBadge, time, took } from './lib.js';

const SVG = 'http://www.w3.org/2000/svg';

function markLabel(visit) {
  if (visit.mark === 'failed') return `✗ failed here (step ${visit.order})`;
  if (visit.mark === 'rejecting') return `⊘ rejected here (step ${visit.order})`;
  return `✓ step ${visit.order}`;
}

/** Decorates the rendered graph: entered states get a class, a text marker and keyboard focus. */
function decorate(svg, execution, select) {
  const visits = new Map(execution.states.map((visit) => [visit.name, visit]));
  for (const old of svg.querySelectorAll('.hp-marker')) old.remove();
  for (const group of svg.querySelectorAll('g[data-state-type]')) {
    const name = (group.querySelector('title')?.textContent ?? '').split('\n')[0];
    const visit = visits.get(name);
    group.dataset.state = name;
    group.classList.toggle('hp-entered', Boolean(visit));
    group.classList.toggle('hp-failed', visit?.mark === 'failed');
    group.classList.toggle('hp-rejecting', visit?.mark === 'rejecting');
    const running = execution.status === 'RUNNING' && visit && !visit.exitedAt;
    group.classList.toggle('hp-current', Boolean(running));
    if (!visit) {
      group.removeAttribute('tabindex');
      group.removeAttribute('role');
      continue;
    }
    group.setAttribute('tabindex', '0');
    group.setAttribute('role', 'button');
    group.setAttribute(
      'aria-label',
      `${name}: ${markLabel(visit)}${running ? ', running' : ''}. Show input and output`,
    );
    group.onclick = () => select(name);
    group.onkeydown = (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        select(name);
      }
    };
    const shape = group.querySelector('rect, polygon');
    if (!shape) continue;
    const box = shape.getBBox();
    const marker = document.createElementNS(SVG, 'text');
    marker.setAttribute('class', 'hp-marker');
    marker.setAttribute('x', String(box.x + 2));
    marker.setAttribute('y', String(box.y - 4));
    marker.setAttribute('font-size', '11');
    marker.setAttribute('font-weight', '700');
    marker.textContent = running ? `▶ running (step ${visit.order})` : markLabel(visit);
    group.append(marker);
  }
}

function stateDetail(visit) {
  if (!visit)
    return h('p', {}, 'Choose a highlighted state in the graph or in the path to see its input and output.');
  return h(
    'div',
    {},
    h(
      'h3',
      {},
      visit.name,
      ' ',
      visit.mark
        ? h(
            'span',
            { class: `badge badge-${visit.mark === 'failed' ? 'failed' : 'rejected'}` },
            markLabel(visit),
          )
        : '',
    ),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Entered'),
      h('dd', {}, time(visit.enteredAt)),
      h('dt', {}, 'Took'),
      h('dd', {}, took(visit.enteredAt, visit.exitedAt)),
      h('dt', {}, 'Retries'),
      h('dd', {}, String(visit.retries)),
      ...(visit.errors.length > 0
        ? [
            h('dt', {}, 'Errors'),
            h(
              'dd',
              {},
              h(
                'ul',
                {},
                ...visit.errors.map((e) =>
                  h('li', {}, h('code', {}, e.error), e.cause ? `: ${e.cause}` : ''),
                ),
              ),
            ),
          ]
        : []),
    ),
    h('h4', {}, 'Input'),
    json(visit.input),
    h('h4', {}, 'Output'),
    json(visit.output),
  );
}

export async function render(main, executionArn) {
  const heading = h('h1', {}, 'Execution');
  const summary = h('dl', { class: 'facts' });
  const graph = h('div', {
    class: 'graph',
    role: 'group',
    'aria-label': 'State machine graph with the path taken',
  });
  const path = h('ol', { class: 'path', 'aria-label': 'States entered, in order' });
  const detail = h('section', {
    class: 'card detail',
    'aria-live': 'polite',
    'aria-label': 'Selected state',
  });
  let execution;
  let selected;
  const select = (name) => {
    selected = name;
    detail.replaceChildren(stateDetail(execution.states.findLast((visit) => visit.name === name)));
    for (const group of graph.querySelectorAll('g[data-state]'))
      group.classList.toggle('hp-selected', group.dataset.state === name);
  };
  main.append(
    h('p', {}, h('a', { href: '#/executions' }, '← All executions')),
    heading,
    summary,
    h('div', { class: 'execution' }, graph, h('div', {}, h('h2', {}, 'Path taken'), path, detail)),
  );
  detail.append(stateDetail(undefined));
  let svgFor;
  const stop = poll(async () => {
    execution = await consoleApi(`execution?executionArn=${encodeURIComponent(executionArn)}`);
    heading.textContent = `Execution ${execution.name}`;
    summary.replaceChildren(
      h('dt', {}, 'State machine'),
      h('dd', {}, execution.stateMachineName),
      h('dt', {}, 'Status'),
      h('dd', {}, statusBadge(execution.status)),
      h('dt', {}, 'Outcome'),
      h('dd', {}, statusBadge(execution.outcome)),
      ...(execution.uploadId ? [h('dt', {}, 'Upload'), h('dd', {}, h('code', {}, execution.uploadId))] : []),
      h('dt', {}, 'Started'),
      h('dd', {}, time(execution.startDate)),
      h('dt', {}, 'Took'),
      h('dd', {}, took(execution.startDate, execution.stopDate)),
      ...(execution.error
        ? [
            h('dt', {}, 'Error'),
            h('dd', {}, h('code', {}, execution.error), execution.cause ? `: ${execution.cause}` : ''),
          ]
        : []),
    );
    if (svgFor !== execution.stateMachineArn) {
      const text = await (
        await fetch(`/api/graph.svg?stateMachineArn=${encodeURIComponent(execution.stateMachineArn)}`)
      ).text();
      const svg = new DOMParser().parseFromString(text, 'image/svg+xml').documentElement;
      graph.replaceChildren(document.importNode(svg, true));
      svgFor = execution.stateMachineArn;
    }
    decorate(graph.querySelector('svg'), execution, select);
    path.replaceChildren(
      ...execution.states.map((visit) =>
        h(
          'li',
          {},
          h('button', { type: 'button', class: 'link', onclick: () => select(visit.name) }, visit.name),
          ` — ${took(visit.enteredAt, visit.exitedAt)}`,
          visit.retries ? `, ${visit.retries} ${visit.retries === 1 ? 'retry' : 'retries'}` : '',
          visit.mark ? ` (${markLabel(visit)})` : '',
        ),
      ),
    );
    if (selected) select(selected);
    return execution.status !== 'RUNNING';
  }, 1000);
  await stop.ready;
  return stop;
}
