/**
 * `<div ${cssProps({ height: '120px' })}>`: sets CSS properties through the CSSOM (`style.setProperty`),
 * never through the `style` attribute. Lit's `styleMap` writes the attribute on first render, and a page whose
 * CSP has no 'unsafe-inline' in `style-src` blocks that (so virtual rows would all start at the top).
 */
import { noChange, type ElementPart } from 'lit';
import { Directive, directive, PartType, type PartInfo } from 'lit/directive.js';

type Props = Readonly<Record<string, string>>;

class CssProps extends Directive {
  #previous: readonly string[] = [];

  constructor(info: PartInfo) {
    super(info);
    if (info.type !== PartType.ELEMENT) throw new Error('cssProps() belongs on an element: <div ${cssProps({ … })}>');
  }

  render(_props: Props): typeof noChange {
    return noChange;
  }

  override update(part: ElementPart, [props]: [Props]): typeof noChange {
    const style = (part.element as HTMLElement).style;
    for (const name of this.#previous) if (!(name in props)) style.removeProperty(name);
    for (const name in props) style.setProperty(name, props[name]!);
    this.#previous = Object.keys(props);
    return noChange;
  }
}

export const cssProps = directive(CssProps);
