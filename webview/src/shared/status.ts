// The busy line and the error banner every view shows above its content.
import type { Busy, ErrorMessage } from '../protocol.ts';
import { h } from './dom.ts';
import { formatNumber } from './format.ts';

export interface StatusArea {
  element: HTMLElement;
  show(message: Busy | ErrorMessage): void;
  clearError(): void;
}

export function statusArea(): StatusArea {
  const busy = h('div', { class: 'busy', testid: 'status', attrs: { role: 'status', 'aria-live': 'polite' } });
  const error = h('div', { class: 'error', testid: 'error', attrs: { role: 'alert' } });
  error.hidden = true;
  busy.hidden = true;
  return {
    element: h('div', { class: 'status-area' }, busy, error),
    show(message) {
      if (message.type === 'busy') {
        busy.hidden = message.message === null;
        busy.textContent = message.message === null ? '' : message.percentage === null ? message.message : `${message.message} (${formatNumber(Math.round(message.percentage))} %)`;
      } else {
        busy.hidden = true;
        error.hidden = false;
        error.textContent = message.message;
      }
    },
    clearError() {
      error.hidden = true;
      error.textContent = '';
    },
  };
}
