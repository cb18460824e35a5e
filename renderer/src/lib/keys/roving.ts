/**
 * A roving tab index for a list of rows of buttons (the WAI-ARIA grid pattern, simplified): the
 * list is one Tab stop; Up/Down/Home/End move between rows, Left/Right between a row's controls.
 * Rows are the list's `[data-row]` elements, controls their `[data-control]` elements. A Svelte
 * action: `<ul use:roving>`. (The takes list does the same with its own keys: K, Delete, C.)
 */
export function roving(list: HTMLElement): { destroy(): void } {
  const rows = () => [...list.querySelectorAll<HTMLElement>('[data-row]')];
  const controls = (row: Element) => [...row.querySelectorAll<HTMLElement>('[data-control]')].filter((c) => !(c as HTMLButtonElement).disabled);

  /** Only the first control of `current` (else of the first row) can be reached with Tab. */
  const settle = (current?: Element | null) => {
    const all = rows();
    const active = current && all.includes(current as HTMLElement) ? current : all[0];
    for (const row of all) for (const [i, c] of controls(row).entries()) c.tabIndex = row === active && i === 0 ? 0 : -1;
  };

  const onKey = (e: KeyboardEvent) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const row = (e.target as Element).closest('[data-row]');
    if (!row) return;
    const all = rows();
    const at = all.indexOf(row as HTMLElement);
    const mine = controls(row);
    const here = mine.indexOf(e.target as HTMLElement);
    let target: HTMLElement | undefined;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp' || e.key === 'Home' || e.key === 'End') {
      const to = e.key === 'ArrowDown' ? at + 1 : e.key === 'ArrowUp' ? at - 1 : e.key === 'Home' ? 0 : all.length - 1;
      const next = all[to];
      if (next) target = controls(next)[Math.max(0, Math.min(here, controls(next).length - 1))];
    } else if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
      if ((e.target as HTMLElement).tagName === 'INPUT' && (e.target as HTMLInputElement).type === 'text') return;
      target = mine[here + (e.key === 'ArrowLeft' ? -1 : 1)];
    } else return;
    e.preventDefault();
    target?.focus();
  };

  const onFocus = (e: FocusEvent) => settle((e.target as Element).closest('[data-row]'));
  // Rows come and go (a model renamed, deleted): keep exactly one Tab stop.
  const observer = new MutationObserver(() => settle(document.activeElement?.closest('[data-row]')));
  list.addEventListener('keydown', onKey);
  list.addEventListener('focusin', onFocus);
  observer.observe(list, { childList: true, subtree: true });
  settle();
  return {
    destroy() {
      list.removeEventListener('keydown', onKey);
      list.removeEventListener('focusin', onFocus);
      observer.disconnect();
    },
  };
}
