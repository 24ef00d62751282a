/**
 * A minimal XML reader for PSKC documents (no XML parser is a dependency of tokendesk). It
 * reads elements, attributes, text and CDATA, drops comments and processing instructions, and
 * refuses DOCTYPE declarations outright (no entities beyond the five predefined and character
 * references, so no entity expansion attacks). Namespace prefixes are dropped from names: PSKC
 * element names do not collide across its namespaces.
 */
export interface XmlElement {
  name: string
  attributes: Record<string, string>
  children: XmlElement[]
  text: string
}

export class XmlError extends Error {}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }

const decode = (text: string): string =>
  text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (match, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16))
    if (entity.startsWith('#')) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10))
    const value = ENTITIES[entity]
    if (value === undefined) throw new XmlError(`unknown entity ${match}`)
    return value
  })

const localName = (name: string): string => name.slice(name.indexOf(':') + 1)

const ATTRIBUTE = /([\w:.-]+)\s*=\s*("([^"]*)"|'([^']*)')/g

export const parseXml = (source: string): XmlElement => {
  if (/<!DOCTYPE/i.test(source)) throw new XmlError('DOCTYPE declarations are not accepted')
  const root: XmlElement = { name: '#document', attributes: {}, children: [], text: '' }
  const stack: XmlElement[] = [root]
  const token =
    /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[([\s\S]*?)\]\]>|<(\/?)([\w:.-]+)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)|(<)/g
  for (const match of source.matchAll(token)) {
    const [, cdata, closing, name, attributes, selfClosing, text, stray] = match
    const current = stack[stack.length - 1] as XmlElement
    if (stray !== undefined) throw new XmlError('malformed markup')
    if (cdata !== undefined) current.text += cdata
    else if (text !== undefined) current.text += decode(text)
    else if (name !== undefined) {
      if (closing) {
        if (stack.length < 2 || current.name !== localName(name)) {
          throw new XmlError(`unexpected closing tag </${name}>`)
        }
        stack.pop()
        continue
      }
      const element: XmlElement = { name: localName(name), attributes: {}, children: [], text: '' }
      for (const attribute of (attributes ?? '').matchAll(ATTRIBUTE)) {
        element.attributes[localName(attribute[1] as string)] = decode(
          attribute[3] ?? attribute[4] ?? '',
        )
      }
      current.children.push(element)
      if (!selfClosing) stack.push(element)
    }
  }
  if (stack.length !== 1) throw new XmlError('unclosed element')
  const [document] = root.children
  if (!document || root.children.length !== 1) throw new XmlError('a document has one root element')
  return document
}

export const child = (element: XmlElement | undefined, name: string): XmlElement | undefined =>
  element?.children.find((c) => c.name === name)

export const children = (element: XmlElement | undefined, name: string): XmlElement[] =>
  element?.children.filter((c) => c.name === name) ?? []

/** The element at a path of child names. */
export const path = (element: XmlElement | undefined, ...names: string[]): XmlElement | undefined =>
  names.reduce<XmlElement | undefined>((at, name) => child(at, name), element)
