import { describe, expect, it } from 'vitest';
import type { Message } from '../../core/types.js';
import { lateSystemWarning } from './system-place.js';

const system: Message = { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] };
const user: Message = { role: 'user', content: [{ type: 'text', text: 'q' }] };
const result: Message = { role: 'tool', toolCallId: 't1', content: [{ type: 'text', text: 'r' }] };

describe('system messages after the conversation began', () => {
  it('names nothing when every system message comes before the first turn, or there is none', () => {
    expect(lateSystemWarning([system, system, user], 'Claude')).toBeUndefined();
    expect(lateSystemWarning([user], 'Claude')).toBeUndefined();
  });

  it('counts a tool result as the conversation begun, and names the first five late places and how many more', () => {
    expect(lateSystemWarning([result, system], 'Gemini')?.message).toBe('System message at messages[1] was moved to the system prompt: Gemini takes system text only before the conversation.');
    const many = [user, ...Array.from({ length: 7 }, () => system)];
    expect(lateSystemWarning(many, 'Claude')?.message).toBe(
      'System messages at messages[1], messages[2], messages[3], messages[4], messages[5] and 2 more were moved to the system prompt: Claude takes system text only before the conversation.',
    );
  });
});
