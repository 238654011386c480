// Modal dialogs on the native <dialog> element: showModal() keeps keyboard focus inside and makes
// the rest of the page inert, Escape closes it, and focus goes back to what opened it (or, when
// that is gone after a change, to the fallback the caller names).
import { append, h, replaceChildren, type Child } from './dom.js';

let counter = 0;

export interface DialogOptions {
  title: string;
  content: Child[];
  actions: HTMLButtonElement[];
  /** Where focus goes when the dialog closes and the element that opened it is no longer in the page. */
  fallbackFocus?: () => HTMLElement | null | undefined;
  /** A dangerous confirmation: styled as such. */
  danger?: boolean;
}

export interface DialogHandle {
  element: HTMLDialogElement;
  /** Replaces the dialog's content (the title and actions stay). */
  setContent(...content: Child[]): void;
  close(): void;
  closed: Promise<void>;
}

export function openDialog(options: DialogOptions): DialogHandle {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const id = `dialog-${++counter}`;
  const body = h('div', { class: 'dialog-body', id: `${id}-body` });
  append(body, options.content);
  const dialog = h(
    'dialog',
    { class: options.danger ? 'dialog danger' : 'dialog', attrs: { 'aria-labelledby': `${id}-title`, 'aria-describedby': `${id}-body` } },
    h('h2', { id: `${id}-title` }, options.title),
    body,
    h('div', { class: 'dialog-actions' }, ...options.actions),
  );
  document.body.appendChild(dialog);
  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  dialog.addEventListener('close', () => {
    dialog.remove();
    const target = opener?.isConnected ? opener : options.fallbackFocus?.();
    target?.focus();
    resolveClosed();
  });
  dialog.showModal();
  return {
    element: dialog,
    setContent: (...content) => replaceChildren(body, ...content),
    close: () => {
      if (dialog.open) dialog.close();
    },
    closed,
  };
}
