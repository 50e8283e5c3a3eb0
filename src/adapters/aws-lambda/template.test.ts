import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENTRIES } from '../../../scripts/bundle.mjs';
import { parseConfigText } from '../../config/load.js';
import { LAMBDA_DEADLINE_MARGIN_MS } from './handler.js';
import { SECRETS_ARN_VARIABLE } from './secret-variables.js';
import { definedNames, Evaluator, parseTemplate, references } from './testing/cloudformation.js';

const root = new URL('../../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
interface Policy {
  PolicyName: string;
  PolicyDocument: { Statement: Statement[] };
}

const text = read('deploy/aws-sam/template.yaml');
const template = parseTemplate(text);
const resources = Object.values(template.Resources);
const fnOf = (t: Evaluator | undefined): Record<string, unknown> => {
  const props = resources.find((r) => r.Type === 'AWS::Serverless::Function')?.Properties ?? {};
  return (t ? t.value(props) : props) as Record<string, unknown>;
};
const fn = fnOf(undefined);
const env = (fn.Environment as { Variables: Record<string, unknown> } | undefined)?.Variables ?? {};
const role = template.Resources.GatewayRole?.Properties ?? {};
/** The role's statements as CloudFormation would create them for these parameter values (defaults otherwise). */
const statementsFor = (values: Record<string, string> = {}): Statement[] =>
  ((new Evaluator(template, values).value(role.Policies) ?? []) as Policy[]).flatMap((p) => p.PolicyDocument.Statement);
const actions = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:switchyard/gateway-AbCdEf';
const KMS_KEY = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

const MODEL_ARN = /^arn:aws[a-z-]*:bedrock:[a-z0-9-*]*:[0-9*]*:(foundation-model|inference-profile|application-inference-profile)\/\S+$/;

describe('deploy/aws-sam/template.yaml', () => {
  it('lets the function invoke the Bedrock models BedrockModelArns lists, and no other Bedrock action or model', () => {
    const bedrock = statementsFor({ SecretArn: SECRET_ARN }).filter((s) => actions(s).some((a) => a.startsWith('bedrock:')));
    expect(bedrock).toHaveLength(1);
    expect(bedrock[0]?.Action).toEqual(['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream', 'bedrock:CountTokens']);
    expect(new Evaluator(template).value(bedrock[0]?.Resource)).toEqual(template.Parameters.BedrockModelArns?.Default?.split(','));
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
    // The variables the Secrets Manager secret holds (docs/DEPLOY.md); the function's environment has none.
    const config = parseConfigText(read(file), file, { SWITCHYARD_API_KEY: 'k', DATABASE_URL: 'postgres://u:p@db.example.com/ledger' });
    expect(config.deployments.map((d) => d.provider)).toEqual(['bedrock']);
    expect(config.ledger.store).toBe('postgres');
  });

  it("ends a stream (its first content's wait included) before the adapter's deadline margin, which leaves the flush its time", () => {
    const layer = resources.find((r) => r.Type === 'AWS::Serverless::LayerVersion')?.Properties;
    const path = String(env.SWITCHYARD_CONFIG);
    const file = `deploy/aws-sam/${String(layer?.ContentUri)}${path.slice('/opt/'.length)}`;
    const { routing } = parseConfigText(read(file), file, { SWITCHYARD_API_KEY: 'k', DATABASE_URL: 'postgres://u:p@db.example.com/ledger' });
    expect(routing.stream_max_ms, '0 is no limit').toBeGreaterThan(0);
    expect(routing.deadline_ms + routing.stream_max_ms + LAMBDA_DEADLINE_MARGIN_MS).toBeLessThanOrEqual(Number(fn.Timeout) * 1000);
  });
});

describe('deploy/aws-sam/template.yaml: secrets', () => {
  it("keeps every secret out of the template, the stack and the function's environment: the function is given the secret's ARN", () => {
    expect(env[SECRETS_ARN_VARIABLE]).toEqual({ Ref: 'SecretArn' });
    for (const [name, value] of Object.entries(env)) {
      expect(name).not.toMatch(/KEY|SECRET(?!S_ARN$)|PASSWORD|TOKEN|DATABASE_URL|REDIS_URL|CONNECTION/);
      expect(typeof value === 'string' || (value as { Ref?: string }).Ref === 'SecretArn', name).toBe(true);
    }
    // No parameter carries a secret's value (NoEcho parameters still sit in the function's configuration).
    expect(Object.entries(template.Parameters).filter(([, p]) => p.NoEcho === true)).toEqual([]);
    // Dynamic references resolve into the function's configuration too, readable with lambda:GetFunctionConfiguration.
    expect(text).not.toMatch(/\{\{resolve:(secretsmanager|ssm-secure):/);
  });

  it('may read exactly that secret, and decrypt with a customer managed key only through Secrets Manager', () => {
    const secretStatements = (values: Record<string, string>): Statement[] => statementsFor(values).filter((s) => actions(s).some((a) => /^(secretsmanager|kms|ssm):/.test(a)));
    expect(secretStatements({ SecretArn: SECRET_ARN })).toEqual([{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: SECRET_ARN }]);
    const withKey = secretStatements({ SecretArn: SECRET_ARN, SecretKmsKeyArn: KMS_KEY });
    expect(withKey).toHaveLength(2);
    expect(withKey[1]).toEqual({
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: KMS_KEY,
      // Through Secrets Manager in the secret's own Region (its ARN's fourth field), which may not be the stack's.
      Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': ['secretsmanager.${SecretRegion}.${AWS::URLSuffix}', { SecretRegion: { 'Fn::Select': [3, { 'Fn::Split': [':', SECRET_ARN] }] } }] } } },
    });
    for (const s of statementsFor({ SecretArn: SECRET_ARN, SecretKmsKeyArn: KMS_KEY })) expect(JSON.stringify(s.Resource)).not.toMatch(/"\*"|:\*"/);
  });

  it('accepts a secret ARN (and a KMS key ARN or nothing) for those parameters, never a name or a wildcard', () => {
    const secret = new RegExp(template.Parameters.SecretArn?.AllowedPattern ?? '');
    expect(template.Parameters.SecretArn?.Default).toBeUndefined();
    expect(SECRET_ARN).toMatch(secret);
    expect('arn:aws-us-gov:secretsmanager:us-gov-west-1:111122223333:secret:a/b_c+d=e.f@g-AbCdEf').toMatch(secret);
    for (const bad of ['switchyard/gateway', 'arn:aws:secretsmanager:us-east-1:111122223333:secret:*', 'arn:aws:ssm:us-east-1:111122223333:parameter/gw']) expect(bad).not.toMatch(secret);
    const key = new RegExp(template.Parameters.SecretKmsKeyArn?.AllowedPattern ?? '');
    expect('').toMatch(key);
    expect(KMS_KEY).toMatch(key);
    expect('alias/aws/secretsmanager').not.toMatch(key);
  });
});

describe('deploy/aws-sam/template.yaml: VPC', () => {
  const vpc = { SecretArn: SECRET_ARN, SubnetIds: 'subnet-0a,subnet-0b', SecurityGroupIds: 'sg-0c' };
  const managed = (values: Record<string, string>): unknown => new Evaluator(template, values).value(role.ManagedPolicyArns);

  it('runs outside a VPC by default, with the basic execution role only', () => {
    expect(fnOf(new Evaluator(template, { SecretArn: SECRET_ARN }))).not.toHaveProperty('VpcConfig');
    expect(managed({ SecretArn: SECRET_ARN })).toEqual([{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole' }]);
  });

  it("runs in the given subnets and security groups, with the role Lambda needs for the function's network interfaces", () => {
    expect(fnOf(new Evaluator(template, vpc)).VpcConfig).toEqual({ SubnetIds: ['subnet-0a', 'subnet-0b'], SecurityGroupIds: ['sg-0c'] });
    expect(managed(vpc)).toEqual([{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole' }]);
  });

  it('refuses subnets without security groups and security groups without subnets before creating anything', () => {
    expect(new Evaluator(template, vpc).failedRules()).toEqual([]);
    expect(new Evaluator(template, { SecretArn: SECRET_ARN }).failedRules()).toEqual([]);
    expect(new Evaluator(template, { ...vpc, SecurityGroupIds: '' }).failedRules()).toEqual([expect.stringMatching(/SecurityGroupIds must be set/)]);
    expect(new Evaluator(template, { ...vpc, SubnetIds: '' }).failedRules()).toEqual([expect.stringMatching(/SubnetIds must be set/)]);
  });
});

describe('deploy/aws-sam/template.yaml: references', () => {
  it('names only parameters, resources and conditions it defines, and uses every parameter and condition it defines', () => {
    const used = references({ Resources: template.Resources, Outputs: template.Outputs, Conditions: template.Conditions, Rules: template.Rules });
    const defined = definedNames(template);
    expect([...used.refs].filter((name) => !defined.has(name))).toEqual([]);
    expect([...used.conditions].filter((name) => !(name in (template.Conditions ?? {})))).toEqual([]);
    expect(Object.keys(template.Parameters).filter((name) => !used.refs.has(name))).toEqual([]);
    expect(Object.keys(template.Conditions ?? {}).filter((name) => !used.conditions.has(name))).toEqual([]);
  });
});
