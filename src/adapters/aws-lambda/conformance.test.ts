import { runConformance } from '../../providers/conformance.js';
import { bedrockTarget } from '../../providers/bedrock/testing/conformance-target.js';
import { openaiCompatibleTarget } from '../../providers/openai-compatible/testing/conformance-target.js';
import { lambdaFront } from './testing/conformance-front.js';

runConformance(openaiCompatibleTarget, lambdaFront);
runConformance(bedrockTarget, lambdaFront);
