import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENTRIES } from '../../scripts/bundle.mjs';
import { parseConfigText } from '../../src/config/load.js';
import { checkReach } from '../../src/routing/reach.js';

const ROOT = new URL('../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, ROOT), 'utf8');
const json = <T>(path: string): T => JSON.parse(read(path)) as T;

interface Resource {
  type: string;
  name: string;
  scope?: string;
  dependsOn?: string[];
  kind?: string;
  sku?: { name?: string; tier?: string };
  identity?: { type: string };
  properties: Record<string, unknown>;
}
interface Site extends Resource {
  properties: {
    functionAppConfig: { runtime: { name: string; version: string }; deployment: { storage: { authentication: { type: string } } } };
    siteConfig: { appSettings: Array<{ name: string; value: string }> };
  };
}

const template = json<{ parameters: Record<string, unknown>; variables: Record<string, string>; resources: Resource[]; outputs: Record<string, unknown> }>('deploy/azure/azuredeploy.json');
const ofType = (type: string): Resource[] => template.resources.filter((r) => r.type === type);
const site = ofType('Microsoft.Web/sites')[0] as Site;
const settings = new Map(site.properties.siteConfig.appSettings.map((s) => [s.name, s.value]));
/** A template expression's variable references resolved once (the role ids are kept in variables). */
const resolve = (text: string): string => text.replace(/variables\('([^']+)'\)/g, (_, name: string) => `'${template.variables[name] ?? name}'`);

describe('deploy/azure: the Functions app folder', () => {
  it('serves our paths at the root: host.json sets the route prefix to ""', () => {
    const host = json<{ version: string; extensions: { http: { routePrefix: string } } }>('deploy/azure/app/host.json');
    expect(host.version).toBe('2.0');
    expect(host.extensions.http.routePrefix).toBe('');
  });

  it('never samples out requests, exceptions or log lines (a usage event a flush could not store is copied there) in Application Insights', () => {
    const host = json<{ logging: { applicationInsights?: { samplingSettings?: { isEnabled: boolean; excludedTypes?: string } } } }>('deploy/azure/app/host.json');
    const sampling = host.logging.applicationInsights?.samplingSettings;
    expect(sampling?.excludedTypes?.split(';').sort()).toEqual(expect.arrayContaining(['Exception', 'Request', 'Trace']));
  });

  it("keeps the gateway's own log lines (its stdout, which the host files under Host.Function.Console) above the default Warning filter", () => {
    const host = json<{ logging: { logLevel: Record<string, string> } }>('deploy/azure/app/host.json');
    expect(host.logging.logLevel['Host.Function.Console']).toBe('Information');
  });

  it("sets functionTimeout, and the config ends a stream (its first content's wait included) a minute before it, so the usage is flushed", () => {
    const host = json<{ functionTimeout?: string }>('deploy/azure/app/host.json');
    const [h, m, sec] = (host.functionTimeout ?? '').split(':').map(Number);
    const timeoutMs = ((h ?? 0) * 3600 + (m ?? 0) * 60 + (sec ?? 0)) * 1000;
    expect(timeoutMs).toBeGreaterThan(0);
    const file = settings.get('SWITCHYARD_CONFIG') ?? '';
    const { routing } = parseConfigText(read(`deploy/azure/app/${file}`), file, { SWITCHYARD_CLIENT_KEY: 'k', DATABASE_URL: 'postgres://u@db/switchyard' });
    expect(routing.stream_max_ms, '0 is no limit').toBeGreaterThan(0);
    expect(routing.deadline_ms + routing.stream_max_ms + 60_000).toBeLessThanOrEqual(timeoutMs);
  });

  it('loads the bundle of the adapter entry, src/adapters/azure-functions/main.ts, as an ES module', () => {
    const app = json<{ main: string; type: string; dependencies: Record<string, string> }>('deploy/azure/app/package.json');
    expect(app.type).toBe('module');
    expect(app.main).toMatch(/^dist\/bundle\/[^/]+\.js$/);
    const source = ENTRIES[app.main.slice('dist/bundle/'.length, -'.js'.length) as keyof typeof ENTRIES];
    expect(source).toBe('src/adapters/azure-functions/main.ts');
    expect(existsSync(new URL(source, ROOT))).toBe(true);
  });

  it('installs the @azure/functions range the package declares as its peer', () => {
    const app = json<{ dependencies: Record<string, string> }>('deploy/azure/app/package.json');
    const root = json<{ peerDependencies: Record<string, string> }>('package.json');
    expect(app.dependencies['@azure/functions']).toBe(root.peerDependencies['@azure/functions']);
  });

  it('ships a config, named by SWITCHYARD_CONFIG, that the gateway accepts and that calls Azure OpenAI with the managed identity', () => {
    const file = settings.get('SWITCHYARD_CONFIG') ?? '';
    const config = parseConfigText(read(`deploy/azure/app/${file}`), file, { SWITCHYARD_CLIENT_KEY: 'k', DATABASE_URL: 'postgres://u@db/switchyard' });
    const azure = config.deployments.filter((d) => d.provider === 'azure-openai');
    expect(azure.length).toBeGreaterThan(0);
    for (const d of azure) expect(d.options).toMatchObject({ auth: { type: 'entra', credential: 'managed_identity' } });
    expect(config.ledger).toMatchObject({ store: 'postgres' });
    expect(checkReach(config)).toEqual({ errors: [], warnings: [] });
  });
});

describe('deploy/azure/azuredeploy.json', () => {
  it('creates a Node 22 Function App on Flex Consumption with a system-assigned identity', () => {
    expect(ofType('Microsoft.Web/serverfarms')[0]?.sku).toEqual({ tier: 'FlexConsumption', name: 'FC1' });
    expect(site.kind).toBe('functionapp,linux');
    expect(site.identity).toEqual({ type: 'SystemAssigned' });
    expect(site.properties.functionAppConfig.runtime).toEqual({ name: 'node', version: '22' });
    expect(site.properties.functionAppConfig.deployment.storage.authentication.type).toBe('SystemAssignedIdentity');
  });

  it('caps the instances with the maximumInstanceCount parameter, whose description sizes it against PostgreSQL connections', () => {
    const scale = (site.properties.functionAppConfig as unknown as { scaleAndConcurrency: { maximumInstanceCount: string } }).scaleAndConcurrency;
    expect(scale.maximumInstanceCount).toBe("[parameters('maximumInstanceCount')]");
    const parameter = template.parameters.maximumInstanceCount as { defaultValue: number; metadata?: { description?: string } };
    expect(parameter.defaultValue).toBeGreaterThan(0);
    // Every instance opens its own pool: the operator must know what the cap means for max_connections.
    expect(parameter.metadata?.description).toMatch(/PostgreSQL pool.*max_connections/);
  });

  it('gives that identity the Cognitive Services OpenAI User role on the Azure OpenAI account', () => {
    const onOpenAi = ofType('Microsoft.Authorization/roleAssignments').filter((r) => r.scope?.includes('Microsoft.CognitiveServices/accounts/'));
    expect(onOpenAi).toHaveLength(1);
    const props = onOpenAi[0]?.properties as { roleDefinitionId: string; principalId: string; principalType: string };
    expect(resolve(props.roleDefinitionId)).toContain("'5e0bd9bd-7b93-4f28-af87-19fc36ad61bd'");
    expect(resolve(props.principalId)).toMatch(/reference\(.*Microsoft\.Web\/sites.*'Full'\)\.identity\.principalId/s);
    expect(props.principalType).toBe('ServicePrincipal');
  });

  it('reaches storage with the identity too: shared keys off, blob data role granted', () => {
    expect(ofType('Microsoft.Storage/storageAccounts')[0]?.properties).toMatchObject({ allowSharedKeyAccess: false, allowBlobPublicAccess: false });
    expect(settings.get('AzureWebJobsStorage__accountName')).toBeDefined();
    const roles = ofType('Microsoft.Authorization/roleAssignments').map((r) => resolve((r.properties as { roleDefinitionId: string }).roleDefinitionId));
    expect(roles.some((r) => r.includes("'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'"))).toBe(true);
  });

  it('puts no key, connection string or secret in app settings: secrets are Key Vault references', () => {
    expect(settings.has('AzureWebJobsStorage')).toBe(false);
    for (const [name, value] of settings) {
      expect(value, name).not.toMatch(/AccountKey=|SharedAccessSignature|InstrumentationKey=|listKeys|listSecrets|password/i);
      // Application Insights' connection string grants nothing once local auth is off (checked below): Entra ID authorizes ingestion.
      if (name === 'APPLICATIONINSIGHTS_CONNECTION_STRING') continue;
      if (/KEY|SECRET|PASSWORD|TOKEN|CONNECTION|DATABASE_URL/i.test(name)) expect(value, name).toMatch(/^\[format\('@Microsoft\.KeyVault\(/);
    }
    expect(read('deploy/azure/azuredeploy.json')).not.toMatch(/listKeys|listSecrets|securestring/i);
    const vaultRoles = ofType('Microsoft.Authorization/roleAssignments').filter((r) => r.scope?.includes('Microsoft.KeyVault/vaults/'));
    expect(resolve((vaultRoles[0]?.properties as { roleDefinitionId: string }).roleDefinitionId)).toContain("'4633458b-17de-408a-b874-0445c86b69e6'");
  });

  it('sends telemetry to a workspace-based Application Insights that accepts only Entra ID, as the app identity', () => {
    const [workspace] = ofType('Microsoft.OperationalInsights/workspaces');
    const [insights] = ofType('Microsoft.Insights/components');
    expect(workspace?.properties).toMatchObject({ sku: { name: 'PerGB2018' } });
    expect(insights?.properties).toMatchObject({ Application_Type: 'web', IngestionMode: 'LogAnalytics', DisableLocalAuth: true });
    const workspaceId = String(insights?.properties.WorkspaceResourceId);
    expect(workspaceId).toContain("resourceId('Microsoft.OperationalInsights/workspaces', variables('workspaceName'))");
    expect(workspace?.name).toBe("[variables('workspaceName')]");
    expect(insights?.dependsOn).toContain(workspaceId);
    // The connection string is read from the component at deployment, never written into the template.
    expect(resolve(settings.get('APPLICATIONINSIGHTS_CONNECTION_STRING') ?? '')).toMatch(/^\[reference\(.*Microsoft\.Insights\/components.*\)\.ConnectionString\]$/);
    expect(site.dependsOn).toContain(`[variables('appInsightsId')]`);
    // appInsightsId is the id of the component named appInsightsName (both expressions, without their brackets).
    expect(template.variables.appInsightsId).toContain(template.variables.appInsightsName?.slice(1, -1) ?? '?');
    expect(settings.get('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')).toBe('Authorization=AAD');
    const publisher = ofType('Microsoft.Authorization/roleAssignments').filter((r) => r.scope?.includes('Microsoft.Insights/components/'));
    expect(publisher).toHaveLength(1);
    const props = publisher[0]?.properties as { roleDefinitionId: string; principalId: string; principalType: string };
    expect(resolve(props.roleDefinitionId)).toContain("'3913510d-42f4-4e42-8a64-420c390055eb'"); // Monitoring Metrics Publisher
    expect(resolve(props.principalId)).toMatch(/reference\(.*Microsoft\.Web\/sites.*'Full'\)\.identity\.principalId/s);
  });

  it('uses only parameters and variables it defines, and every parameter', () => {
    const text = read('deploy/azure/azuredeploy.json');
    const named = (fn: string): Set<string> => new Set([...text.matchAll(new RegExp(`${fn}\\('([^']+)'\\)`, 'g'))].map((m) => String(m[1])));
    expect([...named('parameters')].filter((p) => !(p in template.parameters))).toEqual([]);
    expect([...named('variables')].filter((v) => !(v in template.variables))).toEqual([]);
    expect(Object.keys(template.parameters).filter((p) => !named('parameters').has(p))).toEqual([]);
  });

  it('turns basic-auth publishing (FTP, SCM) off and serves HTTPS only', () => {
    const policies = ofType('Microsoft.Web/sites/basicPublishingCredentialsPolicies');
    expect(policies.map((p) => p.name.replace(/.*\//, '').replace(/'.*$/, '')).sort()).toEqual(['ftp', 'scm']);
    expect(policies.every((p) => p.properties.allow === false)).toBe(true);
    expect(site.properties).toMatchObject({ httpsOnly: true });
  });
});
