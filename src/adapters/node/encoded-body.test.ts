import { nodeFront } from '../../providers/conformance.js';
import { describeEncodedBodies } from '../testing/encoded-body.js';

describeEncodedBodies(nodeFront);
