import type { AdmissionControl, AdmissionRequest, AdmissionTicket } from './events.js';

const NONE: AdmissionTicket = { release: () => undefined };

/**
 * Several admission controls as one (budgets, then rate limits): each admits in turn; when one
 * refuses, the tickets already taken are released and the refusal is thrown. The tickets' headers
 * are merged (later controls win on a clash).
 */
export function composeAdmission(controls: readonly AdmissionControl[]): AdmissionControl {
  if (controls.length === 1) return controls[0] as AdmissionControl;
  return {
    async admit(request: AdmissionRequest): Promise<AdmissionTicket> {
      const tickets: AdmissionTicket[] = [];
      try {
        for (const c of controls) tickets.push(await c.admit(request));
      } catch (err) {
        for (const t of tickets) t.release();
        throw err;
      }
      let headers: Record<string, string> | undefined;
      for (const t of tickets) if (t.headers) headers = headers ? { ...headers, ...t.headers } : { ...t.headers };
      const live = tickets.filter((t) => t !== NONE);
      return {
        headers,
        release: () => {
          for (const t of live) t.release();
        },
      };
    },
  };
}
