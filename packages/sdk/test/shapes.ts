import { fileURLToPath } from 'node:url'
import ts from 'typescript'

/**
 * A comparable description of a JSON value's type, built from a TypeScript type (the sdk's
 * declarations) or from a JSON Schema (the server's OpenAPI document):
 * - primitives `string`, `number` (JSON Schema `integer` too), `boolean`, `null`, with `enum`
 *   when the type is a set of literals;
 * - objects with their properties, each required or not, and `open` when other keys may come;
 * - arrays with their items.
 * A union of objects is merged into one object (a property is required when every member has
 * it), the same way on both sides, so `A | B` and `anyOf: [A, B]` compare equal.
 */
export type Shape =
  | { type: 'string' | 'number' | 'boolean' | 'null'; enum?: (string | number | boolean)[] }
  | { type: 'array'; items: Shape[] }
  | {
      type: 'object'
      open: boolean
      properties: Record<string, { required: boolean; shape: Shape[] }>
    }
  | { type: 'unknown' }

/** Merges variants: literals join their primitive's enum, objects merge, arrays merge items. */
const normalize = (variants: Shape[]): Shape[] => {
  if (variants.some((v) => v.type === 'unknown')) return [{ type: 'unknown' }]
  const out: Shape[] = []
  for (const type of ['string', 'number', 'boolean', 'null'] as const) {
    const group = variants.filter((v) => v.type === type) as Extract<Shape, { type: typeof type }>[]
    if (group.length === 0) continue
    if (type === 'null') out.push({ type })
    else if (type === 'boolean') out.push({ type })
    else if (group.some((v) => v.enum === undefined)) out.push({ type })
    else {
      const values = [...new Set(group.flatMap((v) => v.enum ?? []))].sort()
      out.push({ type, enum: values })
    }
  }
  const arrays = variants.filter((v) => v.type === 'array')
  if (arrays.length > 0)
    out.push({ type: 'array', items: normalize(arrays.flatMap((a) => a.items)) })
  const objects = variants.filter((v) => v.type === 'object')
  if (objects.length > 0) {
    const names = [...new Set(objects.flatMap((o) => Object.keys(o.properties)))].sort()
    const properties: Record<string, { required: boolean; shape: Shape[] }> = {}
    for (const name of names) {
      const present = objects.map((o) => o.properties[name]).filter((p) => p !== undefined)
      properties[name] = {
        required: present.length === objects.length && present.every((p) => p.required),
        shape: normalize(present.flatMap((p) => p.shape)),
      }
    }
    out.push({ type: 'object', open: objects.some((o) => o.open), properties })
  }
  return out
}

// --- JSON Schema (OpenAPI 3.1 as @fastify/swagger writes it) ---

type JsonSchema = Record<string, unknown>

