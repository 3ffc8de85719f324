// A few DOM helpers, so the panels read as the markup they build.
type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;

/** `el('button', { class: 'primary', onclick: go }, 'Play')`: attributes, listeners (on*) and children. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (key in node && key !== 'list' && key !== 'for' && key !== 'class') {
      (node as unknown as Record<string, unknown>)[key] = value;
    } else node.setAttribute(key === 'class' ? 'class' : key, value === true ? '' : String(value));
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

/** Replaces every child of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren(...children.filter((c): c is Node | string => !!c));
}

/** Class colours (Tableau 10), as [r, g, b]: the same class has the same colour in every panel. */
export const CLASS_COLORS: readonly [number, number, number][] = [
  [78, 121, 167],
  [242, 142, 43],
  [225, 87, 89],
  [118, 183, 178],
  [89, 161, 79],
  [237, 201, 72],
  [176, 122, 161],
  [255, 157, 167],
  [156, 117, 95],
  [186, 176, 172],
];

export function classColor(k: number, alpha = 1): string {
  const [r, g, b] = CLASS_COLORS[k % CLASS_COLORS.length];
  return alpha === 1 ? `rgb(${r}, ${g}, ${b})` : `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

/** A number for people: 0.8734 -> '87.3%'; NaN -> '–'. */
export function percent(x: number | undefined): string {
  return x === undefined || Number.isNaN(x) ? '–' : `${(100 * x).toFixed(1)}%`;
}

/** A relative error in scientific notation: 3.1e-9. */
export function sci(x: number): string {
  return Number.isFinite(x) ? x.toExponential(1) : String(x);
}
