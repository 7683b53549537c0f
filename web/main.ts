// The dashboard page: three views over one state stream. Keys 1/2/3 (outside
// a text field; Escape leaves one) switch views; every control is a native
// button or field.

import './style.css';
import { h } from './dom.js';
import { LogsView } from './logs.js';
import { RequestsView } from './requests.js';
import { ResourcesView } from './resources.js';
import { Store } from './store.js';

type ViewName = 'resources' | 'logs' | 'requests';

const store = new Store();
const views = { resources: new ResourcesView(store), logs: new LogsView(store), requests: new RequestsView(store) };
const labels: Record<ViewName, string> = { resources: 'Resources', logs: 'Logs', requests: 'Requests' };
const status = h('span', { class: 'conn', role: 'status' }, 'connecting…');
const title = h('span', { class: 'project' }, '');
const tabs = (Object.keys(views) as ViewName[]).map((v, i) =>
  h('button', { type: 'button', role: 'tab', id: `tab-${v}`, 'aria-controls': `view-${v}`, 'data-view': v, title: `${labels[v]} (${i + 1})`, onclick: () => show(v) }, labels[v]),
);

function show(v: ViewName): void {
  for (const [name, view] of Object.entries(views) as [ViewName, (typeof views)[ViewName]][]) view.el.hidden = name !== v;
  for (const t of tabs) t.setAttribute('aria-selected', String(t.dataset.view === v));
  if (v === 'logs') views.logs.show();
  if (v === 'requests') views.requests.show();
  if (location.hash !== `#${v}`) history.replaceState(null, '', `#${v}`);
}

const app = document.getElementById('app');
if (app) {
  app.replaceChildren(
    h('header', {}, h('strong', {}, 'devport'), title, h('nav', { role: 'tablist', 'aria-label': 'Views' }, ...tabs), status),
    h('main', {}, views.resources.el, views.logs.el, views.requests.el),
  );
}

store.onStatus((open) => {
  status.textContent = open ? 'live' : 'reconnecting…';
  status.className = `conn ${open ? 'ok' : 'bad'}`;
});
store.on(() => {
  const name = store.project.split('/').pop() ?? '';
  title.textContent = name;
  document.title = `${name} · devport`;
});

document.addEventListener('keydown', (e) => {
  const t = e.target as HTMLElement;
  // Escape leaves a text field, so the view keys work again.
  if (e.key === 'Escape' && t.matches('input, textarea, select') && !t.closest('dialog')) {
    t.blur();
    return;
  }
  if (e.ctrlKey || e.metaKey || e.altKey || t.closest('input, textarea, select, dialog')) return;
  const v = (['resources', 'logs', 'requests'] as const)[Number(e.key) - 1];
  if (v) {
    show(v);
    document.getElementById(`tab-${v}`)?.focus();
  }
});

const initial = location.hash.slice(1);
show(initial === 'logs' || initial === 'requests' ? initial : 'resources');
store.start();
