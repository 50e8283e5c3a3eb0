import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, type ScalarTag, type CollectionTag, type YAMLSeq } from 'yaml';
import { ENTRIES } from '../../../scripts/bundle.mjs';
import { parseConfigText } from '../../config/load.js';

const root = new URL('../../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');

// CloudFormation's short-form intrinsics, read into their long form (`!Ref X` -> { Ref: X }).
const INTRINSICS = ['Base64', 'Cidr', 'FindInMap', 'GetAZs', 'If', 'ImportValue', 'Join', 'Not', 'Equals', 'And', 'Or', 'Select', 'Split', 'Sub', 'Condition'];
const tags: (ScalarTag | CollectionTag)[] = [
  { tag: '!Ref', resolve: (value: string) => ({ Ref: value }) },
  { tag: '!GetAtt', resolve: (value: string) => ({ 'Fn::GetAtt': value.split('.') }) },
  ...INTRINSICS.flatMap((name): (ScalarTag | CollectionTag)[] => [
    { tag: `!${name}`, resolve: (value: string) => ({ [`Fn::${name}`]: value }) },
    { tag: `!${name}`, collection: 'seq', resolve: (seq) => ({ [`Fn::${name}`]: (seq as YAMLSeq).toJSON() as unknown }) },
  ]),
];

interface Template {
  Parameters: Record<string, { Type: string; Default?: string; AllowedValues?: string[] }>;
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
}

const template = parse(read('deploy/aws-sam/template.yaml'), { customTags: tags }) as Template;
const resources = Object.values(template.Resources);
const fn = resources.find((r) => r.Type === 'AWS::Serverless::Function')?.Properties ?? {};
const env = ((fn.Environment as { Variables: Record<string, unknown> } | undefined)?.Variables ?? {});
const statements = resources
  .filter((r) => r.Type === 'AWS::IAM::Role')
  .flatMap((r) => (r.Properties.Policies as { PolicyDocument: { Statement: { Action: string[]; Resource: unknown }[] } }[]).flatMap((p) => p.PolicyDocument.Statement));

const MODEL_ARN = /^arn:aws[a-z-]*:bedrock:[a-z0-9-*]*:[0-9*]*:(foundation-model|inference-profile|application-inference-profile)\/\S+$/;

describe('deploy/aws-sam/template.yaml', () => {
  it('lets the function invoke Bedrock models and nothing else', () => {
    expect(statements).toHaveLength(1);
    expect(statements[0]?.Action).toEqual(['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream', 'bedrock:CountTokens']);
    expect(statements[0]?.Resource).toEqual({ Ref: 'BedrockModelArns' });
    const arns = template.Parameters.BedrockModelArns;
    expect(arns?.Type).toBe('CommaDelimitedList');
    for (const arn of arns?.Default?.split(',') ?? []) expect(arn.trim()).toMatch(MODEL_ARN);
  });

  it('signs with the execution role, never with static keys', () => {
    expect(fn.Role).toEqual({ 'Fn::GetAtt': ['GatewayRole', 'Arn'] });
    expect(resources.map((r) => r.Type)).not.toContain('AWS::IAM::AccessKey');
    expect(Object.keys(env).filter((name) => name.startsWith('AWS_'))).toEqual([]);
  });

  it('streams through a Function URL on a Node.js the platform supports (22 or later: Lambda deprecated nodejs20.x in 2026)', () => {
    expect(fn.FunctionUrlConfig).toMatchObject({ InvokeMode: 'RESPONSE_STREAM' });
    expect(fn.Runtime).toMatch(/^nodejs(\d+)\.x$/);
    expect(Number(/^nodejs(\d+)/.exec(String(fn.Runtime))?.[1])).toBeGreaterThanOrEqual(22);
  });

  it('points the handler at the bundle of src/adapters/aws-lambda/main.ts', () => {
    const [module, exported] = String(fn.Handler).split(/\.(?=[^.]+$)/);
    expect(exported).toBe('handler');
    expect(module).toMatch(/^dist\/bundle\//);
    const source = ENTRIES[String(module?.slice('dist/bundle/'.length)) as keyof typeof ENTRIES];
    expect(source).toBe('src/adapters/aws-lambda/main.ts');
    expect(existsSync(new URL(source, root)), `${source} exists`).toBe(true);
  });

  it('packages a config that validates where SWITCHYARD_CONFIG says it is', () => {
    const layer = resources.find((r) => r.Type === 'AWS::Serverless::LayerVersion')?.Properties;
    expect(fn.Layers).toEqual([{ Ref: 'ConfigLayer' }]);
    const path = String(env.SWITCHYARD_CONFIG);
    expect(path).toMatch(/^\/opt\//);
    const file = `deploy/aws-sam/${String(layer?.ContentUri)}${path.slice('/opt/'.length)}`;
    const config = parseConfigText(read(file), file, { SWITCHYARD_API_KEY: 'k', DATABASE_URL: 'postgres://u:p@db.example.com/ledger' });
    expect(config.deployments.map((d) => d.provider)).toEqual(['bedrock']);
    expect(config.ledger.store).toBe('postgres');
  });
});