export const fromSchema = (schema: JsonSchema, root: JsonSchema): Shape[] => {
  if (typeof schema.$ref === 'string') {
    const path = schema.$ref.replace(/^#\//, '').split('/')
    let target: unknown = root
    for (const part of path) target = (target as JsonSchema)[part]
    return fromSchema(target as JsonSchema, root)
  }
  const variants: Shape[] = []
  for (const key of ['anyOf', 'oneOf'] as const) {
    const list = schema[key]
    if (Array.isArray(list))
      variants.push(...list.flatMap((s) => fromSchema(s as JsonSchema, root)))
  }
  const literals = Array.isArray(schema.enum)
    ? (schema.enum as (string | number | boolean)[])
    : 'const' in schema
      ? [schema.const as string | number | boolean]
      : undefined
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : []
  if (schema.nullable === true) types.push('null')
  for (const type of types as string[]) {
    if (type === 'object') {
      const required = new Set((schema.required as string[] | undefined) ?? [])
      const properties: Record<string, { required: boolean; shape: Shape[] }> = {}
      for (const [name, sub] of Object.entries((schema.properties as JsonSchema) ?? {})) {
        properties[name] = {
          required: required.has(name),
          shape: fromSchema(sub as JsonSchema, root),
        }
      }
      variants.push({ type: 'object', open: schema.additionalProperties !== false, properties })
    } else if (type === 'array') {
      variants.push({ type: 'array', items: fromSchema((schema.items as JsonSchema) ?? {}, root) })
    } else if (type === 'null') {
      variants.push({ type: 'null' })
    } else {
      const primitive = type === 'integer' ? 'number' : (type as 'string' | 'number' | 'boolean')
      const own = literals?.filter((l) => typeof l === primitive)
      variants.push(own ? { type: primitive, enum: own } : { type: primitive })
    }
  }
  if (types.length === 0 && literals) {
    for (const literal of literals) {
      if (literal === null) variants.push({ type: 'null' })
      else variants.push({ type: typeof literal as 'string', enum: [literal] })
    }
  }
  if (variants.length === 0) return [{ type: 'unknown' }]
  return normalize(variants)
}

// --- TypeScript (the sdk's declarations, read with the compiler) ---

const TYPES_FILE = fileURLToPath(new URL('../src/types.ts', import.meta.url))

export interface OperationTypes {
  request: Shape[] | 'none' | 'text'
  response: Shape[]
}

/** Reads `Operations` of packages/sdk/src/types.ts: each operation's request and response shapes. */
export const sdkOperations = (): Record<string, OperationTypes> => {
  const program = ts.createProgram([TYPES_FILE], {
    strict: true,
    exactOptionalPropertyTypes: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    noEmit: true,
    types: [],
  })
  const checker = program.getTypeChecker()
  const file = program.getSourceFile(TYPES_FILE)
  if (!file) throw new Error(`cannot read ${TYPES_FILE}`)
  const module = checker.getSymbolAtLocation(file)
  const operations =
    module && checker.getExportsOfModule(module).find((s) => s.name === 'Operations')
  if (!operations) throw new Error('types.ts exports no Operations')
  const operationsType = checker.getDeclaredTypeOfSymbol(operations)

  const toShapes = (type: ts.Type, seen: Set<ts.Type>): Shape[] => {
    if (type.isUnion()) return normalize(type.types.flatMap((t) => toShapes(t, seen)))
    const flags = type.flags
    if (flags & ts.TypeFlags.Undefined || flags & ts.TypeFlags.Never) return []
    if (flags & ts.TypeFlags.Null) return [{ type: 'null' }]
    if (flags & ts.TypeFlags.StringLiteral) {
      return [{ type: 'string', enum: [(type as ts.StringLiteralType).value] }]
    }
    if (flags & ts.TypeFlags.NumberLiteral) {
      return [{ type: 'number', enum: [(type as ts.NumberLiteralType).value] }]
    }
    if (flags & ts.TypeFlags.String) return [{ type: 'string' }]
    if (flags & ts.TypeFlags.Number) return [{ type: 'number' }]
    if (flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) return [{ type: 'boolean' }]
    if (flags & (ts.TypeFlags.Unknown | ts.TypeFlags.Any)) return [{ type: 'unknown' }]
    if (checker.isArrayType(type) || checker.isTupleType(type)) {
      const elements = checker.getTypeArguments(type as ts.TypeReference)
      return [{ type: 'array', items: normalize(elements.flatMap((t) => toShapes(t, seen))) }]
    }
    if (flags & ts.TypeFlags.Object || type.isIntersection()) {
      if (seen.has(type)) return [{ type: 'unknown' }]
      const inner = new Set(seen).add(type)
      const properties: Record<string, { required: boolean; shape: Shape[] }> = {}
      for (const property of checker.getPropertiesOfType(type)) {
        const shape = toShapes(checker.getTypeOfSymbol(property), inner)
        // `key?: never`: the key must be absent (one arm of an "all or none" union).
        if (shape.length === 0) continue
        properties[property.name] = {
          required: (property.flags & ts.SymbolFlags.Optional) === 0,
          shape,
        }
      }
      const index = checker.getIndexTypeOfType(type, ts.IndexKind.String)
      const open = index !== undefined && toShapes(index, inner).length > 0
      return [{ type: 'object', open, properties }]
    }
    throw new Error(`unsupported type ${checker.typeToString(type)}`)
  }

  const result: Record<string, OperationTypes> = {}
  for (const operation of checker.getPropertiesOfType(operationsType)) {
    const entry = checker.getTypeOfSymbol(operation)
    const part = (name: string): ts.Type => {
      const symbol = entry.getProperty(name)
      if (!symbol) throw new Error(`Operations.${operation.name} has no ${name}`)
      return checker.getTypeOfSymbol(symbol)
    }
    const request = part('request')
    result[operation.name] = {
      request:
        request.flags & ts.TypeFlags.Undefined
          ? 'none'
          : request.flags & ts.TypeFlags.String
            ? 'text'
            : toShapes(request, new Set()),
      response: toShapes(part('response'), new Set()),
    }
  }
  return result
}

/** Property names and required-ness only, recursively (what a request check compares). */
export const keysOf = (shapes: Shape[]): unknown =>
  shapes.map((shape) => {
    if (shape.type === 'object') {
      return Object.fromEntries(
        Object.entries(shape.properties).map(([name, p]) => [
          name,
          { required: p.required, keys: keysOf(p.shape) },
        ]),
      )
    }
    if (shape.type === 'array') return { items: keysOf(shape.items) }
    return shape.type
  })
