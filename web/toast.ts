// One-line feedback for actions, announced to screen readers.

let box: HTMLElement | undefined;

export function toast(message: string, ok = true): void {
  if (!box) {
    box = document.createElement('div');
    box.className = 'toasts';
    box.setAttribute('role', 'status');
    box.setAttribute('aria-live', 'polite');
    document.body.append(box);
  }
  const t = document.createElement('div');
  t.className = `toast ${ok ? 'ok' : 'bad'}`;
  t.textContent = message;
  box.append(t);
  setTimeout(() => t.remove(), 4000);
}
