import { beforeAll, describe, expect, it } from 'vitest';
import { readSdkTypes, type SdkTypes } from './sdk-shapes.js';

describe("checking a value against the openai SDK's declared Responses types", () => {
  let sdk: SdkTypes;
  beforeAll(() => {
    sdk = readSdkTypes();
  });
  const delta = { type: 'response.output_text.delta', sequence_number: 3, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Hi', logprobs: [] };

  it('passes an event as the SDK declares it, the union member chosen by its type', () => {
    expect(sdk.problems(delta, sdk.named('ResponseStreamEvent'))).toEqual([]);
  });

  it('names a required member missing, a member the type does not declare, and a value of the wrong kind', () => {
    const { logprobs: _l, ...withoutLogprobs } = delta;
    expect(sdk.problems({ ...withoutLogprobs, obfuscated: true, output_index: '0' }, sdk.named('ResponseStreamEvent'))).toEqual([
      '$.logprobs: missing (required by ResponseTextDeltaEvent)',
      '$.output_index: not a number',
      '$.obfuscated: not declared by ResponseTextDeltaEvent',
    ]);
  });

  it('checks nested items by their own declared type, and an event type the SDK does not know matches nothing', () => {
    const added = { type: 'response.output_item.added', sequence_number: 2, output_index: 0, item: { id: 'fc_1', type: 'function_call', status: 'in_progress', call_id: 'c', name: 'f' } };
    expect(sdk.problems(added, sdk.named('ResponseStreamEvent'))).toEqual(['$.item.arguments: missing (required by ResponseFunctionToolCall)']);
    expect(sdk.problems({ type: 'response.output_text.annotation.removed', sequence_number: 1 }, sdk.named('ResponseStreamEvent')).length).toBeGreaterThan(0);
  });
});
