// The console's router: #/photos, #/executions, #/execution/<arn>, #/outbox, #/gdpr.
import { errorNote, h, session, signOut } from './lib.js';

const PAGES = {
  photos: () => import('./photos.js'),
  executions: () => import('./executions.js'),
  execution: () => import('./execution.js'),
  outbox: () => import('./outbox.js'),
  gdpr: () => import('./gdpr.js'),
};

let leave = () => {};

function showUser() {
  const who = document.getElementById('who');
  const current = session();
  who.replaceChildren(
    ...(current
      ? [
          `Signed in as ${current.userId} `,
          h('button', { type: 'button', class: 'link', onclick: signOut }, 'Sign out'),
        ]
      : ['Not signed in']),
  );
}

async function route() {
  leave();
  leave = () => {};
  const [name = 'photos', ...rest] = location.hash.replace(/^#\/?/, '').split('/');
  const page = PAGES[name] ? name : 'photos';
  for (const link of document.querySelectorAll('nav a')) {
    const current =
      link.dataset.page === page || (page === 'execution' && link.dataset.page === 'executions');
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const main = document.getElementById('main');
  try {
    const module = await PAGES[page]();
    main.replaceChildren();
    leave = (await module.render(main, decodeURIComponent(rest.join('/')))) ?? (() => {});
    // When the page's data is on screen (measured by local/console/measure-first-paint.ts).
    performance.mark(`console:${page}:rendered`);
  } catch (error) {
    main.replaceChildren(errorNote(error));
  }
}

window.addEventListener('hashchange', () => {
  route();
  document.getElementById('main').focus();
});
document.addEventListener('session', () => {
  showUser();
  if (!location.hash.startsWith('#/execution/')) route();
});
showUser();
route();
