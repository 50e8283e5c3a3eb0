/**
 * What the official `openai` SDK's type declarations say a Responses stream event holds, read with the
 * TypeScript compiler from its `.d.ts` (not restated by hand, so an SDK upgrade is checked as it
 * declares itself). `shapeProblems` walks a value against a declared type: an object's required members
 * present and no member it does not declare, a union's member chosen by its `type` literal, arrays item
 * by item, and strings, numbers, booleans and literals by kind.
 */
import { createRequire } from 'node:module';
import ts from 'typescript';

export interface SdkTypes {
  /** The declared type named `name` in the SDK's responses module. */
  named(name: string): ts.Type;
  /** Where `value` differs from `type`, each problem a path and what is wrong. */
  problems(value: unknown, type: ts.Type, path?: string): string[];
  /** The names of the members `type` declares; of a union, of those of its members whose `type` may be `tag`. */
  members(type: ts.Type, tag?: string): string[];
  /** The declared type of `type`'s member `name` (of a union's members tagged `tag`), null and undefined taken off, an array's items for an array. */
  member(type: ts.Type, name: string, tag?: string): ts.Type;
  /** The string literals a type (a union of them) allows. */
  literals(type: ts.Type): string[];
}

/** Reads the SDK's `resources/responses/responses.d.ts`: one program, no emit, no `@types` (a few seconds). */
export function readSdkTypes(): SdkTypes {
  const file = createRequire(import.meta.url).resolve('openai/resources/responses/responses').replace(/\.js$/, '.d.ts');
  const program = ts.createProgram([file], { strict: true, noEmit: true, skipLibCheck: true, types: [], lib: ['lib.es2020.d.ts'] });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  if (!source) throw new Error(`cannot read ${file}`);
  const declared = new Map<string, ts.Type>();
  ts.forEachChild(source, (node) => {
    if ((ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) && !declared.has(node.name.text)) declared.set(node.name.text, checker.getTypeAtLocation(node.name));
  });
  const named = (name: string): ts.Type => {
    const type = declared.get(name);
    if (!type) throw new Error(`the SDK declares no ${name}`);
    return type;
  };
  return {
    named,
    problems: (value, type, path = '$') => walk(checker, value, type, path),
    members: (type, tag) => [...new Set(tagged(checker, type, tag).flatMap((t) => checker.getPropertiesOfType(t).map((p) => p.name)))].sort(),
    member: (type, name, tag) => memberType(checker, type, name, tag),
    literals: (type) => literalsOf(type),
  };
}

/** A union's members whose `type` may be `tag` (or every member, or the type itself). */
function tagged(checker: ts.TypeChecker, type: ts.Type, tag: string | undefined): ts.Type[] {
  const members = type.isUnion() ? type.types : [type];
  if (tag === undefined) return members;
  return members.filter((t) => {
    const prop = t.getProperty('type');
    return prop !== undefined && literalsOf(checker.getNonNullableType(checker.getTypeOfSymbol(prop))).includes(tag);
  });
}

function literalsOf(type: ts.Type): string[] {
  return (type.isUnion() ? type.types : [type]).flatMap((t) => (t.isStringLiteral() ? [t.value] : []));
}

function memberType(checker: ts.TypeChecker, type: ts.Type, name: string, tag: string | undefined): ts.Type {
  const prop = tagged(checker, checker.getNonNullableType(type), tag)
    .map((t) => t.getProperty(name))
    .find((p) => p !== undefined);
  if (!prop) throw new Error(`${checker.typeToString(type)} declares no ${name}`);
  const declared = checker.getNonNullableType(checker.getTypeOfSymbol(prop));
  return checker.isArrayType(declared) ? (checker.getTypeArguments(declared as ts.TypeReference)[0] ?? declared) : declared;
}

/** The string literal a union member's `type` member is declared as, if it is one. */
function typeTag(checker: ts.TypeChecker, t: ts.Type): string | undefined {
  const tag = t.getProperty('type');
  if (!tag) return undefined;
  const tagType = checker.getTypeOfSymbol(tag);
  return tagType.isStringLiteral() ? tagType.value : undefined;
}

function walk(checker: ts.TypeChecker, value: unknown, type: ts.Type, path: string): string[] {
  const f = type.flags;
  if (f & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return [];
  if (type.isUnion()) return walkUnion(checker, value, type, path);
  if (type.isStringLiteral()) return value === type.value ? [] : [`${path}: ${JSON.stringify(value)} is not '${type.value}'`];
  if (type.isNumberLiteral()) return value === type.value ? [] : [`${path}: ${JSON.stringify(value)} is not ${type.value}`];
  if (f & ts.TypeFlags.Null) return value === null ? [] : [`${path}: not null`];
  // An optional member's `| undefined`: JSON has none, so a present value never matches it.
  if (f & ts.TypeFlags.Undefined) return [`${path}: present where only undefined fits`];
  if (f & ts.TypeFlags.StringLike) return typeof value === 'string' ? [] : [`${path}: not a string`];
  if (f & ts.TypeFlags.NumberLike) return typeof value === 'number' ? [] : [`${path}: not a number`];
  if (f & ts.TypeFlags.BooleanLike) return typeof value === 'boolean' ? [] : [`${path}: not a boolean`];
  if (checker.isArrayType(type)) {
    if (!Array.isArray(value)) return [`${path}: not an array`];
    const item = checker.getTypeArguments(type as ts.TypeReference)[0];
    return item ? value.flatMap((v: unknown, i) => walk(checker, v, item, `${path}[${i}]`)) : [];
  }
  if (f & ts.TypeFlags.Object) return walkObject(checker, value, type, path);
  return [];
}

function walkUnion(checker: ts.TypeChecker, value: unknown, type: ts.UnionType, path: string): string[] {
  const tag = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
  const tagged = typeof tag === 'string' ? type.types.filter((t) => typeTag(checker, t) === tag) : [];
  const candidates = tagged.length > 0 ? tagged : type.types;
  let best: string[] | undefined;
  for (const t of candidates) {
    const problems = walk(checker, value, t, path);
    if (problems.length === 0) return [];
    if (!best || problems.length < best.length) best = problems;
  }
  return best ?? [`${path}: matches no member of ${checker.typeToString(type)}`];
}

function walkObject(checker: ts.TypeChecker, value: unknown, type: ts.Type, path: string): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path}: not an object (${checker.typeToString(type)})`];
  // A map (`metadata`): any key.
  if (checker.getIndexInfosOfType(type).length > 0) return [];
  const row = value as Record<string, unknown>;
  const out: string[] = [];
  const declared = new Set<string>();
  for (const prop of checker.getPropertiesOfType(type)) {
    declared.add(prop.name);
    if (!(prop.name in row)) {
      if ((prop.flags & ts.SymbolFlags.Optional) === 0) out.push(`${path}.${prop.name}: missing (required by ${checker.typeToString(type)})`);
      continue;
    }
    out.push(...walk(checker, row[prop.name], checker.getTypeOfSymbol(prop), `${path}.${prop.name}`));
  }
  for (const key of Object.keys(row)) if (!declared.has(key)) out.push(`${path}.${key}: not declared by ${checker.typeToString(type)}`);
  return out;
}
