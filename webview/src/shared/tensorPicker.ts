// A tensor picker (a filterable vscode-single-select) that starts with the current tensor and
// fills with the checkpoint's tensor names when the host sends them.
import { h, setOptions } from './dom.ts';

export interface TensorPicker {
  element: HTMLElement;
  /** the current tensor, also offered before the list arrives */
  set(tensor: string): void;
  setNames(names: readonly string[]): void;
}

export function tensorPicker(onPick: (tensor: string) => void): TensorPicker {
  const select = h('vscode-single-select', { testid: 'tensor-picker', attrs: { combobox: '', 'aria-label': 'tensor' } });
  let current = '';
  let names: readonly string[] = [];
  const fill = () => setOptions(select, (names.includes(current) || !current ? names : [current, ...names]).map((n) => ({ value: n, label: n })), current);
  select.addEventListener('change', () => {
    if (select.value && select.value !== current) {
      current = select.value;
      onPick(current);
    }
  });
  return {
    element: h('label', {}, 'Tensor', select),
    set(tensor) {
      current = tensor;
      fill();
    },
    setNames(list) {
      names = list;
      fill();
    },
  };
}
