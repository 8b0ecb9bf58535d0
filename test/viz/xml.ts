// A small, strict XML parser for tests: enough to prove an SVG is well formed and to count
// its elements (no external dependency). Throws on mismatched, unclosed or malformed tags.

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_:][\w:.-]*/;

export function parseXml(source: string): XmlElement {
  let i = 0;
  const root: XmlElement = { name: '#document', attributes: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  const fail = (message: string): never => {
    const line = source.slice(0, i).split('\n').length;
    throw new Error(
      `XML: ${message} at offset ${i} (line ${line}): ${JSON.stringify(source.slice(i, i + 60))}`,
    );
  };
  while (i < source.length) {
    const lt = source.indexOf('<', i);
    if (lt < 0) {
      stack[stack.length - 1].text += source.slice(i);
      break;
    }
    const text = source.slice(i, lt);
    if (/[<>]/.test(text)) fail('stray angle bracket in text');
    stack[stack.length - 1].text += text;
    i = lt;
    if (source.startsWith('<?', i)) {
      const end = source.indexOf('?>', i);
      if (end < 0) fail('unterminated processing instruction');
      i = end + 2;
    } else if (source.startsWith('<!--', i)) {
      const end = source.indexOf('-->', i);
      if (end < 0) fail('unterminated comment');
      i = end + 3;
    } else if (source.startsWith('<![CDATA[', i)) {
      const end = source.indexOf(']]>', i);
      if (end < 0) fail('unterminated CDATA');
      i = end + 3;
    } else if (source.startsWith('<!', i)) {
      const end = source.indexOf('>', i);
      if (end < 0) fail('unterminated declaration');
      i = end + 1;
    } else if (source.startsWith('</', i)) {
      i += 2;
      const m = NAME.exec(source.slice(i));
      if (!m) fail('bad closing tag name');
      const name = m![0];
      i += name.length;
      while (/\s/.test(source[i])) i++;
      if (source[i] !== '>') fail('expected > after closing tag');
      i++;
      const open = stack.pop();
      if (!open || open.name !== name) fail(`closing </${name}> does not match <${open?.name}>`);
    } else {
      i++;
      const m = NAME.exec(source.slice(i));
      if (!m) fail('bad tag name');
      const element: XmlElement = { name: m![0], attributes: {}, children: [], text: '' };
      i += element.name.length;
      for (;;) {
        while (/\s/.test(source[i])) i++;
        if (source.startsWith('/>', i)) {
          i += 2;
          stack[stack.length - 1].children.push(element);
          break;
        }
        if (source[i] === '>') {
          i++;
          stack[stack.length - 1].children.push(element);
          stack.push(element);
          break;
        }
        const a = NAME.exec(source.slice(i));
        if (!a) fail('bad attribute name');
        i += a![0].length;
        while (/\s/.test(source[i])) i++;
        if (source[i] !== '=') fail('expected = after attribute name');
        i++;
        while (/\s/.test(source[i])) i++;
        const quote = source[i];
        if (quote !== '"' && quote !== "'") fail('attribute value must be quoted');
        const end = source.indexOf(quote, i + 1);
        if (end < 0) fail('unterminated attribute value');
        const value = source.slice(i + 1, end);
        if (value.includes('<')) fail('< in attribute value');
        if (a![0] in element.attributes) fail(`duplicate attribute ${a![0]}`);
        element.attributes[a![0]] = value;
        i = end + 1;
      }
    }
  }
  if (stack.length !== 1) fail(`unclosed <${stack[stack.length - 1].name}>`);
  return root;
}

/** Every element (depth first) for which `test` holds. */
export function findAll(
  root: XmlElement,
  test: (e: XmlElement, parent: XmlElement | null) => boolean,
): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement, parent: XmlElement | null) => {
    if (test(e, parent)) out.push(e);
    for (const c of e.children) walk(c, e);
  };
  walk(root, null);
  return out;
}

/** Elements named `name` directly inside a Vega data mark group (`mark-<type> role-mark`; not axes or legends). */
export function markItems(root: XmlElement, markType: string, name: string): XmlElement[] {
  return findAll(root, (e, parent) => {
    if (e.name !== name || parent === null) return false;
    const classes = (parent.attributes.class ?? '').split(/\s+/);
    return classes.includes(`mark-${markType}`) && classes.includes('role-mark');
  });
}

/** Every <text> element's content. */
export function texts(root: XmlElement): string[] {
  return findAll(root, (e) => e.name === 'text').map((e) => e.text.trim());
}
