import { describe, expect, it } from 'vitest';
import { groupSchema, routingSchema } from './config.js';
import { checkRoutingReferences } from './references.js';

const deployments = [{ id: 'small' }, { id: 'big' }, { id: 'lax' }];
const group = (raw: Record<string, unknown>) => groupSchema.parse({ deployments: ['small'], ...raw });
const check = (groups: Array<Record<string, unknown>>, routing: Record<string, unknown> = {}): string[] =>
  checkRoutingReferences({ deployments, groups: groups.map(group), routing: routingSchema.parse(routing) }).map((p) => `${p.path}: ${p.message}`);

describe('checkRoutingReferences', () => {
  it('accepts special fallbacks and shadows naming groups (defined later too) or deployments', () => {
    expect(
      check([
        { name: 'chat', fallbacks: { context_window_exceeded: ['long', 'big'], content_filtered: ['lax'] }, shadow: { share: 0.1, deployments: ['big'] } },
        { name: 'long', deployments: ['big'] },
      ]),
    ).toEqual([]);
  });

  it('names every unknown fallback and shadow target by its path', () => {
    const problems = check([
      { name: 'chat' },
      { name: 'coding', aliases: ['code'] },
      { name: 'analysis', fallbacks: { context_window_exceeded: ['big', 'x'], content_filtered: ['code'] }, shadow: { share: 1, deployments: ['ghost'] } },
    ]);
    expect(problems).toEqual([
      'groups[2].fallbacks.context_window_exceeded[1]: unknown group or deployment "x"; known groups: chat, coding, analysis; deployments: small, big, lax',
      'groups[2].fallbacks.content_filtered[0]: "code" is an alias; name its group "coding"',
      'groups[2].shadow.deployments[0]: unknown group or deployment "ghost"; known groups: chat, coding, analysis; deployments: small, big, lax',
    ]);
  });

  it('refuses a fallback or shadow target listed twice, at the repeat, naming its first entry (it would be tried again after failing, or mirrored to twice)', () => {
    const problems = check([
      {
        name: 'chat',
        fallbacks: { context_window_exceeded: ['long', 'big', 'long'], content_filtered: ['lax', 'lax'] },
        shadow: { share: 0.5, deployments: ['big', 'lax', 'big'] },
      },
      { name: 'long', deployments: ['big'] },
    ]);
    expect(problems).toEqual([
      'groups[0].fallbacks.context_window_exceeded[2]: group "long" is listed twice in this fallback list (first at groups[0].fallbacks.context_window_exceeded[0]): it would be tried again after it failed; list it once',
      'groups[0].fallbacks.content_filtered[1]: deployment "lax" is listed twice in this fallback list (first at groups[0].fallbacks.content_filtered[0]): it would be tried again after it failed; list it once',
      'groups[0].shadow.deployments[2]: deployment "big" is listed twice in this shadow list (first at groups[0].shadow.deployments[0]): each mirrored request would be sent to it twice; list it once',
    ]);
  });

  it('names an unknown target listed twice as unknown each time, not as a repeat', () => {
    expect(check([{ name: 'chat', fallbacks: { content_filtered: ['ghost', 'ghost'] } }])).toEqual([
      'groups[0].fallbacks.content_filtered[0]: unknown group or deployment "ghost"; known groups: chat; deployments: small, big, lax',
      'groups[0].fallbacks.content_filtered[1]: unknown group or deployment "ghost"; known groups: chat; deployments: small, big, lax',
    ]);
  });

  it('refuses a task served by two groups, or listed twice by one', () => {
    expect(check([{ name: 'a', tasks: ['coding', 'simple'] }, { name: 'b', tasks: ['analysis', 'coding'] }, { name: 'c', tasks: ['vision', 'vision'] }])).toEqual([
      'groups[1].tasks[1]: task "coding" is already served by groups[0]; a task picks exactly one group',
      'groups[2].tasks[1]: task "vision" is listed twice',
    ]);
  });

  it('refuses a breaker cool-off longer than its cap', () => {
    expect(check([], { breaker: { cool_off_ms: 10_000, max_cool_off_ms: 5_000 } })).toEqual([
      'routing.breaker.cool_off_ms: 10000 is longer than max_cool_off_ms (5000), which would cap every cool-off',
    ]);
  });
});
