import { runConformance } from '../conformance.js';
import { openaiCompatibleTarget } from './testing/conformance-target.js';

runConformance(openaiCompatibleTarget);
