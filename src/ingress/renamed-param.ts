import { GatewayError } from '../core/errors.js';

/**
 * A dialect's refusal naming a canonical parameter by the OpenAI Chat name it keeps (`response_format`),
 * renamed to the door's own (`text.format`, `output_config.format`) in its param and its message; undefined
 * when the refusal names another parameter. A client never reads another API's parameter names.
 */
export function renamedParam(err: GatewayError, from: string, to: string): GatewayError | undefined {
  const param = err.param;
  if (param === undefined || !(param === from || param.startsWith(`${from}.`) || param.startsWith(`${from}[`))) return undefined;
  return new GatewayError({ ...err.toInit(), param: to + param.slice(from.length), message: err.message.split(from).join(to) });
}
