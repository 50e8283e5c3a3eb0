import { describeEncodedBodies } from '../testing/encoded-body.js';
import { lambdaFront } from './testing/conformance-front.js';

describeEncodedBodies(lambdaFront);
