// A small element builder: the page is plain DOM, built from data, with text set as text (never
// as HTML), so nothing the API or a URL carries can become markup.

export type Child = Node | string | number | null | undefined | false | Child[];

export interface Props {
  class?: string;
  id?: string;
  /** Attributes as given (aria-*, data-*, role, href, lang...); `false`/undefined leave one out, `true` sets it empty. */
  attrs?: Record<string, string | number | boolean | undefined>;
  on?: { [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void };
  disabled?: boolean;
  type?: string;
  value?: string;
  checked?: boolean;
  name?: string;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.class) element.className = props.class;
  if (props.id) element.id = props.id;
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const [event, handler] of Object.entries(props.on ?? {})) element.addEventListener(event, handler as EventListener);
  const control = element as unknown as { disabled?: boolean; type?: string; value?: string; checked?: boolean; name?: string };
  if (props.type !== undefined) control.type = props.type;
  if (props.name !== undefined) control.name = props.name;
  if (props.value !== undefined) control.value = props.value;
  if (props.checked !== undefined) control.checked = props.checked;
  if (props.disabled !== undefined) control.disabled = props.disabled;
  append(element, children);
  return element;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

/** Replaces an element's children. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}
