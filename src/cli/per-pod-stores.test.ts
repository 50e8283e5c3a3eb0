import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import { rawDeployment } from '../routing/testing/fakes.js';
import { perPodStores } from './per-pod-stores.js';

const ON_KUBERNETES = { KUBERNETES_SERVICE_HOST: '10.96.0.1' };
const config = (extra: Record<string, unknown> = {}) => resolveConfig({ deployments: [rawDeployment('d')], groups: [{ name: 'chat', deployments: ['d'] }], ...extra }, {});
const shared = {
  ledger: { store: 'postgres', url: 'postgres://db/switchyard' },
  state: { store: 'redis', redis_url: 'redis://cache:6379' },
  budgets: { state: 'redis', limits: [{ name: 'daily', period: 'daily', hard_usd: 10 }] },
};

describe('perPodStores', () => {
  it('names the per-pod settings and the docs section on Kubernetes, as an overlay config without the store lines leaves them', () => {
    const found = perPodStores(config({ budgets: { limits: [{ name: 'daily', period: 'daily', hard_usd: 10 }] } }), ON_KUBERNETES);
    expect(found?.settings).toEqual(['ledger.store: sqlite', 'state.store: memory', 'budgets.state: memory']);
    expect(found?.message).toContain('docs/DEPLOY.md#several-replicas-ledger-and-shared-state');
  });

  it('says nothing outside Kubernetes (the demo, a laptop, a VM)', () => {
    expect(perPodStores(config(), {})).toBeUndefined();
  });

  it('says nothing when the ledger and state are shared, and names only the store left per pod otherwise', () => {
    expect(perPodStores(config(shared), ON_KUBERNETES)).toBeUndefined();
    expect(perPodStores(config({ ...shared, state: { store: 'memory' }, budgets: { state: 'redis', limits: [] } }), ON_KUBERNETES)?.settings).toEqual(['state.store: memory']);
  });

  it("names budgets.state: memory with virtual keys, whose budgets each pod would otherwise enforce apart", () => {
    const keys = { ...shared, budgets: { state: 'memory', limits: [] }, keys: { hmac_secret: 'a-secret-of-at-least-32-characters!!' } };
    expect(perPodStores(config(keys), ON_KUBERNETES)?.settings).toEqual(['budgets.state: memory']);
  });

  it('does not count a disabled ledger or budgets without limits as per-pod stores', () => {
    expect(perPodStores(config({ ledger: { enabled: false }, state: shared.state }), ON_KUBERNETES)).toBeUndefined();
  });
});
