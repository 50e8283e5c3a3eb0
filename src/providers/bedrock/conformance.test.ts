import { runConformance } from '../conformance.js';
import { bedrockTarget } from './testing/conformance-target.js';

runConformance(bedrockTarget);
