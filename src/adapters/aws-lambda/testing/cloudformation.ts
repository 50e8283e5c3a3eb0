import { parse, type CollectionTag, type ScalarTag, type YAMLSeq } from 'yaml';

// CloudFormation's short-form intrinsics, read into their long form (`!Ref X` -> { Ref: X }); Contains is a Rules function.
const INTRINSICS = ['Base64', 'Cidr', 'FindInMap', 'GetAZs', 'If', 'ImportValue', 'Join', 'Not', 'Equals', 'And', 'Or', 'Select', 'Split', 'Sub', 'Condition', 'Contains'];
const TAGS: (ScalarTag | CollectionTag)[] = [
  { tag: '!Ref', resolve: (value: string) => ({ Ref: value }) },
  { tag: '!GetAtt', resolve: (value: string) => ({ 'Fn::GetAtt': value.split('.') }) },
  ...INTRINSICS.flatMap((name): (ScalarTag | CollectionTag)[] => [
    { tag: `!${name}`, resolve: (value: string) => ({ [`Fn::${name}`]: value }) },
    { tag: `!${name}`, collection: 'seq', resolve: (seq) => ({ [`Fn::${name}`]: (seq as YAMLSeq).toJSON() as unknown }) },
  ]),
];

export interface Parameter {
  Type: string;
  Default?: string;
  AllowedValues?: string[];
  AllowedPattern?: string;
  NoEcho?: boolean;
}

export interface Template {
  Parameters: Record<string, Parameter>;
  Rules?: Record<string, { RuleCondition?: unknown; Assertions: { Assert: unknown; AssertDescription?: string }[] }>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, { Type: string; Condition?: string; Properties: Record<string, unknown> }>;
  Outputs?: Record<string, unknown>;
}

/** A CloudFormation YAML template as plain data, intrinsics in their long form. */
export function parseTemplate(text: string): Template {
  return parse(text, { customTags: TAGS }) as Template;
}

const NO_VALUE = Symbol('AWS::NoValue');
type Values = Readonly<Record<string, string>>;

/**
 * Evaluates the template's Conditions, Rules and Fn::If for a set of parameter values (defaults for the
 * rest), as CloudFormation would before creating anything: a CommaDelimitedList is split on commas
 * (empty text is one empty string), Fn::If picks a branch, AWS::NoValue removes the key or item.
 */
export class Evaluator {
  constructor(
    private readonly template: Template,
    private readonly given: Values = {},
  ) {}

  private parameter(name: string): string | string[] {
    const p = this.template.Parameters[name];
    if (!p) throw new Error(`no parameter ${name}`);
    const text = this.given[name] ?? p.Default;
    if (text === undefined) throw new Error(`parameter ${name} has no value`);
    return p.Type === 'CommaDelimitedList' || p.Type.startsWith('List<') ? text.split(',') : text;
  }

  /** A condition of the Conditions section, by name. */
  condition(name: string): boolean {
    const body = this.template.Conditions?.[name];
    if (body === undefined) throw new Error(`no condition ${name}`);
    return this.truth(body);
  }

  /** The rules whose assertion fails for these values, by `rule: description`. */
  failedRules(): string[] {
    return Object.entries(this.template.Rules ?? {}).flatMap(([name, rule]) =>
      rule.RuleCondition !== undefined && !this.truth(rule.RuleCondition) ? [] : rule.Assertions.filter((a) => !this.truth(a.Assert)).map((a) => `${name}: ${a.AssertDescription ?? ''}`),
    );
  }

  /** True or false of a condition function (Fn::Equals, Fn::Not, Fn::And, Fn::Or, Fn::Contains, Condition). */
  truth(node: unknown): boolean {
    const [fn, args] = Object.entries(node as Record<string, unknown>)[0] ?? [];
    const list = args as unknown[];
    switch (fn) {
      case 'Fn::Equals':
        return JSON.stringify(this.value(list[0])) === JSON.stringify(this.value(list[1]));
      case 'Fn::Not':
        return !this.truth(list[0]);
      case 'Fn::And':
        return list.every((c) => this.truth(c));
      case 'Fn::Or':
        return list.some((c) => this.truth(c));
      case 'Fn::Contains':
        return (this.value(list[0]) as unknown[]).includes(this.value(list[1]));
      case 'Condition':
        return this.condition(String(args));
      default:
        throw new Error(`not a condition function: ${String(fn)}`);
    }
  }

  /** A property's value with parameters, Fn::Join and Fn::If resolved; Sub, GetAtt and resource Refs stay as they are. */
  value(node: unknown): unknown {
    if (Array.isArray(node)) return node.map((n) => this.value(n)).filter((n) => n !== NO_VALUE);
    if (node === null || typeof node !== 'object') return node;
    const entries = Object.entries(node);
    const [key, args] = entries[0] ?? [];
    if (entries.length === 1 && key === 'Ref') {
      if (args === 'AWS::NoValue') return NO_VALUE;
      return this.template.Parameters[String(args)] ? this.parameter(String(args)) : node;
    }
    if (entries.length === 1 && key === 'Fn::If') {
      const [name, yes, no] = args as [string, unknown, unknown];
      return this.value(this.condition(name) ? yes : no);
    }
    if (entries.length === 1 && key === 'Fn::Join') {
      const [separator, items] = args as [string, unknown];
      return (this.value(items) as string[]).join(separator);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      const resolved = this.value(v);
      if (resolved !== NO_VALUE) out[k] = resolved;
    }
    return out;
  }
}

const PSEUDO = ['AWS::AccountId', 'AWS::NotificationARNs', 'AWS::NoValue', 'AWS::Partition', 'AWS::Region', 'AWS::StackId', 'AWS::StackName', 'AWS::URLSuffix'];

/** What the template names: every Ref, GetAtt, ${} of a Sub, and condition it uses. */
export function references(node: unknown, found = { refs: new Set<string>(), conditions: new Set<string>() }): typeof found {
  if (Array.isArray(node)) for (const n of node) references(n, found);
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'Ref') found.refs.add(String(value));
      else if (key === 'Fn::GetAtt') found.refs.add(String((value as string[])[0]));
      else if (key === 'Fn::Sub') {
        const text = Array.isArray(value) ? String(value[0]) : String(value);
        // A Sub's own variables (its second element's keys) are not references to the template.
        const local = Array.isArray(value) && value[1] !== null && typeof value[1] === 'object' ? Object.keys(value[1] as object) : [];
        for (const m of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
          const name = String(m[1]).split('.')[0] ?? '';
          if (!local.includes(name)) found.refs.add(name);
        }
        if (Array.isArray(value)) references(value[1], found);
      } else if (key === 'Fn::If') {
        found.conditions.add(String((value as unknown[])[0]));
        references((value as unknown[]).slice(1), found);
      } else if (key === 'Condition' && typeof value === 'string') found.conditions.add(value);
      else references(value, found);
    }
  }
  return found;
}

/** Names a Ref may point at: parameters, resources, pseudo parameters, and the resources SAM generates (`<Function>Url`). */
export function definedNames(template: Template): Set<string> {
  const resources = Object.entries(template.Resources);
  const generated = resources.filter(([, r]) => r.Type === 'AWS::Serverless::Function' && r.Properties.FunctionUrlConfig).map(([name]) => `${name}Url`);
  return new Set([...Object.keys(template.Parameters), ...resources.map(([name]) => name), ...generated, ...PSEUDO]);
}
