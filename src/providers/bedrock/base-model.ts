import type { DeploymentBase } from '../../config/schema.js';
import { hidesModel, isClaudeModel } from '../dialects/bedrock-converse/model-family.js';

/**
 * A Bedrock model id as the rules read it: a provider and a model joined by a dot, after an optional
 * cross-region profile prefix (`anthropic.claude-opus-4-7`, `us.anthropic.claude-opus-4-7-v1:0`,
 * `amazon.nova-pro-v1:0`). `claude-opus-4-7` is not one: read as a Bedrock id it is no Claude.
 */
const BEDROCK_MODEL_ID = /^(?:[a-z]+(?:-[a-z]+)?\.)?[a-z][a-z0-9]*\.[A-Za-z0-9][A-Za-z0-9._:-]*$/;

/** The model id the wire rules (Claude or not, thinking form, prefill, cache points, CountTokens) follow. */
export function rulesModel(deployment: Pick<DeploymentBase, 'model' | 'base_model'>): string {
  return deployment.base_model ?? deployment.model;
}

/**
 * Why `base_model` cannot stand on a Bedrock deployment: only a model ARN that hides its model needs
 * one (a base id, an inference profile and the ARNs naming either say which model they are, and a
 * second name could only contradict them), and it must be a Bedrock model id.
 */
export function bedrockBaseModelProblem(deployment: Pick<DeploymentBase, 'model'>, baseModel: string): string | undefined {
  if (!hidesModel(deployment.model)) {
    return `model "${deployment.model}" names its model already: base_model is only for an ARN that does not (an application inference profile, a provisioned or custom model); remove it`;
  }
  if (!BEDROCK_MODEL_ID.test(baseModel)) {
    return `expected the Bedrock id of the model behind the ARN, its provider and model joined by a dot (anthropic.claude-opus-4-7, amazon.nova-pro-v1:0), not "${baseModel}"`;
  }
  return undefined;
}

/**
 * What the gateway has to guess for a deployment whose model ARN hides its model and that has no
 * `base_model`, to log once when the deployment is built; undefined when nothing is guessed.
 */
export function guessedRules(deployment: Pick<DeploymentBase, 'model' | 'base_model'>): string | undefined {
  if (deployment.base_model !== undefined || !hidesModel(deployment.model)) return undefined;
  const taken = isClaudeModel(deployment.model)
    ? "taken for Claude from the ARN's text, the thinking form and prefill rule of the version it names (or of the newest Claude where it names none)"
    : 'taken for a model other than Claude: reasoning and top_k are not sent, tokens are estimated rather than counted, a conversation opening with an assistant message gets a user turn first, prompt-cache hints are kept, one-hour ones too';
  return `model is an ARN that does not name its model, so its wire rules are guessed (${taken}) and its usage is unpriced unless pricing.deployments prices it; set base_model to the model behind it, e.g. anthropic.claude-opus-4-7`;
}
